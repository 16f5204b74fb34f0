"""The hook implementations of the equipment plugin: each one hands plain data to a module named after its noun."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from qms import api
from qms.api import FormBinding, hookimpl, Procedure, RecordQuery, Registry


if TYPE_CHECKING:
    import click

PROCEDURE = Procedure(number="QP-7.1-01", title="设备管理程序", title_en="Equipment Control", owner="设备科", slug="equipment")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the Equipment Control procedure."""
    registry.add_procedure(PROCEDURE)


@hookimpl
def qms_register_forms(registry: Registry) -> None:
    """Bind the six equipment forms to the procedure."""
    from qms_equipment.register import ALL_FORMS

    for number in ALL_FORMS:
        registry.add_form(FormBinding(number=number, procedure=PROCEDURE.number))


@hookimpl
def qms_register_workflows(registry: Registry) -> None:
    """Declare the six workflows (the card's states are the equipment statuses)."""
    from qms_equipment.workflow import workflows

    for workflow in workflows():
        registry.add_workflow(workflow)


@hookimpl
def qms_validate_record(form: str, data: dict[str, Any], record: dict[str, Any] | None,
                        query: RecordQuery) -> list[dict[str, str]]:
    """Numbering, ¥2,000 approval, joint acceptance, calibration, deferral and scrapping rules."""
    from qms_equipment.register import ALL_FORMS
    from qms_equipment.rules import validate

    return validate(form, data, record, query, api.now().date()) if form in ALL_FORMS else []


@hookimpl
def qms_check_transition(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """The scrapping order, closing a failed calibration, repaired equipment, who approves a purchase."""
    from qms_equipment.rules import vetoes

    return vetoes(record, target, actor)


@hookimpl
def qms_after_save(record: dict[str, Any], action: str, previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A purchase of ¥2,000 or more waits for approval from its filing; a 重大 accident is announced."""
    from qms_equipment.effects import saved

    return saved(record, action, previous)


@hookimpl
def qms_after_transition(record: dict[str, Any], source: str, actor: dict[str, Any],
                         query: RecordQuery) -> list[dict[str, Any]]:
    """Move the equipment card after calibrations, repairs and scrapping."""
    from qms_equipment.effects import after

    return after(record, source, query)


@hookimpl
def qms_check_reference(kind: str, ref: str, when: str, query: RecordQuery) -> list[str]:
    """Refuse equipment that is 停用, 维修, 封存 or 报废 (status in effect) named as used in a new record."""
    from qms_equipment.usage import refusals

    return refusals(kind, ref, when, query, api.now().date())


@hookimpl
def qms_due_items(query: RecordQuery, now: datetime) -> list[dict[str, Any]]:
    """Calibration reminders (联络单) and planned maintenance."""
    from qms_equipment.due import items

    return items(query, now)


@hookimpl
def qms_figures(query: RecordQuery, now: datetime) -> list[dict[str, Any]]:
    """完好率, on-time calibration rate, overdue count, breakdown downtime."""
    from qms_equipment.figures import figures

    return figures(query, now)


@hookimpl
def qms_render_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """Calibration records show their computed next due date; other equipment records use the generic layout."""
    from qms_equipment.layout import calibration_record_html

    return calibration_record_html(record, form)


@hookimpl
def qms_register_commands(cli: click.Group) -> None:
    """Add the ``qms equipment`` group."""
    # Listed by `qms --help` from this line; the command module is imported only when it is used.
    cli.add_command(api.LazyCommand("equipment", "qms_equipment.cli:equipment",
                                    "Equipment control (设备管理 QP-7.1-01): register, status, calibration, due list, "
                                    "cards and labels."))




@hookimpl
def qms_web_pages() -> list[dict[str, str]]:
    """The calibration board in the web workspace."""
    from qms_equipment.board import PAGE

    return [PAGE]


@hookimpl
def qms_web_page(slug: str, query: RecordQuery, now: datetime) -> dict[str, Any] | None:
    """The calibration board."""
    from qms_equipment import board

    return board.page(query, now) if slug == board.SLUG else None


@hookimpl
def qms_reference_choices(kind: str, query: RecordQuery) -> list[dict[str, str]]:
    """Equipment numbers for the maintenance, calibration and project records that name instruments."""
    from qms_equipment import board

    return board.choices(kind, query)
