"""Time arithmetic of property services: parsing stored times, deadlines from limits, the end of a day."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any


from qms.api import WorkCalendar

from qms_property.config import DEFAULT_LIMITS, DEFAULT_VISIT


def parse(value: Any) -> datetime | None:
    """An ISO date or date-time field value as a naive datetime, or ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=None)


def end_of_day(moment: datetime) -> datetime:
    """23:59:59 of ``moment``'s day: "the same day" of the service line."""
    return datetime.combine(moment.date(), time(23, 59, 59))


def limits_of(data: dict[str, Any]) -> dict[str, str]:
    """The limits a repair order was opened under (stored on it), else the procedure's defaults."""
    stored = data.get("limits") or {}
    base = DEFAULT_LIMITS.get(str(data.get("urgency")), DEFAULT_LIMITS["一般"])
    return {"response": stored.get("response") or base["response"], "arrival": stored.get("arrival") or base["arrival"],
            "visit": stored.get("visit") or DEFAULT_VISIT}


def due(data: dict[str, Any], what: str, calendar: WorkCalendar | None = None) -> datetime | None:
    """When a repair order's ``response``, ``arrival`` or ``visit`` falls due (stored, else from its limit)."""
    stored = parse(data.get(f"{what}_due"))
    if stored is not None:
        return stored
    start = parse(data.get("completed_at" if what == "visit" else "reported_at"))
    if start is None:
        return None
    return (calendar or WorkCalendar()).due(start, limits_of(data)[what])


def minutes_between(start: Any, end: Any) -> float | None:
    """Minutes from one stored time to another, or ``None`` when either is missing."""
    a, b = parse(start), parse(end)
    if a is None or b is None:
        return None
    return (b - a).total_seconds() / 60
