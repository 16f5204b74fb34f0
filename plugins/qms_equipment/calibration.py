"""Calibration arithmetic: next due date, which calibration records count, the status label.

Next due = the **actual** calibration date + the cycle in calendar months (a shorter month clamps
to its last day: 2026-01-31 + 1 month = 2026-02-28). It is computed from the calibration record
every time it is needed and never stored or typed, so correcting a calibration date by amendment
moves the due date with it (ISO 9001 7.1.5.2 a; EOS-Solutions/IDEAS#686).

A calibration record counts once confirmed (state ``confirmed`` or ``closed``), except a failed
one, which counts as soon as it is filed: an instrument found out of tolerance is not to be
used while its paperwork is pending.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from qms.api import add_months, parse_date

CONFIRMED = frozenset({"confirmed", "closed"})
PASSING = frozenset({"合格", "准用"})
#: Calibration result → the status label stuck on the instrument (5.8.4).
LABEL_OF_RESULT = {"合格": "合格", "准用": "准用", "不合格": "停用"}
DEFAULT_REMINDER_DAYS = 30


def next_due(calibration_date: date, cycle_months: int) -> date:
    """The next calibration due date: the actual calibration date plus the cycle."""
    return add_months(datetime.combine(calibration_date, time()), int(cycle_months)).date()


def due_of(record: dict[str, Any]) -> date | None:
    """The next due date following one calibration record."""
    data = record.get("data") or {}
    day = parse_date(data.get("calibration_date"))
    cycle = data.get("cycle_months")
    return next_due(day, int(cycle)) if day and isinstance(cycle, int) else None


def counts(record: dict[str, Any]) -> bool:
    """Whether a calibration record is in force (confirmed, or failed), and not replaced by an amendment."""
    if record.get("amended_by"):
        return False
    return record.get("state") in CONFIRMED or (record.get("data") or {}).get("result") == "不合格"


def ordered(calibrations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The calibration records that count, oldest first (by actual date, then number)."""
    return sorted((c for c in calibrations if counts(c)),
                  key=lambda c: (str(c["data"].get("calibration_date", "")), str(c["number"])))


def summary(card: dict[str, Any], calibrations: list[dict[str, Any]], today: date) -> dict[str, Any]:
    """Latest calibration, last good one, next due date, reminder date and overdue flag of one instrument."""
    cals = ordered(calibrations)
    latest = cals[-1] if cals else None
    good = [c for c in cals if c["data"].get("result") in PASSING and c.get("state") in CONFIRMED]
    last_good = good[-1] if good else None
    due = due_of(last_good) if last_good is not None and latest is last_good else None
    reminder = (card.get("data") or {}).get("reminder_days")
    days = reminder if isinstance(reminder, int) else DEFAULT_REMINDER_DAYS
    remind_from = date.fromordinal(due.toordinal() - days) if due else None
    return {
        "latest": latest, "last_good": last_good,
        "last_date": (latest or {}).get("data", {}).get("calibration_date"),
        "last_result": (latest or {}).get("data", {}).get("result"),
        "next_due": due.isoformat() if due else None,
        "remind_from": remind_from.isoformat() if remind_from else None,
        "reminder_days": days,
        "overdue": bool(due and today >= due),
        "reminding": bool(remind_from and today >= remind_from),
    }


def last_good_before(calibrations: list[dict[str, Any]], failed: dict[str, Any]) -> dict[str, Any] | None:
    """The last passing, confirmed calibration before ``failed`` (the start of its impact period)."""
    key = (str(failed["data"].get("calibration_date", "")), str(failed["number"]))
    good = [c for c in ordered(calibrations)
            if c["data"].get("result") in PASSING and c.get("state") in CONFIRMED
            and (str(c["data"].get("calibration_date", "")), str(c["number"])) < key]
    return good[-1] if good else None


def on_time(calibrations: list[dict[str, Any]]) -> list[tuple[dict[str, Any], bool]]:
    """Each calibration that had a due date (a previous good one), and whether it was done by that date."""
    out = []
    previous_due: date | None = None
    for cal in ordered(calibrations):
        day = parse_date(cal["data"].get("calibration_date"))
        if previous_due is not None and day is not None:
            out.append((cal, day <= previous_due))
        if cal["data"].get("result") in PASSING and cal.get("state") in CONFIRMED:
            previous_due = due_of(cal)
        else:
            previous_due = None  # after a failure the next calibration is a recovery, not a periodic one
    return out


__all__ = ["CONFIRMED", "DEFAULT_REMINDER_DAYS", "LABEL_OF_RESULT", "PASSING", "counts", "due_of", "last_good_before",
           "next_due", "on_time", "ordered", "summary"]
