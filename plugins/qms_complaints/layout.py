"""The complaint's record layout: a severity box (level in force, computed level, triggers) above the form's sections."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from qms.api import generic_record_html

from qms_complaints import severity
from qms_complaints.forms import COMPLAINT, closed_time, parse_time


def severity_box(record: dict[str, Any]) -> Markup:
    """The level in force and why, as of closing (or as recorded while open)."""
    data = record.get("data") or {}
    at = closed_time(record) if record.get("closed") else parse_time(data.get("escalated_at"))
    found = severity.assess(data, at)
    level = severity.higher(found.level, data.get("severity"))
    rows = Markup("").join(Markup("<li>{} — {}</li>").format(lvl, text) for lvl, text in found.triggers) or Markup(
        "<li>无触发条件 No trigger applies</li>")
    raised = ""
    if severity.rank(data.get("severity")) > severity.rank(found.level):
        raised = f"人工提高 Raised by a person: {data.get('severity_reason', '')}"
    return Markup(
        '<section class="form-section"><h3>严重程度判定 Severity</h3><table class="fields">'
        "<tr><th>执行级别 Level in force</th><td><b>{}</b></td></tr>"
        "<tr><th>系统计算级别（最低） Computed level (minimum)</th><td>{}</td></tr>"
        "<tr><th>触发条件 Triggers</th><td><ul>{}</ul>{}</td></tr></table></section>"
    ).format(severity.label(level), severity.label(found.level), rows, escape(raised))


def complaint_html(record: dict[str, Any], form: dict[str, Any]) -> str:
    """The severity box followed by the generic section layout of the pinned form."""
    return str(severity_box(record)) + generic_record_html(record, form)


def render(record: dict[str, Any], form: dict[str, Any]) -> str | None:
    """This procedure's layout for a complaint; ``None`` leaves other forms to the next renderer."""
    if record.get("form") != COMPLAINT:
        return None
    return complaint_html(record, form)


__all__ = ["complaint_html", "render", "severity_box"]
