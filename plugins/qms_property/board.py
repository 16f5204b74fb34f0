"""The pass desk of the web workspace: vehicle passes waiting, out and to chase, and overdue repair orders, as plain data.

The counts are those of ``qms property status`` (``report.status``); the desk adds the rows a
clerk works through: applications to issue, passes out with their expiry, and repairs overdue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms import api
from qms.api import RecordQuery, WorkCalendar

from qms_property import report
from qms_property.forms import PASS, deposit_held

SLUG = "pass-desk"
PAGE = {"slug": SLUG, "title": "通行证与报修台", "title_en": "Pass and repair desk"}


def _expiry(data: dict[str, Any], now: datetime) -> Any:
    until = api.parse_time(data.get("valid_until"))
    if until is None:
        return "—"
    text = str(data.get("valid_until"))
    return {"text": f"{text} 已过期 expired", "tone": "late"} if api.end_of_day(until) < now else text


def page(query: RecordQuery, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
    """The desk: counts, applications waiting, passes out, overdue repairs."""
    st = report.status(query, now, calendar=calendar)
    passes = sorted(query(form=PASS), key=lambda r: r["number"])
    waiting = [p for p in passes if p["state"] == "applied"]
    out = [p for p in passes if p["state"] == "issued"]
    return {
        "intro": f"截至 as of {api.show_time(now)}",
        "figures": [{"label": "待发证 Applications", "value": len(waiting)},
                    {"label": "在用通行证 Passes out", "value": st["passes"]["out"]},
                    {"label": "已过期未交回 Expired, not back", "value": len(st["passes"]["expired"])},
                    {"label": "押金余额 Deposits held", "value": f"¥{st['passes']['deposits_outstanding']:,.2f}"},
                    {"label": "逾期报修 Overdue repairs", "value": len(st["repairs"]["overdue"])}],
        "sections": [
            {"title": "待发证申请 Applications to issue",
             "columns": ["编号 Number", "申请人 Applicant", "车牌 Plate", "使用期限 Period", "承办部门 Dept"],
             "rows": [[{"text": p["number"], "record": p["number"]}, p["data"].get("applicant", ""),
                       p["data"].get("plate", ""),
                       f"{p['data'].get('period_from', '')} – {p['data'].get('period_until', '')}",
                       p["data"].get("handling_dept", "")] for p in waiting],
             "empty": "没有待发证的申请 No applications waiting"},
            {"title": "在用通行证 Passes out",
             "columns": ["编号 Number", "车牌 Plate", "颜色 Colour", "有效期至 Valid until", "押金 Deposit"],
             "rows": [[{"text": p["number"], "record": p["number"]}, p["data"].get("plate", ""), p["data"].get("colour", ""),
                       _expiry(p["data"], now), f"{deposit_held(p['data']):.2f}"] for p in out],
             "empty": "没有在用的通行证 No passes out"},
            {"title": "逾期报修 Overdue repair orders",
             "columns": ["编号 Number", "楼栋 Building", "紧急程度 Urgency", "逾期环节 Late steps", "期限 Due"],
             "rows": [[{"text": r["number"], "record": r["number"]}, r["building"], r["urgency"],
                       {"text": ", ".join(r["deadlines"]), "tone": "late"}, api.show_time(r["due"])]
                      for r in st["repairs"]["overdue"]],
             "empty": "没有逾期的报修 No overdue repairs"},
        ],
    }


__all__ = ["PAGE", "SLUG", "page"]
