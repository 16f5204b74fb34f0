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


from qms import api
from qms.api import WorkCalendar

from qms_property.config import DEFAULT_LIMITS, DEFAULT_VISIT
from qms_property.forms import LINE, PASS, REPAIR, REQUEST

OWNER = "物业管理部"


def limits_of(data: dict[str, Any]) -> dict[str, str]:
    """The limits a repair order was opened under (stored on it), else the procedure's defaults."""
    stored = data.get("limits") or {}
    base = DEFAULT_LIMITS.get(str(data.get("urgency")), DEFAULT_LIMITS["一般"])
    return {"response": stored.get("response") or base["response"], "arrival": stored.get("arrival") or base["arrival"],
            "visit": stored.get("visit") or DEFAULT_VISIT}


def due_at(data: dict[str, Any], what: str, calendar: WorkCalendar | None = None) -> datetime | None:
    """When a repair order's ``response``, ``arrival`` or ``visit`` falls due (stored, else from its limit)."""
    stored = api.parse_time(data.get(f"{what}_due"))
    if stored is not None:
        return stored
    start = api.parse_time(data.get("completed_at" if what == "visit" else "reported_at"))
    if start is None:
        return None
    return (calendar or WorkCalendar()).due(start, limits_of(data)[what])


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
    limits = limits_of(data)
    items = []
    for what, done, zh, en in (("response", "responded_at", "首次响应", "First response"),
                               ("arrival", "arrived_at", "到场", "Arrival")):
        due = due_at(data, what, calendar)
        if due is not None and not data.get(done):
            items.append(_item(record, f"repair.{what}", f"{data.get('urgency', '')}报修{zh} {en} ({limits[what]}) — {where}",
                               due, now, limit=limits[what]))
    if data.get("completed_at") and not data.get("visited_at"):
        due = due_at(data, "visit", calendar)
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
    received = api.parse_time(data.get("received_at"))
    if received is None:
        return []
    return [_item(record, "request.same_day", f"热线请求当日答复或升级 Service-line request answered or escalated the same day "
                                              f"— {data.get('building', '')} {data.get('request_type', '')}",
                  api.end_of_day(received), now, limit="same day")]


def pass_items(record: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """An issued pass with an expiry date: due on that date (after it, the pass is past its period)."""
    data = record["data"]
    until = api.parse_time(data.get("valid_until"))
    if record.get("state") != "issued" or until is None:
        return []
    item = _item(record, "pass.expiry", f"通行证到期 Pass expires — {data.get('plate', '')} "
                                        f"({data.get('applicant', '')}, 承办部门 {data.get('handling_dept', '')})",
                 api.end_of_day(until), now)
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
