"""The complaint figures: the dashboard figures (``qms_figures``) and the geometry of the report's charts.

``dashboard(query, now, calendar)`` gives the figures of the month containing ``now``;
``figures(report)`` turns one monthly report (``report.monthly``) into them. ``bar_chart`` and
``share_gauge`` measure the PDF report's horizontal bars and share gauges as plain numbers and
texts; ``templates/charts.html.j2`` draws them, with their titles, as inline SVG (no charting
library), escaping every label.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms.api import RecordQuery, WorkCalendar

from qms_complaints import report
from qms_complaints.forms import COMPLAINT, VISIT

FONT = "Noto Sans CJK SC, Noto Sans CJK, sans-serif"
BAR = "#1f3b63"
LATE = "#b00000"
#: Height of a gauge: its title line and one bar.
GAUGE_HEIGHT = 44


def bar_chart(bars: list[dict[str, Any]], *, width: int = 480, row: int = 18, label_width: int = 170) -> dict[str, Any]:
    """A horizontal bar chart of ``[{"label", "value"}]``: each bar's place and length, its value after it."""
    top = max((float(b["value"]) for b in bars), default=0.0) or 1.0
    span = width - label_width - 40
    drawn = []
    for i, bar in enumerate(bars):
        y = 24 + i * row
        length = round(span * float(bar["value"]) / top, 1)
        drawn.append({"label": _short(str(bar["label"])), "label_x": label_width - 6, "text_y": y + row - 6,
                      "x": label_width, "y": y + 2, "width": length, "height": row - 5,
                      "value": _num(bar["value"]), "value_x": label_width + length + 4})
    return {"width": width, "height": 24 + max(len(bars), 1) * row + 6, "font": FONT, "colour": BAR, "bars": drawn}


def share_gauge(share: float | None, *, detail: str, width: int = 480) -> dict[str, Any]:
    """One bar split into the share done in time (blue) and late (red), with the percentage; no bar without a share."""
    gauge: dict[str, Any] = {"detail": detail, "width": width, "height": GAUGE_HEIGHT, "font": FONT, "share": share}
    if share is None:
        return gauge
    span = width - 150
    done = round(span * share, 1)
    return {**gauge, "done": done, "rest": round(span - done, 1), "colour": BAR, "late": LATE,
            "percent": f"{share * 100:.1f}", "percent_x": span + 6, "detail_x": span + 50}


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def figures(monthly: dict[str, Any]) -> list[dict[str, Any]]:
    """The dashboard figures of one monthly report (``qms_figures`` shape).

    ``bar`` data is ``[{"label", "value"}]``; ``number`` data is ``{"value", "unit"}`` (``None`` when
    there is nothing to measure); ``table`` data is ``{"columns": [...], "rows": [[...]]}``.
    """
    m = monthly["month"]
    t = monthly["time_to_close"]
    return [
        {"id": "complaints.by_category", "title": f"投诉类别 Complaints by category ({m})", "kind": "bar",
         "data": monthly["by_category"]},
        {"id": "complaints.by_severity", "title": f"严重程度 Complaints by severity ({m})", "kind": "bar",
         "data": monthly["by_severity"]},
        {"id": "complaints.by_dept", "title": f"主办部门 Complaints by handling department ({m})", "kind": "bar",
         "data": monthly["by_dept"]},
        {"id": "complaints.received", "title": f"收到投诉 Complaints received ({m})", "kind": "number",
         "data": {"value": monthly["received"], "unit": "件 complaints"}},
        {"id": "complaints.time_to_close.mean", "title": f"平均结案时间 Mean time to close ({m})", "kind": "number",
         "data": {"value": t["mean_days"], "unit": "天 days"}},
        {"id": "complaints.time_to_close.p90", "title": f"90% 分位结案时间 90th-percentile time to close ({m})",
         "kind": "number", "data": {"value": t["p90_days"], "unit": "天 days"}},
        {"id": "complaints.handoff_30min", "title": f"30 分钟内登记并分派 Hand-offs within 30 min ({m})", "kind": "number",
         "data": {"value": _pct(monthly["handoff"]["both"]["share"]), "unit": "%"}},
        {"id": "complaints.analysis_7wd", "title": f"7 个工作日内完成退货分析 Analyses within 7 working days ({m})",
         "kind": "number", "data": {"value": _pct(monthly["analysis"]["share"]), "unit": "%"}},
        {"id": "complaints.open", "title": f"未结案及逾期 Open and overdue (as of {monthly['as_of'][:16]})", "kind": "table",
         "data": {"columns": ["编号 No.", "客户 Customer", "类别 Category", "级别 Level", "状态 State", "天数 Days", "逾期 Overdue"],
                  "rows": [[r["number"], r["customer"], f"{r['category']}/{r['sub_category'] or '—'}", r["level"], r["state"],
                            r["age_days"], "; ".join(r["overdue"])] for r in monthly["open_list"]]}},
        {"id": "complaints.recurring_causes", "title": "反复出现的原因 Recurring causes (12 months)", "kind": "table",
         "data": {"columns": ["原因类别 Cause", "次数 Count", "投诉 Complaints"],
                  "rows": [[r["cause"], r["count"], ", ".join(r["complaints"])] for r in monthly["recurring_causes"]]}},
    ]


def dashboard(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """The figures of the monthly analysis of the month containing ``now``."""
    return figures(report.monthly(query(form=COMPLAINT), query(form=VISIT), f"{now:%Y-%m}", now, calendar))


__all__ = ["bar_chart", "dashboard", "figures", "share_gauge"]
