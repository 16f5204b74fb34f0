"""The hook implementations of the training plugin; each hands plain data to a module."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qms import api
from qms.api import FormBinding, Procedure, RecordQuery, Registry, WorkCalendar, hookimpl

from qms_training import due, figures, layout, rules, workflow

if TYPE_CHECKING:
    import click

PROCEDURE = Procedure(number="QP-7.2-01", title="培训管理程序", title_en="Training and Competence",
                      owner="人力资源部", slug="training")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the training procedure."""
    registry.add_procedure(PROCEDURE)


@hookimpl
def qms_register_forms(registry: Registry) -> None:
    """Bind the training record form to the procedure."""
    registry.add_form(FormBinding(number=workflow.FORM, procedure=PROCEDURE.number))


@hookimpl
def qms_register_workflows(registry: Registry) -> None:
    """The training record's states and moves."""
    registry.add_workflow(workflow.WORKFLOW)


@hookimpl
def qms_validate_record(form: str, data: dict[str, Any]) -> list[dict[str, str]]:
    """Cross-field rules of a training record."""
    return rules.problems(data) if form == workflow.FORM else []


@hookimpl
def qms_check_transition(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """Refuse an evaluation by the trainer."""
    return rules.vetoes(record, target, actor) if record.get("form") == workflow.FORM else []


@hookimpl
def qms_due_items(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """Effectiveness evaluations not yet made."""
    return due.items(query(form=workflow.FORM, state="held"), now, calendar)


@hookimpl
def qms_figures(query: RecordQuery) -> list[dict[str, Any]]:
    """Trainings per department."""
    return [figures.per_department(query(form=workflow.FORM))]


@hookimpl
def qms_render_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """The attendance sheet layout of a training record."""
    return layout.record_html(record, form) if record.get("form") == workflow.FORM else None


@hookimpl
def qms_check_workspace(root: Path) -> list[str]:
    """The workspace holds this plugin's form."""
    return [] if (root / "forms" / f"{workflow.FORM}.yaml").is_file() else [
        f"forms/{workflow.FORM}.yaml is missing; copy it from the qms_training package's forms/ folder"]


@hookimpl
def qms_register_commands(cli: click.Group) -> None:
    """``qms training …``."""
    # Listed by `qms --help` from this line; the command module is imported only when it is used.
    cli.add_command(api.LazyCommand("training", "qms_training.cli:training", "Training records (培训记录, QP-7.2-01)."))
