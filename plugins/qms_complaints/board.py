"""The complaints board of the web workspace: this month's analysis and the open complaints, as plain data.

The figures are the monthly report's (``report.monthly``) for the month containing now, so the
board and ``qms complaints report`` never disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms.api import RecordQuery, WorkCalendar, show_time

from qms_complaints import report
from qms_complaints.forms import COMPLAINT, VISIT

SLUG = "complaints"
PAGE = {"slug": SLUG, "title": "客户投诉月报", "title_en": "Complaints this month"}


def page(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
    """The board: the month's counts, the open complaints (overdue marked) and the month by category."""
    month = report.monthly(query(form=COMPLAINT), query(form=VISIT), now.strftime("%Y-%m"), now, calendar)
    open_rows = [[{"text": r["number"], "record": r["number"]}, r["customer"], r["category"], r["level"], r["state"],
                  show_time(r["received_at"]), f"{r['age_days']:.1f}",
                  {"text": "、".join(r["overdue"]), "tone": "late"} if r["overdue"] else ""]
                 for r in month["open_list"]]
    return {
        "intro": f"{month['month']} · 截至 as of {show_time(month['as_of'])}",
        "figures": [{"label": "本月接收 Received", "value": month["received"]},
                    {"label": "本月结案 Closed", "value": month["closed"]},
                    {"label": "未结案 Open", "value": month["open"]},
                    {"label": "逾期 Overdue", "value": month["overdue"]}],
        "sections": [
            {"title": "未结案投诉 Open complaints",
             "columns": ["编号 Number", "客户 Customer", "类别 Category", "级别 Level", "状态 State",
                         "接收 Received", "天数 Days", "逾期 Overdue"],
             "rows": open_rows, "empty": "没有未结案的投诉 No open complaints"},
            {"title": "本月按类别 This month by category", "columns": ["类别 Category", "件数 Count"],
             "rows": [[b["label"], b["value"]] for b in month["by_category"]], "empty": "本月没有投诉 None this month"},
        ],
    }


def choices(kind: str, query: RecordQuery) -> list[dict[str, str]]:
    """Complaints a record may name: every one for ``complaint``, the closed ones for ``closed_complaint``."""
    if kind not in ("complaint", "closed_complaint"):
        return []
    found = [r for r in query(form=COMPLAINT) if kind == "complaint" or r.get("closed")]
    return [{"id": r["number"], "label": f"{r['data'].get('customer', '')} · {r.get('state', '')}"}
            for r in sorted(found, key=lambda r: r["number"], reverse=True)]


__all__ = ["PAGE", "SLUG", "choices", "page"]
