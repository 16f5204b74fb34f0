"""Time limits met late: the 30-minute registration and assignment limits of QP-8.2-01 §6.

A complaint registered more than 30 minutes after receipt, or assigned more than 30 minutes after
registration, may still move on, but only with the reason written on the record
(``register_late_reason`` / ``assign_late_reason``); the move then records how many minutes late
it was (``register_late_minutes`` / ``assign_late_minutes``), so the lateness stays on the record
and in its audit trail. On the limit itself is on time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from qms.api import parse_time

LIMIT_MINUTES = 30


@dataclass(frozen=True)
class Step:
    """A step with a time limit: the state it reaches, what it is counted from, its fields and labels."""

    target: str
    field: str  # prefix of <field>_late_minutes and <field>_late_reason
    zh: str
    en: str
    start: str  # "field:received_at" or "state:registered"


STEPS: tuple[Step, ...] = (
    Step("registered", "register", "登记", "registration", "field:received_at"),
    Step("assigned", "assign", "分派", "assignment", "state:registered"),
)


def step_for(target: str) -> Step | None:
    """The limited step that moving to ``target`` completes, if any."""
    return next((s for s in STEPS if s.target == target), None)


def _start(record: dict[str, Any], step: Step) -> datetime | None:
    kind, _, name = step.start.partition(":")
    if kind == "field":
        return parse_time((record.get("data") or {}).get(name))
    for entry in reversed(record.get("history") or []):
        if entry.get("to") == name and entry.get("action") in ("move", "file"):
            return parse_time(entry.get("at"))
    return None


def minutes_late(record: dict[str, Any], step: Step, at: datetime) -> int:
    """Whole minutes (rounded up) by which doing ``step`` at ``at`` misses its limit; 0 when on time."""
    start = _start(record, step)
    if start is None:
        return 0
    over = (at - (start + timedelta(minutes=LIMIT_MINUTES))).total_seconds()
    return math.ceil(over / 60) if over > 0 else 0


def veto(record: dict[str, Any], target: str, at: datetime) -> list[str]:
    """A late move without its reason is refused, naming the field to give."""
    step = step_for(target)
    if step is None or record.get("state") == target:
        return []
    late = minutes_late(record, step, at)
    reason_field = f"{step.field}_late_reason"
    if late and not str((record.get("data") or {}).get(reason_field) or "").strip():
        return [f"{step.zh}超时 {step.en} is {late} min past the {LIMIT_MINUTES}-minute limit; give the reason first: "
                f"qms record update {record.get('number')} --set {reason_field}=…"]
    return []


def fields_after(record: dict[str, Any], source: str, at: datetime) -> dict[str, Any]:
    """The lateness to record after a move into a limited step (empty when on time or not such a move)."""
    step = step_for(str(record.get("state")))
    if step is None or source == step.target:
        return {}
    late = minutes_late(record, step, at)
    return {f"{step.field}_late_minutes": late} if late else {}


def why(field: str) -> str:
    """The audit reason of a recorded lateness field."""
    for step in STEPS:
        if field == f"{step.field}_late_minutes":
            return f"{step.zh}超时 {step.en} late"
    return ""


__all__ = ["LIMIT_MINUTES", "STEPS", "Step", "fields_after", "minutes_late", "step_for", "veto", "why"]
