"""Complaint services built on the core's records engine: follow-up visits, escalation, the monthly report.

These are what the CLI and the demo call. They use only the core's services (``qms.records``,
``qms.due``'s calendar, ``qms.render``); the rules they rely on live in the plain modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


from qms import api

from qms_complaints import report, rules
from qms_complaints.forms import COMPLAINT, PROCEDURE, VISIT

if TYPE_CHECKING:
    from qms.api import App
    from qms.api import Page


def complaints(app: App) -> list[dict[str, Any]]:
    """Every complaint record."""
    return api.find_records(app, COMPLAINT)


def visits(app: App) -> list[dict[str, Any]]:
    """Every follow-up visit record."""
    return api.find_records(app, VISIT)


def visits_of(app: App, number: str) -> list[dict[str, Any]]:
    """The follow-up visits that name complaint ``number``."""
    return [v for v in visits(app) if v["data"].get("complaint") == number]


def file_visit(app: App, data: dict[str, Any], *, note: str = "") -> dict[str, Any]:
    """File a follow-up visit on QR-8.2-02; the core refuses it unless the complaint it names is closed."""
    return api.file_record(app, VISIT, data, note=note)


def escalate(app: App, now: Any = None) -> list[dict[str, Any]]:
    """Escalate every open complaint that needs it (2 months open, or a level the general manager was not told of).

    Each is moved to its own state ("升级 Escalate"), so the plugin's effects raise the level and notify
    the general manager through the core, logged in the audit trail. Returns ``{"number", "effects"}``.
    """
    done = []
    at = now or api.now()
    # One unit of work: a refused move undoes the escalations made before it in this run.
    with api.transaction(app):
        for record in complaints(app):
            if record["closed"] or record.get("amended_by") or not rules.escalation_pending(record, at):
                continue
            moved = api.move_record(app, record["number"], record["state"], note="自动升级 automatic escalation")
            done.append({"number": record["number"], "effects": moved["effects"]})
    return done


def monthly_report(app: App, month: str) -> dict[str, Any]:
    """The monthly analysis of ``month`` (YYYY-MM) with the workspace's working-day calendar."""
    calendar = app.calendar
    return report.monthly(complaints(app), visits(app), month, api.now(), calendar)


def report_page(app: App, data: dict[str, Any], generated_by: str = "") -> Page:
    """The monthly report as a controlled PDF page of the core's report renderer."""
    from qms.api import report_page as page
    from qms.api import organisation

    from qms_complaints.layout import report_html

    return page(report_html(data), ref=f"{PROCEDURE}/{data['month']}", title="客户投诉月度统计分析报告",
                title_en="Monthly Customer Complaint Analysis", organisation=organisation(app),
                generated_at=api.stamp(),
                generated_by=generated_by, period=_period(data),
                procedure=PROCEDURE, data=data)


def _period(data: dict[str, Any]) -> str:
    """``2026-10-01 — 2026-10-31``: the first day to the last day measured."""
    from datetime import datetime, timedelta

    last = datetime.fromisoformat(data["as_of"]) - timedelta(seconds=1)
    return f"{data['start'][:10]} — {max(last.date().isoformat(), data['start'][:10])}"


def report_file(month: str) -> str:
    """Where the demo and ``qms render``-style runs put the monthly report, relative to the PDF folder."""
    return f"reports/{PROCEDURE}_{month}.pdf"


__all__ = ["complaints", "escalate", "file_visit", "monthly_report", "report_file", "report_page", "visits", "visits_of"]
