"""The plugin's hook implementations: thin calls into the plain modules of this package."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from qms import api
from qms.api import FormBinding, Procedure, RecordQuery, Registry, hookimpl

# The modules behind each hook are imported inside it: every start of `qms` imports this file.
from qms_review.workflow import FORM, PROCEDURE, TRACKED, WORKFLOW

if TYPE_CHECKING:
    import click

PROCEDURE_DECL = Procedure(number=PROCEDURE, title="管理评审程序", title_en="Management Review", owner="质量管理部",
                           slug="review")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the Management Review procedure."""
    registry.add_procedure(PROCEDURE_DECL)


@hookimpl
def qms_register_forms(registry: Registry) -> None:
    """QR-9.3-01 管理评审报告."""
    registry.add_form(FormBinding(number=FORM, procedure=PROCEDURE))


@hookimpl
def qms_register_workflows(registry: Registry) -> None:
    """draft → held → approved (signed by the 总经理) → closed."""
    registry.add_workflow(WORKFLOW)


@hookimpl
def qms_validate_record(form: str, data: dict[str, Any], record: dict[str, Any] | None) -> list[dict[str, str]]:
    """Every 9.3.2 input present; dates in order; what the meeting saw and decided kept as it was."""
    from qms_review import rules

    return rules.problems(form, data, record)


@hookimpl
def qms_check_transition(record: dict[str, Any], target: str) -> list[str]:
    """A review closes only when every output is done."""
    from qms_review import rules

    return rules.vetoes(record, target)


@hookimpl
def qms_due_items(query: RecordQuery) -> list[dict[str, Any]]:
    """Each output of a held or approved review not yet done."""
    from qms_review import due

    return due.items([r for state in TRACKED for r in query(form=FORM, state=state)])


@hookimpl
def qms_figures(query: RecordQuery, now: datetime) -> list[dict[str, Any]]:
    """Reviews held this year, open outputs."""
    from qms_review import figures

    return figures.review_dashboard(query, now)


@hookimpl
def qms_render_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """The minutes with the gathered figures as charts."""
    from qms_review import layout

    return layout.render(record, form)


@hookimpl
def qms_web_pages() -> list[dict[str, str]]:
    """The management review board in the web workspace."""
    from qms_review import board

    return [board.PAGE]


@hookimpl
def qms_web_page(slug: str, query: RecordQuery, now: datetime) -> dict[str, Any] | None:
    """The reviews and their open outputs."""
    from qms_review import board

    return board.page(query, now) if slug == board.SLUG else None


@hookimpl
def qms_register_commands(cli: click.Group) -> None:
    """``qms review``."""
    # Listed by `qms --help` from this line; the command module is imported only when it is used.
    cli.add_command(api.LazyCommand("review", "qms_review.cli:review",
                                    "Management review (管理评审, QP-9.3-01): inputs gathered from the system, "
                                    "outputs tracked to done."))
