"""The hook implementations of the property plugin: each one hands plain data to a module named after its noun."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from qms import api
from qms.api import FormBinding, hookimpl, Procedure, Registry, WorkCalendar


if TYPE_CHECKING:
    import click

PROCEDURE = Procedure(number="QP-8.5-01", title="物业服务程序", title_en="Property Services", owner="物业管理部", slug="property")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the Property Services procedure."""
    registry.add_procedure(PROCEDURE)


@hookimpl
def qms_register_forms(registry: Registry) -> None:
    """Bind QR-8.5-01 … QR-8.5-04 to QP-8.5-01."""
    from qms_property.forms import FORMS

    for number in FORMS:
        registry.add_form(FormBinding(number=number, procedure=PROCEDURE.number))


@hookimpl
def qms_register_workflows(registry: Registry) -> None:
    """Declare the request, repair-order, return-visit and pass workflows."""
    from qms_property.workflow import WORKFLOWS

    for workflow in WORKFLOWS:
        registry.add_workflow(workflow)


@hookimpl
def qms_validate_record(form: str, data: dict[str, Any], record: dict[str, Any] | None) -> list[dict[str, str]]:
    """Cross-field rules of the four forms."""
    from qms_property.rules import problems

    return problems(form, data, record)


@hookimpl
def qms_check_transition(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """Vetoes: voucher, charge, timely resolved return visit, deposit, refund only for a returned pass."""
    from qms_property.rules import vetoes

    return vetoes(record, target)


@hookimpl
def qms_after_save(record: dict[str, Any]) -> list[dict[str, Any]]:
    """From the first save: a repair order records how late its first response and arrival were."""
    from qms_property.lateness import effects

    return effects(record)


@hookimpl
def qms_after_transition(record: dict[str, Any], source: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
    """Close linked records and tell the service-centre director about unresolved visits."""
    from qms_property.effects import after

    return after(record, source)


@hookimpl
def qms_due_items(query: Any, now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """Repair response/arrival/visit limits, same-day service-line answers, pass expiry."""
    from qms_property.due import items

    return items(query, now, calendar)


@hookimpl
def qms_figures(query: Any, now: datetime, calendar: WorkCalendar, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Open requests, answer rate, overdue repairs, times, satisfaction, passes and deposits."""
    from qms_property.figures import dashboard

    return dashboard(query, now, calendar, settings)


@hookimpl
def qms_render_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """The repair order with its service voucher, and the printable pass card."""
    from qms_property.layout import render

    return render(record, form)


@hookimpl
def qms_register_commands(cli: click.Group) -> None:
    """Add ``qms property``."""
    # Listed by `qms --help` from this line; the command module is imported only when it is used.
    cli.add_command(api.LazyCommand("property", "qms_property.cli:property_group",
                                    "物业服务 Property services (QP-8.5-01): requests, repairs, return visits, "
                                    "vehicle passes."))




@hookimpl
def qms_web_pages() -> list[dict[str, str]]:
    """The pass and repair desk in the web workspace."""
    from qms_property.board import PAGE

    return [PAGE]


@hookimpl
def qms_web_page(slug: str, query: Any, now: datetime, calendar: WorkCalendar) -> dict[str, Any] | None:
    """The pass and repair desk."""
    from qms_property import board

    return board.page(query, now, calendar) if slug == board.SLUG else None
