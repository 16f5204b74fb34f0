"""The hook implementations of the nonconformity plugin: each hands plain data to a module of this package."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from qms import api
from qms.api import FormBinding, Procedure, RecordQuery, Registry, WorkCalendar, hookimpl

# Only the constants and the workflow declaration are imported here: every start of `qms`
# imports this file, and a hook's modules are imported when it is called.
from qms_ncr.workflow import FORM, PROCEDURE, WORKFLOW

if TYPE_CHECKING:
    import click

PROCEDURE_DECL = Procedure(number=PROCEDURE, title="不合格与纠正措施控制程序", title_en="Nonconformity and Corrective Action",
                           owner="质量管理部", slug="ncr")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the Nonconformity and Corrective Action procedure."""
    registry.add_procedure(PROCEDURE_DECL)


@hookimpl
def qms_register_forms(registry: Registry) -> None:
    """QR-10.2-01 不合格报告及纠正措施单."""
    registry.add_form(FormBinding(number=FORM, procedure=PROCEDURE))


@hookimpl
def qms_register_workflows(registry: Registry) -> None:
    """待处理 → 原因分析 → 措施实施 → 效果验证 → 关闭."""
    registry.add_workflow(WORKFLOW)


@hookimpl
def qms_validate_record(form: str, data: dict[str, Any]) -> list[dict[str, str]]:
    """Cause analysis complete for its method, dates in order, the verifier independent."""
    from qms_ncr import rules

    return rules.problems(form, data)


@hookimpl
def qms_check_transition(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """Every action done before the check; the check signed by someone independent and found effective."""
    from qms_ncr import rules

    return rules.vetoes(record, target, actor)


@hookimpl
def qms_raise_nonconformity(raised: dict[str, Any], query: RecordQuery) -> dict[str, Any] | None:
    """The report to file for a nonconformity another procedure found, once per source record."""
    from qms_ncr import intake

    return intake.report_for(raised, query)


@hookimpl
def qms_due_items(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """The CAPA list: open actions of every source, and effectiveness checks waiting."""
    from qms_ncr import due

    return due.items(query(form=FORM), now, calendar)


@hookimpl
def qms_figures(query: RecordQuery, now: datetime) -> list[dict[str, Any]]:
    """ncr-by-source, ncr-by-state, ncr-open, capa-open, capa-overdue, capa-actions."""
    from qms_ncr import figures

    return figures.figures(query(form=FORM), now)


@hookimpl
def qms_render_record_html(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """The report laid out in the order the work is done."""
    from qms_ncr import layout

    return layout.record_html(record, form)


@hookimpl
def qms_web_pages() -> list[dict[str, str]]:
    """The CAPA board in the web workspace."""
    from qms_ncr import board

    return [board.PAGE]


@hookimpl
def qms_web_page(slug: str, query: RecordQuery, now: datetime, calendar: WorkCalendar) -> dict[str, Any] | None:
    """The CAPA board."""
    from qms_ncr import board

    return board.page(query, now, calendar) if slug == board.SLUG else None


@hookimpl
def qms_reference_choices(kind: str, query: RecordQuery) -> list[dict[str, str]]:
    """Report numbers for a field naming a nonconformity report (``x-ref: nonconformity``)."""
    if kind != "nonconformity":
        return []
    from qms_ncr.due import source_text

    return [{"id": r["number"], "label": f"{source_text(r.get('data') or {})} · {r.get('state', '')}"}
            for r in sorted(query(form=FORM), key=lambda r: r["number"], reverse=True)]


@hookimpl
def qms_register_commands(cli: click.Group) -> None:
    """``qms ncr …``."""
    # Listed by `qms --help` from this line; the command module is imported only when it is used.
    cli.add_command(api.LazyCommand("ncr", "qms_ncr.cli:ncr",
                                    "Nonconformities and corrective action (不合格与纠正措施, QP-10.2-01): register, "
                                    "CAPA list, each step."))
