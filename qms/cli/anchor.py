"""``qms head`` and the ``--since`` part of ``qms verify``: chain heads taken out of the folder and checked back.

The heads themselves (key, signing, reading back, the extension check) live in ``qms.anchors``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from qms.anchors import ChainHead, check_signature, current_head, extension_problems, load_head, load_key
from qms.cli import echo_json, json_option, pass_app
from qms.errors import UsageError
from qms.verify import Problem, Report

if TYPE_CHECKING:
    from qms.app import App

F = TypeVar("F", bound=Callable[..., Any])


def since_option(f: F) -> F:
    """Add ``--since HEAD_OR_BUNDLE`` to ``qms verify``."""
    return click.option(
        "--since", "since", metavar="HEAD_OR_BUNDLE",
        help="A chain head taken earlier (its JSON or one-line form, a file holding one, a PDF made by qms, or an "
             "evidence bundle): "
             "also check that today's log extends it, so a truncated or re-hashed log is caught.")(f)


def since_head(since: str | None, bundle: object | None) -> ChainHead | None:
    """The head given to ``--since``, read before anything is checked (bad input is refused first)."""
    return load_head(since) if since is not None else None


def check_since_bundle(bundle: Path, earlier: ChainHead | None, report: Report) -> dict[str, Any]:
    """Add to ``report`` where the bundle's log fails to extend ``earlier`` (an auditor's earlier head, offline)."""
    if earlier is None:
        return {}
    from qms.bundle import audit_entries

    try:
        exported: ChainHead | None = load_head(str(bundle))
    except UsageError:
        exported = None  # a bundle without a signed head: the earlier head must carry its public key
    check_signature(earlier, exported.public_raw() if exported else None)
    key = exported.key if exported else earlier.key
    report.problems.extend(Problem(obj, message)
                           for obj, message in extension_problems(earlier, audit_entries(bundle), key))
    return {"since": earlier.as_dict()}


def check_since(app: App, earlier: ChainHead | None, report: Report, as_json: bool) -> dict[str, Any]:
    """Add to ``report`` where today's log fails to extend ``earlier``; the JSON fields verify adds."""
    extra: dict[str, Any] = {}
    if earlier is not None:
        key = load_key(app.store.root, create=False)
        check_signature(earlier, key.public_raw)
        _, entries = app.store.audit.check_chain()
        report.problems.extend(Problem(obj, message)
                               for obj, message in extension_problems(earlier, entries, key.fingerprint))
        extra["since"] = earlier.as_dict()
    if as_json:
        try:
            extra["chain_head"] = current_head(app.store).as_dict()
        except UsageError as exc:  # a read-only workspace that never had a key: say so, verify the rest
            extra["chain_head"], extra["chain_head_error"] = None, str(exc)
    return extra


def echo_since(earlier: ChainHead | None, report: Report) -> None:
    """The line that says the log extends the earlier head (its problems are listed with the others)."""
    if earlier is not None and report.ok:
        click.echo(f"since: the log extends chain head #{earlier.seq} {earlier.hash[:16]}… of {earlier.at or '-'}")


@click.command("head")
@click.option("--save", "save", is_flag=True,
              help="Also keep it in the workspace as records/anchors/head-<seq>.json (one is kept after every "
                   "100 audit entries and every day anyway).")
@json_option
@pass_app
def head(app: App, as_json: bool, save: bool) -> None:
    """Print the audit log's current chain head, signed with the workspace key.

    Keep it outside the workspace (an auditor at each visit: qms head --json > head-2026-12.json;
    the management review minutes); `qms verify --since` later proves the log was neither
    truncated nor rewritten before it.

    \b
    Examples:
      qms head
      qms head --json
      qms head --save
    """
    if save:
        from qms.anchors import save_anchor

        path, signed = save_anchor(app.store)
    else:
        signed = current_head(app.store)
    if as_json:
        echo_json(signed.as_dict() | ({"saved": _shown(path, app.workspace.root)} if save else {}))
        return
    click.echo(signed.text())
    click.echo(f"链头 chain head #{signed.seq} of {signed.at or '-'}; workspace key {signed.key} "
               f"(public key {signed.public_key})")
    if save:
        click.echo(f"已保存 kept in {_shown(path, app.workspace.root)}; check the log later with "
                   f"qms verify --since {_shown(path, app.workspace.root)}")


def _shown(path: Path, root: Path) -> str:
    """``path`` relative to the workspace when it is inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


__all__ = ["check_since", "check_since_bundle", "echo_since", "head", "since_head", "since_option"]
