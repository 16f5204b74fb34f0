"""HTML bodies for the PDFs: the complaint with its severity box, and the monthly complaint analysis.

The complaint starts from the core's generic layout (every field, bilingual labels, values escaped)
and adds the severity box above it: the level in force, the computed minimum and its triggers. The
HTML is in ``templates/severity.html.j2`` and ``templates/report.html.j2`` (charts from
``templates/charts.html.j2``); this module only gathers the values, and the templates escape every
value typed by a user.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from qms import api
from qms.api import generic_record_html, parse_time

from qms_complaints import severity
from qms_complaints.figures import bar_chart, share_gauge
from qms_complaints.forms import COMPLAINT, closed_time


def complaint_html(record: dict[str, Any], form: dict[str, Any]) -> str:
    """The severity box, as of closing (or as recorded while open), above the generic layout of the pinned form."""
    data = record.get("data") or {}
    at = closed_time(record) if record.get("closed") else parse_time(data.get("escalated_at"))
    found = severity.assess(data, at)
    raised = ""
    if severity.rank(data.get("severity")) > severity.rank(found.level):
        raised = f"人工提高 Raised by a person: {data.get('severity_reason', '')}"
    return str(api.templates("qms_complaints").render(
        "severity.html.j2", level=severity.label(severity.higher(found.level, data.get("severity"))),
        computed=severity.label(found.level), triggers=found.triggers, raised=raised,
        body=Markup(generic_record_html(record, form))))


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _days(days: float | None) -> str:
    return "—" if days is None else f"{days:.2f} 天 days"


def _count(tally: dict[str, Any]) -> str:
    return f"{tally['within']}/{tally['total']}"


def report_html(report: dict[str, Any]) -> str:
    """The monthly analysis: summary, counts with charts, times, hand-offs, analyses, open and overdue, recurring causes."""
    t, h, a = report["time_to_close"], report["handoff"], report["analysis"]
    return str(api.templates("qms_complaints").render(
        "report.html.j2", start=report["start"], end=report["end"], as_of=report["as_of"],
        summary=[report["received"], report["closed"], report["open"], report["overdue"], _days(t["mean_days"]),
                 _days(t["p90_days"]), _pct(h["both"]["share"]), _pct(a["share"])],
        by_category=bar_chart(report["by_category"]), by_severity=bar_chart(report["by_severity"]),
        by_dept=bar_chart(report["by_dept"]), by_responsible_dept=bar_chart(report["by_responsible_dept"]),
        by_sub_category=[[b["label"], b["value"]] for b in report["by_sub_category"]],
        closed=[[r["number"], r["customer"], r["branch"], r["level"], f"{r['days']:.2f}"] for r in t["closed"]],
        registration=share_gauge(h["registration"]["share"], detail=_count(h["registration"])),
        assignment=share_gauge(h["assignment"]["share"], detail=_count(h["assignment"])),
        analysis=share_gauge(a["share"], detail=_count(a)),
        analyses=[[r["number"], api.show_time(r["arrived"]), api.show_time(r["due"]), api.show_time(r["completed"]),
                   r["outcome"]] for r in a["items"]],
        open_list=[[r["number"], r["customer"], f"{r['category']}/{r['sub_category'] or '—'}", r["level"], r["state"],
                    f"{r['age_days']:.1f}", "；".join(r["overdue"])] for r in report["open_list"]],
        causes=[[r["cause"], r["count"], r["complaints"], "；".join(r["examples"])] for r in report["recurring_causes"]],
        problems=[[r["problem"], r["count"], r["complaints"]] for r in report["recurring_problems"]],
        satisfaction=bar_chart(report["satisfaction"]), visits=report["visits"]))


def render(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """This procedure's layout for a complaint; ``None`` leaves other forms to the next renderer."""
    if record.get("form") != COMPLAINT:
        return None
    return complaint_html(record, form)


__all__ = ["complaint_html", "render", "report_html"]
