"""The state of the annual audit programme: each planned audit of a department, done or not.

A planned audit (a row of a QR-9.2-01 programme in force: approved or closed) is 已完成 once an
audit record of that programme and department is reported or closed, 逾期 when its month has
ended without that, 进行中 while an audit record for it is open, else 计划中.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from qms import api

from qms_audit.workflow import AUDIT, PROGRAMME

DONE, OVERDUE, RUNNING, PLANNED = "已完成 Done", "逾期 Overdue", "进行中 In progress", "计划中 Planned"
STATUSES: tuple[str, ...] = (DONE, RUNNING, PLANNED, OVERDUE)
IN_FORCE = ("approved", "closed")


def month_end(month: str) -> datetime:
    """The last moment of ``YYYY-MM``."""
    year, mon = (int(x) for x in month.split("-"))
    first_next = date(year + (mon == 12), mon % 12 + 1, 1)
    return api.end_of_day(datetime.combine(first_next - timedelta(days=1), datetime.min.time()))


def current(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records not replaced by an amendment."""
    return [r for r in records if not r.get("amended_by")]


def rows(query: Any, now: datetime, year: int | None = None) -> list[dict[str, Any]]:
    """Every planned audit of the programmes in force (of ``year`` when given), with its status."""
    audits = current(query(form=AUDIT))
    out = []
    for programme in sorted(current(query(form=PROGRAMME)), key=lambda r: r["number"]):
        data = programme.get("data") or {}
        if programme.get("state") not in IN_FORCE or (year is not None and data.get("year") != year):
            continue
        for planned in data.get("audits") or []:
            mine = [a for a in audits if (a.get("data") or {}).get("programme") == programme["number"]
                    and (a.get("data") or {}).get("dept") == planned.get("dept")]
            done = [a for a in mine if a.get("state") in ("reported", "closed")]
            due = month_end(str(planned["month"]))
            status = DONE if done else OVERDUE if now > due else RUNNING if mine else PLANNED
            out.append({"programme": programme["number"], "year": data.get("year"), "dept": planned.get("dept", ""),
                        "clauses": list(planned.get("clauses") or []), "month": planned["month"],
                        "due": due.isoformat(), "status": status, "audits": [a["number"] for a in mine]})
    return out


def tally(planned: list[dict[str, Any]]) -> dict[str, int]:
    """Planned audits per status, every status listed."""
    out = dict.fromkeys(STATUSES, 0)
    for row in planned:
        out[row["status"]] += 1
    return out
