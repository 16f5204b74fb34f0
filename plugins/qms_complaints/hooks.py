"""The plugin's hook implementations: thin calls into the plain modules of this package."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any


from qms import api
from qms.api import FormBinding, hookimpl, Procedure, RecordQuery, Registry, WorkCalendar

# The modules behind each hook are imported inside it: every start of `qms` (`qms --help` too)
# imports this file, and only the hooks a command calls should cost it anything.
from qms_complaints.forms import COMPLAINT, FORMS, PROCEDURE, VISIT
from qms_complaints.workflow import COMPLAINT_WORKFLOW, VISIT_WORKFLOW, signers

if TYPE_CHECKING:
    import click

PROCEDURE_DECL = Procedure(number=PROCEDURE, title="客户投诉处理程序", title_en="Customer Complaint Handling", owner="品质部",
                           slug="complaints")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the Customer Complaint Handling procedure."""
    registry.add_procedure(PROCEDURE_DECL)


@hookimpl
def qms_register_forms(registry: Registry) -> None:
    """QR-8.2-01 客户投诉处理报告 and QR-8.2-02 客户回访记录."""
    for number in FORMS:
        registry.add_form(FormBinding(number=number, procedure=PROCEDURE))


@hookimpl
def qms_register_workflows(registry: Registry) -> None:
    """The complaint workflow with both branches, and the visit record's."""
    registry.add_workflow(COMPLAINT_WORKFLOW)
    registry.add_workflow(VISIT_WORKFLOW)


@hookimpl
def qms_validate_record(form: str, data: dict[str, Any], record: dict[str, Any] | None) -> list[dict[str, str]]:
    """Severity never below the computed level, dates in order, routing, dissatisfied visits."""
    from qms_complaints import rules

    return rules.problems(form, data, record)


@hookimpl
def qms_check_transition(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """Branch by responsibility, returned goods analysed, verifier owns no action, closing rules."""
    from qms_complaints import rules

    return rules.vetoes(record, target, actor)


@hookimpl
def qms_transition_signers(record: dict[str, Any], target: str) -> dict[str, list[str]] | None:
    """The reply to a 重大/特殊重大 complaint is approved by the 总经理 or the 管理者代表."""
    return signers(record, target)


@hookimpl
def qms_after_transition(record: dict[str, Any], source: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
    """Route by nature, fingerprint the approved reply, escalate and notify 总经理."""
    from qms_complaints import effects

    return effects.effects(record, source, api.now())


@hookimpl
def qms_after_save(record: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """From the first save: the level in force is written and 总经理 told of 重大 and above."""
    from qms_complaints import effects

    return effects.saved_effects(record, action, api.now())


@hookimpl
def qms_due_items(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """Returned-goods analysis, 2-month escalation, actions, investigation and follow-up dates."""
    from qms_complaints import due

    return due.due_items(query(form=COMPLAINT), query(form=VISIT), now, calendar)


@hookimpl
def qms_check_reference(kind: str, ref: str, when: str, query: RecordQuery) -> list[str]:
    """A visit names an existing, closed complaint; other records an existing one."""
    from qms_complaints import links

    return links.reference_problems(kind, ref, query)


@hookimpl
def qms_render_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """Complaints get a severity box above the form's sections."""
    from qms_complaints import layout

    return layout.render(record, form)


@hookimpl
def qms_figures(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """The monthly analysis of the month containing ``now``."""
    from qms_complaints import figures

    return figures.dashboard(query, now, calendar)


@hookimpl
def qms_register_commands(cli: click.Group) -> None:
    """``qms complaints``."""
    # Listed by `qms --help` from this line; the command module is imported only when it is used.
    cli.add_command(api.LazyCommand("complaints", "qms_complaints.cli:complaints",
                                    "Customer complaints (客户投诉, QP-8.2-01): monthly analysis, escalation, "
                                    "follow-up visits."))




@hookimpl
def qms_web_pages() -> list[dict[str, str]]:
    """The complaints board in the web workspace."""
    from qms_complaints import board

    return [board.PAGE]


@hookimpl
def qms_web_page(slug: str, query: RecordQuery, now: datetime, calendar: WorkCalendar) -> dict[str, Any] | None:
    """This month's complaints board."""
    from qms_complaints import board

    return board.page(query, now, calendar) if slug == board.SLUG else None


@hookimpl
def qms_reference_choices(kind: str, query: RecordQuery) -> list[dict[str, str]]:
    """Complaint numbers for the follow-up visit's and the CAPA's complaint fields."""
    from qms_complaints import board

    return board.choices(kind, query)
