"""Due and overdue calibrations and maintenance, as due items of the core's one due list.

* Calibration (联络单): for each measuring instrument in service, an item appears ``reminder_days``
  before its next due date (set per instrument on its card, 30 days when not set), is due at the
  start of the due date, and is overdue from then on — the day the instrument turns 停用.
  An instrument never calibrated is due at once.
* Maintenance: each planned or deferred maintenance record is due at the end of its planned (or
  re-planned) day.

Items carry ``dept`` (the using department) so ``qms equipment due`` groups them by department.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


from qms.api import RecordQuery

from qms_equipment import calibration, register, status

#: Equipment in these states needs no calibration reminder (not in use, or already out of use for it).
NOT_REMINDED = frozenset({"scrapped", "sealed"})


def calibration_items(query: RecordQuery, now: datetime) -> list[dict[str, Any]]:
    """The calibration reminders (联络单) open at ``now``."""
    today = now.date()
    grouped = register.calibrations_by_card(query)
    items = []
    for card in register.cards(query):
        data = card["data"]
        if not data.get("measuring") or card.get("state") in NOT_REMINDED:
            continue
        cals = grouped.get(card["number"], [])
        summary = calibration.summary(card, cals, today)
        if summary["latest"] is not None and summary["last_result"] == "不合格":
            continue  # failed: already 停用; the next step is repair or scrapping, not a reminder
        due = summary["next_due"]
        if due is None:
            due, title = str(data.get("acceptance_date") or today.isoformat()), "未校准，使用前须校准 Calibrate before first use"
        elif not summary["reminding"]:
            continue
        else:
            title = f"联络单：送校提醒 Calibration reminder (上次 last {summary['last_date']})"
        state, _ = status.effective(card, cals, today)
        items.append({
            "kind": "calibration", "ref": data.get("equipment_no"), "card": card["number"],
            "title": f"{title} — {data.get('equipment_no')} {data.get('name')}",
            "due": f"{due}T00:00:00", "overdue": today >= date.fromisoformat(due),
            "owner": data.get("administrator", ""), "dept": data.get("dept", ""),
            "status": status.zh(state), "cal_mode": data.get("cal_mode"), "provider": data.get("cal_provider", ""),
        })
    return items


def maintenance_items(query: RecordQuery, now: datetime) -> list[dict[str, Any]]:
    """Planned and deferred maintenance not yet done."""
    today = now.date()
    names = {c["number"]: c["data"] for c in register.cards(query)}
    items = []
    for record in register.subject_records(query, register.FORM_MAINTENANCE):
        if record.get("state") not in ("planned", "deferred"):
            continue
        data = record["data"]
        card = names.get(str(data.get("card")), {})
        day = str(data.get("replanned_date") or data.get("planned_date"))
        deferred = record["state"] == "deferred"
        what = f"{data.get('level')}（推迟，须于一个季度内完成 deferred, due within the quarter）" if deferred else str(data.get("level"))
        items.append({
            "kind": "maintenance", "ref": record["number"], "card": data.get("card"),
            "title": f"{what} — {data.get('equipment_no')} {card.get('name', '')}",
            "due": f"{day}T23:59:59", "overdue": today > date.fromisoformat(day[:10]),
            "owner": card.get("administrator", ""), "dept": card.get("dept", ""),
            "level": data.get("level"), "plan": data.get("plan_ref", ""), "state": record["state"],
        })
    return items


def items(query: RecordQuery, now: datetime) -> list[dict[str, Any]]:
    """Every open equipment due item, soonest first."""
    found = calibration_items(query, now) + maintenance_items(query, now)
    return sorted(found, key=lambda i: (i["due"], str(i["ref"])))


__all__ = ["calibration_items", "items", "maintenance_items"]
