"""The monthly complaint analysis for the management review (QP-8.2-01 §5.10), as plain data.

``monthly(complaints, visits, "2026-11", now, calendar)`` reads complaint and visit records (plain
envelopes) and returns every figure of the report; ``figures.figures(report)`` turns it into the
dashboard figures of ``qms_figures`` and ``layout.report_html`` into the PDF's body. Nothing here
reads the store or renders anything.

Definitions (the same in the PDF, ``--json`` and the dashboard):

* *received* / *closed*: received, or moved to ``closed``, within the month;
* *as of*: the end of the month, or now while the month is running; a complaint is *open* when it
  was received before then and not closed by then;
* *time to close*: from ``received_at`` to the move to ``closed``, in days, for complaints closed in
  the month; the 90th percentile by the nearest-rank method;
* *hand-offs within 30 minutes*: registration within 30 minutes of receipt and assignment within 30
  minutes of registration, for complaints received in the month (a step not yet taken counts as
  late once its 30 minutes have passed);
* *analyses within 7 working days*: returned goods that arrived in the month, analysed by their due
  time on the Chinese calendar (an unfinished analysis counts as late once it is past due);
* *recurring causes*: cause categories (5M1E) and problem sub-categories seen on two or more
  complaints received in the twelve months up to the as-of time.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


from qms.api import add_months, parse_time, UsageError, WorkCalendar

from qms_complaints import due as due_items
from qms_complaints import severity
from qms_complaints.forms import closed_time, current_versions, entered

HANDOFF = timedelta(minutes=30)
CAUSE_LABELS = {"人": "人 Man", "机": "机 Machine", "料": "料 Material", "法": "法 Method", "环": "环 Environment",
                "测": "测 Measurement"}
SATISFACTION = ("满意", "基本满意", "不满意")


@dataclass(frozen=True)
class Period:
    """A calendar month: its first moment, the first moment of the next month, and the as-of time."""

    month: str
    start: datetime
    end: datetime
    as_of: datetime


def period(month: str, now: datetime) -> Period:
    """The month ``YYYY-MM``; refused when malformed or not yet begun."""
    if not re.fullmatch(r"\d{4}-\d{2}", month or ""):
        raise UsageError(f"--month {month!r} is not a month; write it as YYYY-MM, e.g. 2026-11")
    year, mon = int(month[:4]), int(month[5:])
    if not 1 <= mon <= 12:
        raise UsageError(f"--month {month!r} has no month {mon:02d}; write YYYY-MM with MM from 01 to 12")
    start = datetime(year, mon, 1)
    if start > now:
        raise UsageError(f"{month} has not begun yet (now is {now:%Y-%m-%d %H:%M}); choose this month or an earlier one")
    end = add_months(start, 1)
    return Period(month=month, start=start, end=end, as_of=min(end, now))


def p90(values: list[float]) -> float | None:
    """The 90th percentile by nearest rank, or ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _share(within: int, total: int) -> float | None:
    return round(within / total, 4) if total else None


def _days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86400, 2)


def state_at(record: dict[str, Any], at: datetime) -> str:
    """The state the record was in at ``at`` (from its history)."""
    state = ""
    for entry in record.get("history") or []:
        moment = parse_time(entry.get("at"))
        if moment is not None and moment <= at and entry.get("to"):
            state = str(entry["to"])
    return state or str(record.get("state", ""))


def level_of(record: dict[str, Any], at: datetime) -> str:
    """The level in force: as of closing for a closed complaint, else as of ``at``."""
    closed = closed_time(record)
    moment = closed if closed is not None and closed <= at else at
    return severity.effective(record.get("data") or {}, moment)


def _within(start: datetime | None, end: datetime | None, as_of: datetime, limit: timedelta) -> str | None:
    """``"within"``, ``"late"`` or ``None`` (still running) for one timed step."""
    if start is None:
        return None
    if end is not None and end <= as_of:
        return "within" if end - start <= limit else "late"
    return "late" if as_of - start > limit else None


def _tally(outcomes: list[str | None]) -> dict[str, Any]:
    within = outcomes.count("within")
    late = outcomes.count("late")
    return {"within": within, "late": late, "pending": outcomes.count(None), "total": within + late,
            "share": _share(within, within + late)}


def overdue_at(record: dict[str, Any], as_of: datetime, calendar: WorkCalendar) -> list[str]:
    """Titles of the complaint's deadlines overdue at ``as_of``."""
    data = record.get("data") or {}
    out = []
    received = parse_time(data.get("received_at"))
    registered = entered(record, "registered")
    if _within(received, registered, as_of, HANDOFF) == "late" and (registered is None or registered > as_of):
        out.append("登记超时 registration overdue")
    assigned = entered(record, "assigned")
    if _within(registered, assigned, as_of, HANDOFF) == "late" and (assigned is None or assigned > as_of):
        out.append("分派超时 assignment overdue")
    for item in due_items.open_items(record, as_of, calendar):
        if item["overdue"]:
            out.append(item["title"].split(" — ")[0])
    return out


def monthly(complaints: list[dict[str, Any]], visits: list[dict[str, Any]], month: str, now: datetime,
            calendar: WorkCalendar | None = None) -> dict[str, Any]:
    """Every figure of the monthly complaint analysis for ``month`` (``YYYY-MM``)."""
    cal = calendar or WorkCalendar()
    span = period(month, now)
    as_of = span.as_of
    records = [r for r in current_versions(complaints) if parse_time((r.get("data") or {}).get("received_at"))]

    def received(r: dict[str, Any]) -> datetime:
        moment = parse_time(r["data"]["received_at"])
        assert moment is not None
        return moment

    in_month = [r for r in records if span.start <= received(r) < span.end and received(r) <= as_of]
    closed_in = [r for r in records if (c := closed_time(r)) is not None and span.start <= c < span.end and c <= as_of]
    open_now = [r for r in records if received(r) <= as_of and ((c := closed_time(r)) is None or c > as_of)]

    by_category = Counter(str(r["data"].get("category") or "未分类 unclassified") for r in in_month)
    by_sub = Counter(f"{r['data'].get('category') or '未分类'} / {r['data'].get('sub_category') or '—'}" for r in in_month)
    by_level = Counter(level_of(r, as_of) for r in in_month)
    by_dept = Counter(str(r["data"].get("host_dept") or "未分派 unassigned") for r in in_month)
    by_resp = Counter(str(r["data"].get("responsible_dept") or "未分派 unassigned") for r in in_month)

    durations = []
    closed_rows = []
    for r in sorted(closed_in, key=lambda r: r["number"]):
        end = closed_time(r)
        assert end is not None
        days = _days(end - received(r))
        durations.append(days)
        closed_rows.append({"number": r["number"], "customer": r["data"].get("customer", ""), "days": days,
                            "branch": r["data"].get("responsibility", ""), "level": level_of(r, as_of)})

    registration = [_within(received(r), entered(r, "registered"), as_of, HANDOFF) for r in in_month]
    assignment = [_within(entered(r, "registered"), entered(r, "assigned"), as_of, HANDOFF) for r in in_month]
    both = [("late" if "late" in (a, b) else None if None in (a, b) else "within") for a, b in zip(registration, assignment, strict=True)]

    analyses = []
    analysis_rows = []
    for r in records:
        arrived = parse_time(r["data"].get("goods_received_at"))
        due = due_items.analysis_due(r["data"], cal)
        if arrived is None or due is None or not span.start <= arrived < span.end or arrived > as_of:
            continue
        done = parse_time(r["data"].get("analysis_completed_at"))
        outcome = _within(arrived, done, as_of, due - arrived)
        analyses.append(outcome)
        analysis_rows.append({"number": r["number"], "arrived": arrived.isoformat(), "due": due.isoformat(),
                              "completed": done.isoformat() if done else None, "outcome": outcome or "pending"})

    open_rows = []
    for r in sorted(open_now, key=lambda r: r["number"]):
        open_rows.append({
            "number": r["number"], "customer": r["data"].get("customer", ""), "category": r["data"].get("category", ""),
            "sub_category": r["data"].get("sub_category", ""), "level": level_of(r, as_of), "state": state_at(r, as_of),
            "received_at": r["data"]["received_at"], "age_days": _days(as_of - received(r)),
            "overdue": overdue_at(r, as_of, cal),
        })

    year_ago = add_months(as_of, -12)
    recent = [r for r in records if year_ago <= received(r) <= as_of]
    causes: dict[str, list[tuple[str, str]]] = {}
    for r in recent:
        for cause in r["data"].get("main_causes") or []:
            causes.setdefault(str(cause.get("category", "")), []).append((r["number"], str(cause.get("text", ""))))
    recurring = [{"cause": CAUSE_LABELS.get(k, k), "count": len(v), "complaints": sorted({n for n, _ in v}),
                  "examples": [t for _, t in v][:3]}
                 for k, v in sorted(causes.items(), key=lambda kv: (-len(kv[1]), kv[0])) if len({n for n, _ in v}) >= 2]
    problems: dict[str, list[str]] = {}
    for r in recent:
        key = f"{r['data'].get('category') or '—'} / {r['data'].get('sub_category') or '—'}"
        problems.setdefault(key, []).append(r["number"])
    recurring_problems = [{"problem": k, "count": len(v), "complaints": sorted(v)}
                          for k, v in sorted(problems.items(), key=lambda kv: (-len(kv[1]), kv[0])) if len(v) >= 2]

    month_visits = [v for v in current_versions(visits)
                    if (t := parse_time((v.get("data") or {}).get("visited_at"))) and span.start <= t < span.end and t <= as_of]
    satisfaction = Counter(str(v["data"].get("satisfaction")) for v in month_visits)

    return {
        "month": span.month, "start": span.start.isoformat(), "end": span.end.isoformat(), "as_of": as_of.isoformat(),
        "received": len(in_month), "closed": len(closed_in), "open": len(open_now),
        "overdue": sum(1 for row in open_rows if row["overdue"]),
        "by_category": _bars(by_category), "by_sub_category": _bars(by_sub),
        "by_severity": [{"label": lvl, "value": by_level.get(lvl, 0)} for lvl in severity.LEVELS],
        "by_dept": _bars(by_dept), "by_responsible_dept": _bars(by_resp),
        "time_to_close": {"count": len(durations), "mean_days": round(sum(durations) / len(durations), 2) if durations else None,
                          "p90_days": p90(durations), "closed": closed_rows},
        "handoff": {"registration": _tally(registration), "assignment": _tally(assignment), "both": _tally(both)},
        "analysis": {**_tally(analyses), "items": analysis_rows},
        "open_list": open_rows,
        "recurring_causes": recurring, "recurring_problems": recurring_problems,
        "satisfaction": [{"label": s, "value": satisfaction.get(s, 0)} for s in SATISFACTION],
        "visits": len(month_visits),
    }


def _bars(counter: Counter[str]) -> list[dict[str, Any]]:
    """Bars, largest first, ties by label."""
    return [{"label": k, "value": v} for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


__all__ = ["Period", "monthly", "overdue_at", "p90", "period", "state_at"]
