"""Repair limits met late: the first response and the arrival of a repair order (QP-8.5-01 §5.3).

A response or arrival later than its due time (stored on the order from the limits of its
urgency) is allowed, but only with the reason written on the order (``response_late_reason`` /
``arrival_late_reason``); the order then records how many minutes late it was
(``response_late_minutes`` / ``arrival_late_minutes``), kept right when the time is corrected.
On the due time itself is on time.
"""

from __future__ import annotations

import math
from typing import Any

from qms import api

from qms_property.due import due_at, limits_of
from qms_property.forms import REPAIR

#: (limit, the field holding when it was met, zh, en) of the two limits on a repair order.
LIMITS: tuple[tuple[str, str, str, str], ...] = (
    ("response", "responded_at", "首次响应", "first response"),
    ("arrival", "arrived_at", "到场", "arrival"),
)


def minutes_late(data: dict[str, Any], what: str) -> int:
    """Whole minutes (rounded up) by which the order's ``response`` or ``arrival`` missed its due time; 0 if on time."""
    done = api.parse_time(data.get(dict((w, f) for w, f, _, _ in LIMITS)[what]))
    due = due_at(data, what)
    if done is None or due is None:
        return 0
    over = (done - due).total_seconds()
    return math.ceil(over / 60) if over > 0 else 0


def problems(data: dict[str, Any]) -> list[dict[str, str]]:
    """A late response or arrival without its reason, naming the field to give."""
    out = []
    for what, field, zh, en in LIMITS:
        late = minutes_late(data, what)
        reason = f"{what}_late_reason"
        if late and not str(data.get(reason) or "").strip():
            due = due_at(data, what)
            out.append({"path": reason, "message": (
                f"{zh}超时: the {en} at {data[field]} was {late} min after the {limits_of(data)[what]} limit "
                f"(due {due.isoformat() if due else '—'}); give the reason with --set {reason}=…")})
    return out


def effects(record: dict[str, Any]) -> list[dict[str, Any]]:
    """After a repair order is saved: record how late its response and arrival were (or clear a corrected lateness)."""
    if record.get("form") != REPAIR or record.get("closed"):
        return []
    data = record.get("data") or {}
    fields: dict[str, Any] = {}
    reasons = []
    for what, _, zh, en in LIMITS:
        late = minutes_late(data, what) or None
        name = f"{what}_late_minutes"
        if data.get(name) != late:
            fields[name] = late
            reasons.append(f"{zh}超时 {en} late" if late else f"{zh}按时 {en} on time")
    if not fields:
        return []
    return [{"effect": "update", "record": record["number"], "fields": fields, "reason": "；".join(reasons)}]


__all__ = ["LIMITS", "effects", "minutes_late", "problems"]
