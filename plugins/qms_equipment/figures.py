"""The equipment figures for the dashboard and the management review (procedure 5.11).

* 完好率 intact rate: main units (attachments go with their machine) in 在用 or 备用, status in
  effect, over all main units not scrapped;
* 按期校准率 on-time calibration rate: calibrations that had a due date and were done by it,
  counting every instrument overdue now as one late calibration;
* 逾期 overdue count: overdue calibrations and overdue maintenance;
* 故障停机 breakdown downtime: hours from stop to restoration of repaired breakdowns and accident
  repairs, by using department.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from qms import api
from qms.api import RecordQuery

from qms_equipment import calibration, due, register, status


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def intact_rate(query: RecordQuery, now: datetime) -> dict[str, Any]:
    """完好率: share of main units in good condition."""
    grouped = register.calibrations_by_card(query)
    counted = good = 0
    for card in register.cards(query):
        # Scrapped equipment has left the register; a purchase awaiting approval has not yet entered service.
        if register.is_attachment(card) or card.get("state") in ("scrapped", status.AWAITING):
            continue
        counted += 1
        state, _ = status.effective(card, grouped.get(card["number"], []), now.date())
        good += state in status.GOOD
    return {"id": "equipment.intact_rate", "title": "设备完好率 Equipment intact rate", "kind": "number",
            "data": {"value": _pct(good, counted), "unit": "%", "good": good, "total": counted}}


def on_time_rate(query: RecordQuery, now: datetime) -> dict[str, Any]:
    """按期校准率: calibrations done by their due date, overdue instruments counted late."""
    on = total = 0
    for cals in register.calibrations_by_card(query).values():
        for _, in_time in calibration.on_time(cals):
            total += 1
            on += in_time
    overdue = sum(1 for i in due.calibration_items(query, now) if i["overdue"])
    total += overdue
    return {"id": "equipment.calibration_on_time", "title": "计量器具按期校准率 On-time calibration rate", "kind": "number",
            "data": {"value": _pct(on, total), "unit": "%", "on_time": on, "total": total, "overdue_now": overdue}}


def overdue_count(query: RecordQuery, now: datetime) -> dict[str, Any]:
    """逾期: overdue calibrations and maintenance, by department."""
    by_dept: dict[str, dict[str, int]] = defaultdict(lambda: {"calibration": 0, "maintenance": 0})
    for item in due.items(query, now):
        if item["overdue"]:
            by_dept[str(item["dept"])][item["kind"]] += 1
    rows: list[dict[str, Any]] = [{"dept": d, **counts} for d, counts in sorted(by_dept.items())]
    total = sum(r["calibration"] + r["maintenance"] for r in rows)
    return {"id": "equipment.overdue", "title": "逾期未校准/未保养 Overdue calibration and maintenance", "kind": "number",
            "data": {"value": total, "calibration": sum(r["calibration"] for r in rows),
                     "maintenance": sum(r["maintenance"] for r in rows), "by_dept": rows}}


def downtime(query: RecordQuery, now: datetime) -> dict[str, Any]:
    """故障停机时间: hours of breakdown downtime by department (repairs done; open ones count to now)."""
    depts = {c["number"]: str(c["data"].get("dept", "")) for c in register.cards(query)}
    hours: dict[str, float] = defaultdict(float)
    for record in register.subject_records(query, register.FORM_REPAIR):
        data = record["data"]
        if data.get("kind") == "计划修理":
            continue
        start = api.parse_time(data.get("stopped_at"))
        end = api.parse_time(data.get("restored_at")) if record.get("state") == "repaired" else now
        if start and end and end > start:
            hours[depts.get(str(data.get("card")), "")] += (end - start).total_seconds() / 3600
    labels = sorted(hours)
    return {"id": "equipment.downtime", "title": "故障停机时间（小时）Breakdown downtime (hours)", "kind": "bar",
            "data": {"labels": labels, "values": [round(hours[d], 1) for d in labels], "unit": "h",
                     "total": round(sum(hours.values()), 1)}}


def figures(query: RecordQuery, now: datetime) -> list[dict[str, Any]]:
    """All four figures."""
    return [intact_rate(query, now), on_time_rate(query, now), overdue_count(query, now), downtime(query, now)]


__all__ = ["downtime", "figures", "intact_rate", "on_time_rate", "overdue_count"]
