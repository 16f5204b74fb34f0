"""The property-services status: open requests, overdue repairs, response times, satisfaction, passes, deposits.

``status(query, now)`` computes it from the stored records (``query(form=…)`` as the hooks get it);
``figures.py`` turns it into dashboard figures for ``qms_figures``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from statistics import mean
from typing import Any


from qms import api
from qms.api import WorkCalendar

from qms_property import due as due_items
from qms_property.config import DEFAULT_TARGET
from qms_property.forms import (
    LINE,
    PASS,
    REPAIR,
    REQUEST,
    REQUEST_TYPES,
    SATISFACTION_LEVELS,
    SATISFIED,
    VISIT,
    YELLOW,
    deposit_held,
)


def _closed_at(record: dict[str, Any]) -> str | None:
    for entry in reversed(record.get("history", [])):
        if entry.get("to") == "closed":
            return str(entry.get("at"))
    return None


def _minutes(start: Any, end: Any) -> float | None:
    """Minutes between two stored times (the core measures in hours); ``None`` when either is missing."""
    hours = api.hours_between(start, end)
    return None if hours is None else hours * 60


def _rounded(values: list[float], digits: int = 1) -> float | None:
    return round(mean(values), digits) if values else None


def requests_status(requests: list[dict[str, Any]], target: float) -> dict[str, Any]:
    """Open requests by type and building, and the service line's answer rate from registered calls."""
    open_ = [r for r in requests if not r.get("closed")]
    by_type = Counter(r["data"].get("request_type", "") for r in open_)
    buildings = sorted({r["data"].get("building", "") for r in open_})
    table = []
    for building in buildings:
        row: dict[str, Any] = {"building": building}
        for kind in REQUEST_TYPES:
            row[kind] = sum(1 for r in open_ if r["data"].get("building") == building and r["data"].get("request_type") == kind)
        row["total"] = sum(row[k] for k in REQUEST_TYPES)
        table.append(row)
    calls = [r for r in requests if r["data"].get("channel") == LINE]
    answered = [r for r in calls if r["data"].get("call_answered") is True]
    same_day = 0
    for r in calls:
        received = api.parse_time(r["data"].get("received_at"))
        handled = [api.parse_time(r["data"].get(k)) for k in ("answered_at", "escalated_at")]
        handled_ok = [h for h in handled if h is not None]
        if received is not None and handled_ok and min(handled_ok).date() == received.date():
            same_day += 1
    rate = round(len(answered) / len(calls), 4) if calls else None
    return {
        "open": len(open_), "open_by_type": {k: by_type.get(k, 0) for k in REQUEST_TYPES}, "open_by_building": table,
        "line": {"calls": len(calls), "answered": len(answered), "answer_rate": rate, "target": target,
                 "meets_target": rate is not None and rate >= target, "handled_same_day": same_day},
    }


def repairs_status(repairs: list[dict[str, Any]], now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
    """Open and overdue repair orders, late first responses and arrivals, mean minutes to arrive and hours to close."""
    overdue: list[dict[str, Any]] = []
    late = []
    late_responses = []
    arrive: list[float] = []
    close: list[float] = []
    for r in repairs:
        data = r["data"]
        items = [i for i in due_items.repair_items(r, now, calendar) if i["overdue"]]
        if items:
            overdue.append({"number": r["number"], "building": data.get("building", ""), "urgency": data.get("urgency", ""),
                            "deadlines": [i["deadline"] for i in items], "due": min(i["due"] for i in items)})
        responded = api.parse_time(data.get("responded_at"))
        respond_by = due_items.due_at(data, "response", calendar)
        if responded is not None and respond_by is not None and responded > respond_by:
            late_responses.append(r["number"])
        minutes = _minutes(data.get("reported_at"), data.get("arrived_at"))
        if minutes is not None:
            arrive.append(minutes)
            limit = due_items.due_at(data, "arrival", calendar)
            arrived = api.parse_time(data.get("arrived_at"))
            if limit is not None and arrived is not None and arrived > limit:
                late.append(r["number"])
        closed_at = _closed_at(r) if r.get("closed") else None
        minutes_close = _minutes(data.get("reported_at"), closed_at)
        if minutes_close is not None:
            close.append(minutes_close / 60)
    return {
        "total": len(repairs), "open": sum(1 for r in repairs if not r.get("closed")),
        "by_class": dict(sorted(Counter(r["data"].get("service_class", "") for r in repairs).items())),
        "overdue": overdue, "late_responses": late_responses, "late_arrivals": late,
        "mean_minutes_to_arrive": _rounded(arrive), "mean_hours_to_close": _rounded(close),
        "charged": round(sum(float(r["data"].get("charge") or 0) for r in repairs), 2),
    }


def visits_status(visits: list[dict[str, Any]]) -> dict[str, Any]:
    """Satisfaction at return visits (first visit), the satisfied share and the escalations."""
    levels = Counter(v["data"].get("satisfaction", "") for v in visits)
    satisfied = sum(levels.get(k, 0) for k in SATISFIED)
    return {"visits": len(visits), "satisfaction": {k: levels.get(k, 0) for k in SATISFACTION_LEVELS},
            "satisfied_rate": round(satisfied / len(visits), 4) if visits else None,
            "escalated": sum(1 for v in visits if v["data"].get("escalated_to"))}


def passes_status(passes: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """Passes issued by colour, those out now, expired, lost, and the deposits outstanding, refunded, forfeited."""
    issued = [p for p in passes if p["state"] != "applied"]
    out = [p for p in passes if p["state"] == "issued"]
    expired = [p["number"] for p in out
               if (until := api.parse_time(p["data"].get("valid_until"))) is not None and api.end_of_day(until) < now]
    holding = [p for p in passes if p["state"] in ("issued", "returned")]
    return {
        "issued": len(issued), "issued_by_colour": dict(sorted(Counter(p["data"].get("colour", "") for p in issued).items())),
        "out": len(out), "yellow_out": sum(1 for p in out if p["data"].get("colour") == YELLOW),
        "expired": expired, "lost": [p["number"] for p in passes if p["state"] == "lost"],
        "deposits_outstanding": round(sum(deposit_held(p["data"]) for p in holding), 2),
        "deposits_outstanding_passes": [p["number"] for p in holding if deposit_held(p["data"]) > 0],
        "deposits_refunded": round(sum(float(p["data"].get("refund_amount") or 0) for p in passes), 2),
        "deposits_forfeited": round(sum(deposit_held(p["data"]) for p in passes if p["state"] == "lost"), 2),
    }


def status(query: Any, now: datetime, *, target: float = DEFAULT_TARGET,
           calendar: WorkCalendar | None = None) -> dict[str, Any]:
    """The whole property-services status at ``now``."""
    cal = calendar or WorkCalendar()
    return {
        "now": now.isoformat(),
        "requests": requests_status(query(form=REQUEST), target),
        "repairs": repairs_status(query(form=REPAIR), now, cal),
        "visits": visits_status(query(form=VISIT)),
        "passes": passes_status(query(form=PASS), now),
    }
