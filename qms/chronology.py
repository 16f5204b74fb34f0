"""The check that the audit log's times move forward: an entry dated before earlier ones was backdated.

Entries are appended in order, so their ``at`` times should only grow. A small step back is
tolerated (two writers stamping a moment apart, a clock nudged by NTP); a larger one means the
time was set by hand or the system clock was turned back. In a demo or test workspace an entry
marked ``"clock": "fixed"`` was made on purpose at a fixed time (``QMS_NOW``): it is neither
flagged nor moves the high-water mark the entries after it are judged against.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: How far an entry may be dated before the latest earlier entry without being flagged.
TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class BackwardStep:
    """One audit entry whose time is not where its place in the log says it should be."""

    seq: int
    message: str


def _moment(entry: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(entry.get("at", "")))
    except ValueError:
        return None


@dataclass
class HighWater:
    """The latest time seen so far and the entry that carried it: where a later check carries on."""

    latest: datetime | None = None
    seq: int = 0


def backward_steps(entries: Iterable[dict[str, Any]], *, fixed_clock_allowed: bool,
                   mark: HighWater | None = None) -> list[BackwardStep]:
    """Every entry dated more than ``TOLERANCE`` before the latest earlier entry, or made under a
    fixed clock in a workspace that does not allow one (``fixed_clock_allowed`` false).

    ``mark`` carries on from entries checked before (an incremental ``qms verify``) and is moved
    on to the last of ``entries``.
    """
    steps: list[BackwardStep] = []
    mark = mark if mark is not None else HighWater()
    latest, latest_seq = mark.latest, mark.seq
    for entry in entries:
        seq = int(entry.get("seq", 0))
        fixed = entry.get("clock") == "fixed"
        if fixed and fixed_clock_allowed:
            continue
        if fixed:
            steps.append(BackwardStep(seq, "made under a fixed clock (QMS_NOW) in a workspace that is not a demo or "
                                           "test workspace: its time was not read from the clock"))
        moment = _moment(entry)
        if moment is None:
            steps.append(BackwardStep(seq, f"its time {entry.get('at')!r} is not a date-time"))
            continue
        if latest is not None and moment < latest - TOLERANCE:
            steps.append(BackwardStep(seq, f"dated {moment.isoformat()}, before entry {latest_seq} "
                                           f"({latest.isoformat()}): time went backwards"))
        if latest is None or moment > latest:
            latest, latest_seq = moment, seq
    mark.latest, mark.seq = latest, latest_seq
    return steps


__all__ = ["TOLERANCE", "BackwardStep", "HighWater", "backward_steps"]
