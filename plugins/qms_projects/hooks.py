"""The hook implementations of the projects plugin: each one hands plain data to a module named after its noun."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from qms import api
from qms.api import FormBinding, hookimpl, Procedure, RecordQuery, Registry, WorkCalendar

from qms_projects import forms as f

if TYPE_CHECKING:
    from pathlib import Path  # annotations only: pathlib costs every start of `qms`

    import click

PROCEDURE_DECL = Procedure(number=f.PROCEDURE, title="项目运作管理程序", title_en="Project Lifecycle Management",
                           owner="项目部", slug="projects")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the Project Lifecycle Management procedure."""
    registry.add_procedure(PROCEDURE_DECL)


@hookimpl
def qms_register_forms(registry: Registry) -> None:
    """QR-8.3-01 … QR-8.3-07."""
    for number in f.ALL:
        registry.add_form(FormBinding(number=number, procedure=f.PROCEDURE))


@hookimpl
def qms_register_workflows(registry: Registry) -> None:
    """The workflows of the seven project forms."""
    from qms_projects.workflow import WORKFLOWS

    for workflow in WORKFLOWS:
        registry.add_workflow(workflow)


@hookimpl
def qms_validate_record(form: str, data: dict[str, Any], record: dict[str, Any] | None,
                        query: RecordQuery) -> list[dict[str, str]]:
    """Gate ordering, template snapshot, guarded histories, change control, failed-step details."""
    from qms_projects import rules

    return rules.validate(form, data, record, query)


@hookimpl
def qms_check_transition(record: dict[str, Any], target: str, actor: dict[str, Any], query: RecordQuery) -> list[str]:
    """The gate rule, sign-off posts, committee quorum, segregation of duties, close-out completeness."""
    from qms_projects import moves

    return moves.check(record, target, actor, query)


@hookimpl
def qms_after_save(record: dict[str, Any], action: str, previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A reported accident raised to 重大 is announced from that save."""
    from qms_projects import moves

    return moves.saved(record, action, previous)


@hookimpl
def qms_after_transition(record: dict[str, Any], source: str, actor: dict[str, Any],
                         query: RecordQuery) -> list[dict[str, Any]]:
    """Hand-overs and conditions on a passing gate, baseline versions, re-baselining, closing the project."""
    from qms_projects import moves

    return moves.after(record, source, actor, query)


@hookimpl
def qms_due_items(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """Node limits of running projects, gate conditions, rectification deadlines, scope conditions."""
    from qms_projects.due import items

    return items(query, now, calendar)


@hookimpl
def qms_figures(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """Project stages, gate pass rate, acceptance grade distribution."""
    from qms_projects.figures import figures

    return figures(query, now, calendar)


@hookimpl
def qms_render_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """The register entry without its template snapshot (kept in the embedded record.json)."""
    from qms_projects.layout import record_html

    return record_html(record, form)


@hookimpl
def qms_register_commands(cli: click.Group) -> None:
    """``qms projects …``."""
    # Listed by `qms --help` from this line; the command module is imported only when it is used.
    cli.add_command(api.LazyCommand("projects", "qms_projects.cli:projects",
                                    "Projects (项目运作管理, QP-8.3-01): templates, stage gates, acceptance, change "
                                    "control, status, dossier."))


@hookimpl
def qms_check_workspace(root: Path, settings: dict[str, Any]) -> list[str]:
    """The shipped and the workspace's own project templates (``project-templates/``) are valid."""
    from qms_projects.project_templates import all_problems

    return all_problems(root)


@hookimpl
def qms_web_pages() -> list[dict[str, str]]:
    """The project stage board in the web workspace."""
    from qms_projects.board import PAGE

    return [PAGE]


@hookimpl
def qms_web_page(slug: str, query: RecordQuery, now: datetime, calendar: WorkCalendar) -> dict[str, Any] | None:
    """The project stage board."""
    from qms_projects import board

    return board.page(query, now, calendar) if slug == board.SLUG else None
