"""The training procedure's rules beyond the form's schema."""

from __future__ import annotations

from typing import Any

from qms import api


def problems(data: dict[str, Any]) -> list[dict[str, str]]:
    """A training is not held before it was planned, and each attendee appears once."""
    out = []
    planned, held = api.parse_date(data.get("planned_on")), api.parse_date(data.get("held_on"))
    if planned and held and held < planned:
        out.append({"path": "held_on", "message": f"must not be earlier than the planned date {planned}"})
    names = [a.get("name") for a in data.get("attendees") or []]
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        out.append({"path": "attendees", "message": f"lists {', '.join(twice)} more than once"})
    return out


def vetoes(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """The trainer does not evaluate their own training: effectiveness is judged by someone else."""
    if target == "evaluated" and actor.get("name") == record.get("data", {}).get("trainer"):
        return [f"{actor.get('name')} gave this training and may not evaluate it; ask another quality officer"]
    return []
