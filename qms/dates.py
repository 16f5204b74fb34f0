"""Dates and times as the quality system reads, writes and counts them: the one date module.

It parses stored and typed values (``parse_date``, ``parse_time``, ``require_date``,
``require_time``), ends a day (``end_of_day``), adds calendar months (``add_months``), formats
times for people (``show_time``, ``show_date``) and counts working days on the Chinese calendar
(``WorkCalendar``). Times are naive local (Asia/Shanghai wall-clock) times; an offset on input is
dropped without conversion, because the seeds count deadlines in local hours.

Working days

A working day is what the ``chinese-calendar`` package says for the years it has data for: public
holidays (春节, 国庆节 …) are off and the adjusted working weekends (调休上班, e.g. Saturday
2026-10-10) are on. For a year the package has no data for, the calendar falls back to Monday–Friday
plus the ``[calendar]`` lists of ``qms.toml`` (``holidays`` off, ``workdays`` on) and remembers that
it did, so the due list can say so. The ``qms.toml`` lists apply on top of the package's data in
every year, so a company can add its own closing days.

Deadlines are written as ``"30min"``, ``"24h"``, ``"5d"`` (calendar days), ``"7wd"`` (working days)
or ``"2mo"`` (calendar months). Adding working days keeps the time of day: received on Wednesday
2026-09-30 at 10:00, one working day later is Thursday 2026-10-08 at 10:00, after the National Day
holiday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from qms.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from qms.workspace import Config  # annotations only: plugins import this module at every start

_LIMIT = re.compile(r"^\s*(\d+)\s*(min|h|wd|d|mo)\s*$")
UNITS = {"min": "minutes", "h": "hours", "wd": "working days", "d": "days", "mo": "months"}

_Day = TypeVar("_Day", bound=date)  # a date, or a datetime (a subclass of date)
_LAST_SECOND = time(23, 59, 59)


# -- parsing ----------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """A stored date or date-time value as a naive datetime (a date at 00:00); ``None`` when absent or malformed.

    Stored values were validated when filed, so a malformed one is treated as absent rather than
    stopping a due list or a report; typed input goes through ``require_time`` instead.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    if not isinstance(value, str) or not value:
        return None
    return _parse_time(value)


@lru_cache(maxsize=65536)
def _parse_time(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def parse_date(value: Any) -> date | None:
    """The date of a stored date or date-time value; ``None`` when absent or malformed."""
    moment = parse_time(value)
    return moment.date() if moment is not None else None


def require_date(value: Any, what: str = "date") -> date:
    """A date typed by a user (``YYYY-MM-DD`` or an ISO date-time); a ``UsageError`` saying how to write it."""
    day = parse_date(value)
    if day is None:
        raise UsageError(f"{what} {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-01")
    return day


def require_time(value: Any, what: str = "time") -> datetime:
    """A date-time typed by a user; a ``UsageError`` saying how to write it."""
    moment = parse_time(value)
    if moment is None:
        raise UsageError(f"{what} {value!r} is not a date-time; write it as YYYY-MM-DDTHH:MM, e.g. 2026-12-01T09:30")
    return moment


def end_of_day(moment: date) -> datetime:
    """The last second (23:59:59) of ``moment``'s day: when a deadline "on" a date runs out."""
    return datetime.combine(moment if not isinstance(moment, datetime) else moment.date(), _LAST_SECOND)


def end_of(value: Any) -> datetime | None:
    """``end_of_day`` of a stored date value; ``None`` when absent or malformed."""
    day = parse_date(value)
    return end_of_day(day) if day is not None else None


# -- showing ----------------------------------------------------------------------------------


def show_time(value: Any) -> str:
    """``2026-11-02T09:00:00`` as ``2026-11-02 09:00``; other text as it is; nothing as a dash."""
    if not value:
        return "—"
    text = str(value.isoformat() if isinstance(value, date) else value)
    if len(text) >= 16 and text[10] == "T":
        return f"{text[:10]} {text[11:16]}"
    return text


def show_date(value: Any) -> str:
    """The date part of an ISO date or date-time; a dash when missing."""
    if not value:
        return "—"
    return str(value.isoformat() if isinstance(value, date) else value)[:10]


def hours_between(start: Any, end: Any) -> float | None:
    """Hours from one stored time to another; ``None`` when either is missing."""
    a, b = parse_time(start), parse_time(end)
    if a is None or b is None:
        return None
    return (b - a).total_seconds() / 3600


# -- deadlines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """A parsed deadline duration: an amount and a unit (``min``, ``h``, ``wd``, ``d``, ``mo``)."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


@lru_cache(maxsize=256)
def parse_limit(text: str) -> Limit:
    """Parse ``"7wd"`` and friends; a ``UsageError`` naming the accepted forms otherwise."""
    m = _LIMIT.match(text)
    if not m:
        raise UsageError(
            f"deadline limit {text!r} is not understood; write e.g. 30min, 24h, 5d, 7wd (working days) or 2mo"
        )
    return Limit(int(m.group(1)), m.group(2))


def add_months(moment: _Day, months: int) -> _Day:
    """``moment`` (a date or date-time) plus calendar months, clamped to the last day of a shorter month."""
    month0 = moment.month - 1 + months
    year = moment.year + month0 // 12
    month = month0 % 12 + 1
    import calendar  # here: its import (with locale) would cost every start of `qms`, which plugins pay at import

    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass
class WorkCalendar:
    """Which days are working days; built from a workspace's ``[calendar]`` configuration."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    fallback_years: set[int] = field(default_factory=set)
    _cache: dict[date, bool] = field(default_factory=dict, repr=False)
    _added: dict[tuple[date, int], date] = field(default_factory=dict, repr=False)

    @classmethod
    def from_config(cls, config: Config) -> WorkCalendar:
        """The calendar with the holidays and working days listed in ``qms.toml``."""
        return cls(holidays=frozenset(_dates(config.holidays, "holidays")),
                   workdays=frozenset(_dates(config.workdays, "workdays")))

    @staticmethod
    def has_data(year: int) -> bool:
        """Whether ``chinese-calendar`` knows the holidays of ``year``."""
        import chinese_calendar  # on first use: `qms --help` never asks the calendar

        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day (remembering years that used the fallback)."""
        known = self._cache.get(day)
        if known is not None:
            return known
        if day in self.workdays:
            result = True
        elif day in self.holidays:
            result = False
        else:
            import chinese_calendar  # imported on first use; each day is asked once (the cache above)

            try:
                result = bool(chinese_calendar.is_workday(day))
            except NotImplementedError:
                # No official data for this year: weekdays work, weekends do not.
                self.fallback_years.add(day.year)
                result = day.weekday() < 5
        self._cache[day] = result
        return result

    def add_workdays(self, start: datetime, days: int) -> datetime:
        """``start`` plus ``days`` working days at the same time of day."""
        key = (start.date(), days)
        known = self._added.get(key)
        if known is not None:
            return datetime.combine(known, start.time())
        current = start
        counted = 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_workday(current.date()):
                counted += 1
        self._added[key] = current.date()
        return current

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if ``end`` is not later)."""
        n = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                n += 1
        return n

    def due(self, start: datetime, limit: str | Limit) -> datetime:
        """When a deadline of ``limit`` counted from ``start`` falls due."""
        lim = parse_limit(limit) if isinstance(limit, str) else limit
        if lim.unit == "min":
            return start + timedelta(minutes=lim.amount)
        if lim.unit == "h":
            return start + timedelta(hours=lim.amount)
        if lim.unit == "d":
            return start + timedelta(days=lim.amount)
        if lim.unit == "mo":
            return add_months(start, lim.amount)
        return self.add_workdays(start, lim.amount)

    def notes(self) -> list[str]:
        """One line for every year that was counted without official holiday data."""
        return [
            f"{year}: chinese-calendar has no holiday data for this year; working days were counted as "
            f"Monday–Friday plus the [calendar] holidays/workdays in qms.toml"
            for year in sorted(self.fallback_years)
        ]


def _dates(values: list[str], what: str) -> list[date]:
    out = []
    for value in values:
        day = parse_date(value) if len(str(value)) == 10 else None
        if day is None:
            raise ConfigError(f"[calendar] {what} in qms.toml holds {value!r}, which is not a date YYYY-MM-DD")
        out.append(day)
    return out


__all__ = [
    "Limit", "WorkCalendar", "add_months", "end_of", "end_of_day", "hours_between", "parse_date", "parse_limit",
    "parse_time", "require_date", "require_time", "show_date", "show_time",
]
