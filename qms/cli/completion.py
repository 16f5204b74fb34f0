"""Shell completion of form, record and document numbers (``qms record show KS-<TAB>``).

click asks these functions while the user types; each opens the workspace the command line
names (``--workspace``, ``QMS_WORKSPACE`` or the current folder) and offers the numbers that
start with what was typed. Completion never fails loudly: outside a workspace it offers nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from click.shell_completion import CompletionItem

from qms.app import App
from qms.errors import QMSError
from qms.host import Host, make_plugin_manager
from qms.workspace import find_workspace


def _app(ctx: click.Context) -> App | None:
    root = ctx.find_root()
    try:
        # The plugins are not needed to read numbers; loading none keeps completion fast.
        return App(find_workspace(root.params.get("workspace")), Host(make_plugin_manager(entrypoints=False)))
    except QMSError:
        return None


def _offer(read: Callable[[App], list[tuple[str, str]]]) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        app = _app(ctx)
        if app is None:
            return []
        try:
            pairs = read(app)
        except (QMSError, OSError):
            return []
        return [CompletionItem(value, help=help) for value, help in pairs if value.startswith(incomplete)]

    return complete


def _forms(app: App) -> list[tuple[str, str]]:
    from qms.forms import list_forms

    return [(f["number"], f"{f['title']} {f.get('title_en', '')}".strip()) for f in list_forms(app)]


def _records(app: App) -> list[tuple[str, str]]:
    from qms.records import summaries

    return [(r["number"], f"{r['form']} {r['state']}") for r in summaries(app)]


def _documents(app: App) -> list[tuple[str, str]]:
    from qms.documents import list_documents

    return [(d["number"], f"{d['edition']} {d['title']}") for d in list_documents(app)]


complete_forms = _offer(_forms)
complete_records = _offer(_records)
complete_documents = _offer(_documents)

__all__ = ["complete_documents", "complete_forms", "complete_records"]
