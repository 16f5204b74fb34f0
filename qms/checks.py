"""``qms check``: every problem in a workspace's definitions, found without changing anything.

Each check is a function from the app to a list of one-line problems; ``CHECKS`` lists them in
the order they run. Capabilities that add definitions add their check here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from qms.frontmatter import front_matter

if TYPE_CHECKING:
    from qms.app import App

Check = Callable[["App"], list[str]]


def check_procedure_files(app: App) -> list[str]:
    """Every procedure file has well-formed front matter with a number and a title."""
    problems = []
    for path in sorted(app.workspace.procedures.glob("*.md")):
        meta, error = front_matter(path.read_text(encoding="utf-8"))
        rel = path.relative_to(app.workspace.root)
        if error:
            problems.append(f"{rel}: {error}")
            continue
        assert meta is not None
        for key in ("number", "title"):
            if not meta.get(key):
                problems.append(f"{rel}: front matter has no {key!r}")
        if meta.get("number") and f"{meta['number']}.md" != path.name:
            problems.append(f"{rel}: number {meta['number']!r} does not match the file name")
    return problems


def check_plugin_links(app: App) -> list[str]:
    """Every procedure and form a plugin registers exists in the workspace."""
    problems = []
    registry = app.host.registry
    for number, proc in sorted(registry.procedures.items()):
        if not (app.workspace.procedures / f"{number}.md").is_file():
            owner = registry.owner("procedure", number)
            problems.append(f"procedure {number} ({proc.title}) of plugin {owner!r} has no procedures/{number}.md")
    for number, binding in sorted(registry.forms.items()):
        if not (app.workspace.forms / f"{number}.yaml").is_file():
            problems.append(f"form {number} of procedure {binding.procedure} has no forms/{number}.yaml")
        if binding.procedure not in registry.procedures and not (app.workspace.procedures / f"{binding.procedure}.md").is_file():
            problems.append(f"form {number} names procedure {binding.procedure}, which does not exist")
    return problems


def check_controlled_documents(app: App) -> list[str]:
    """Controlled files unchanged since they were submitted; stored text matching its signatures."""
    from qms.document_reviews import (
        tamper_problems,  # documents import front_matter from here
    )

    return tamper_problems(app)


def check_form_files(app: App) -> list[str]:
    """Every form file is valid YAML with a valid JSON Schema and a record prefix no other form uses."""
    from qms.forms import form_problems

    return form_problems(app)


def check_forms_in_force(app: App) -> list[str]:
    """Every form can take records: neither it nor its procedure is under control without an effective revision."""
    from qms.form_control import filing_problems
    from qms.forms import list_forms

    return filing_problems(app, list_forms(app))


def check_plugin_data(app: App) -> list[str]:
    """Each plugin's own data files (e.g. project templates), checked by the plugin that owns their format."""
    return app.host.check_workspace(app.workspace.root, app.workspace.config.raw)


CHECKS: list[Check] = [check_procedure_files, check_plugin_links, check_controlled_documents, check_form_files,
                       check_forms_in_force, check_plugin_data]


def run_checks(app: App) -> list[str]:
    """Every problem every check finds."""
    return [problem for check in CHECKS for problem in check(app)]
