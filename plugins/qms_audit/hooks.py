"""The hook implementations of the internal audit plugin; each hands plain data to a module named after its noun."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from qms import api
from qms.api import FormBinding, Procedure, Registry, WorkCalendar, hookimpl

if TYPE_CHECKING:
    import click

PROCEDURE = Procedure(number="QP-9.2-01", title="内部审核程序", title_en="Internal Audit", owner="质量管理部",
                      slug="audit")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the internal audit procedure."""
    registry.add_procedure(PROCEDURE)


@hookimpl
def qms_register_forms(registry: Registry) -> None:
    """Bind the programme (QR-9.2-01) and the audit record (QR-9.2-02) to QP-9.2-01."""
    from qms_audit.workflow import AUDIT, PROGRAMME

    for number in (PROGRAMME, AUDIT):
        registry.add_form(FormBinding(number=number, procedure=PROCEDURE.number))


@hookimpl
def qms_register_workflows(registry: Registry) -> None:
    """The programme's and the audit's states and moves."""
    from qms_audit.workflow import WORKFLOWS

    for workflow in WORKFLOWS:
        registry.add_workflow(workflow)


@hookimpl
def qms_validate_record(form: str, data: dict[str, Any], query: Any) -> list[dict[str, str]]:
    """Planned audits within the year; an audit's programme approved and planning it; findings numbered once,
    within the audited clauses, responses dated."""
    from qms_audit.rules import problems

    return problems(form, data, query)


@hookimpl
def qms_check_transition(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """The auditor issues the report; an audit closes only with every nonconformity answered."""
    from qms_audit.rules import vetoes

    return vetoes(record, target, actor)


@hookimpl
def qms_after_save(record: dict[str, Any], previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A finding saved as 严重 or 一般 opens a nonconformity report (NCR), once; an observation opens none."""
    from qms_audit.grades import nonconformity_effects
    from qms_audit.workflow import AUDIT

    return nonconformity_effects(record, previous) if record.get("form") == AUDIT else []


@hookimpl
def qms_due_items(query: Any, now: datetime, calendar: WorkCalendar, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Planned audits not yet reported, and nonconformities awaiting the audited department's response."""
    from qms_audit.due import items

    return items(query, now, calendar, settings)


@hookimpl
def qms_figures(query: Any, now: datetime) -> list[dict[str, Any]]:
    """Programme status and findings by grade and department (read by the management review)."""
    from qms_audit.figures import dashboard

    return dashboard(query, now)


@hookimpl
def qms_render_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """The audit record with its checklist and findings as tables."""
    from qms_audit.layout import record_html

    return record_html(record, form)


@hookimpl
def qms_register_commands(cli: click.Group) -> None:
    """Add ``qms audit``."""
    # Listed by `qms --help` from this line; the command module is imported only when it is used.
    cli.add_command(api.LazyCommand("audit", "qms_audit.cli:audit",
                                    "内部审核 Internal audit (QP-9.2-01): programme, audits, checklists, findings, reports."))


@hookimpl
def qms_web_pages() -> list[dict[str, str]]:
    """The internal audit board in the web workspace."""
    from qms_audit.board import PAGE

    return [PAGE]


@hookimpl
def qms_web_page(slug: str, query: Any, now: datetime, calendar: WorkCalendar,
                 settings: dict[str, Any]) -> dict[str, Any] | None:
    """The programme's status, open findings and recent audits."""
    from qms_audit import board

    return board.page(query, now, calendar, settings) if slug == board.SLUG else None
