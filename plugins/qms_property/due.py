"""Property deadlines the workflow declarations cannot express, as due items.

Their limits come from ``qms.toml`` and are stored on each repair order when it is opened, so an
order keeps the limits it was opened under:

* repair first response and arrival, per urgency, from registration;
* the return visit, from completion;
* service-line requests answered or escalated the same day;
* a yellow pass's expiry date, while the pass is out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


from qms.api import WorkCalendar

from qms_property import timing
from qms_property.forms import LINE, PASS, REPAIR, REQUEST

OWNER = "物业管理部"


def _item(record: dict[str, Any], deadline: str, title: str, due: datetime, now: datetime, **extra: Any) -> dict[str, Any]:
    return {"kind": "record", "ref": record["number"], "title": title, "due": due.isoformat(), "owner": OWNER,
            "dept": record.get("dept", "") or OWNER, "overdue": now > due, "deadline": deadline,
            "form": record["form"], "state": record["state"], **extra}


def repair_items(record: dict[str, Any], now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """The open response, arrival and return-visit deadlines of one repair order."""
    if record.get("closed"):
        return []
    data = record["data"]
    where = f"{data.get('building', '')} {data.get('unit', '')}".strip()
    limits = timing.limits_of(data)
    items = []
    for what, done, zh, en in (("response", "responded_at", "首次响应", "First response"),
                               ("arrival", "arrived_at", "到场", "Arrival")):
        due = timing.due(data, what, calendar)
        if due is not None and not data.get(done):
            items.append(_item(record, f"repair.{what}", f"{data.get('urgency', '')}报修{zh} {en} ({limits[what]}) — {where}",
                               due, now, limit=limits[what]))
    if data.get("completed_at") and not data.get("visited_at"):
        due = timing.due(data, "visit", calendar)
        if due is not None:
            items.append(_item(record, "repair.visit", f"维修回访 Return visit ({limits['visit']}) — {where}", due, now,
                               limit=limits["visit"]))
    return items


def request_items(record: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """A service-line request not yet answered, escalated, dispatched or handed over: due the same day."""
    data = record["data"]
    if record.get("closed") or data.get("channel") != LINE:
        return []
    if any(data.get(k) for k in ("answered_at", "escalated_at", "repair_order", "complaint_record")):
        return []
    received = timing.parse(data.get("received_at"))
    if received is None:
        return []
    return [_item(record, "request.same_day", f"热线请求当日答复或升级 Service-line request answered or escalated the same day "
                                              f"— {data.get('building', '')} {data.get('request_type', '')}",
                  timing.end_of_day(received), now, limit="same day")]


def pass_items(record: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """An issued pass with an expiry date: due on that date (after it, the pass is past its period)."""
    data = record["data"]
    until = timing.parse(data.get("valid_until"))
    if record.get("state") != "issued" or until is None:
        return []
    item = _item(record, "pass.expiry", f"通行证到期 Pass expires — {data.get('plate', '')} "
                                        f"({data.get('applicant', '')}, 承办部门 {data.get('handling_dept', '')})",
                 timing.end_of_day(until), now)
    item["dept"] = data.get("handling_dept") or item["dept"]
    return [item]


def items(query: Any, now: datetime, calendar: WorkCalendar | None = None) -> list[dict[str, Any]]:
    """Every open property deadline at ``now``."""
    cal = calendar or WorkCalendar()
    out: list[dict[str, Any]] = []
    for record in query(form=REPAIR):
        out += repair_items(record, now, cal)
    for record in query(form=REQUEST):
        out += request_items(record, now)
    for record in query(form=PASS):
        out += pass_items(record, now)
    return out
