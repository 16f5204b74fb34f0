"""The CAPA list: every open action of every nonconformity report, whatever its source, as due items.

* each action not yet done falls due at the end of its due date (set on the working-day calendar
  when it was planned), owned by its owner;
* a report whose actions are all done waits for its effectiveness check, due 10 working days
  after it entered 效果验证.

Cause analysis (5 working days from raising) is a workflow ``Deadline`` and comes from the core.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms.api import WorkCalendar, end_of, parse_time

from qms_ncr.workflow import FORM, SOURCES

CHECK_WITHIN = "10wd"


def current(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reports without those replaced by an amendment, so a corrected report counts once."""
    return [r for r in records if r.get("form") == FORM and not r.get("amended_by")]


def source_text(data: dict[str, Any]) -> str:
    """Where the nonconformity was found, e.g. ``设备偏离 Equipment OOT JZ-2026-0004``."""
    label = SOURCES.get(str(data.get("source")), str(data.get("source") or ""))
    return f"{label} {data.get('source_ref') or ''}".strip()


def open_actions(records: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Every action not yet done on an open report: number, index, action, owner, dept, due, overdue."""
    out = []
    for record in current(records):
        if record.get("closed"):
            continue
        data = record.get("data") or {}
        for i, act in enumerate(data.get("actions") or []):
            end = end_of(act.get("due", ""))
            if end is None or act.get("done_on"):
                continue
            out.append({"number": record["number"], "index": i + 1, "type": act.get("type", ""),
                        "action": str(act.get("action", "")), "owner": str(act.get("owner", "")),
                        "dept": str(act.get("dept") or data.get("dept") or record.get("dept", "")),
                        "due": end, "overdue": now > end, "source": str(data.get("source", "")),
                        "source_ref": str(data.get("source_ref") or ""), "state": record.get("state", "")})
    return sorted(out, key=lambda a: (a["due"], a["number"], a["index"]))


def check_due(record: dict[str, Any], calendar: WorkCalendar) -> datetime | None:
    """When the effectiveness check of a report in 效果验证 falls due (``None`` in other states)."""
    if record.get("state") != "verifying":
        return None
    entered = next((parse_time(h.get("at")) for h in reversed(record.get("history") or [])
                    if h.get("to") == "verifying" and h.get("from") != "verifying"), None)
    return calendar.due(entered, CHECK_WITHIN) if entered else None


def items(records: list[dict[str, Any]], now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """The due items of the CAPA list at ``now``."""
    out = []
    for act in open_actions(records, now):
        out.append({"kind": "capa-action", "ref": act["number"], "deadline": f"action-{act['index']}",
                    "title": f"纠正措施 CAPA {act['index']}: {act['action'][:40]} — {source_text(act)}",
                    "due": act["due"].isoformat(), "owner": act["owner"], "dept": act["dept"],
                    "overdue": act["overdue"], "form": FORM, "state": act["state"]})
    for record in current(records):
        due = check_due(record, calendar)
        if due is not None:
            out.append({"kind": "capa-check", "ref": record["number"], "deadline": "effectiveness",
                        "title": f"有效性验证 Effectiveness check — {source_text(record.get('data') or {})}",
                        "due": due.isoformat(), "owner": "quality_officer", "dept": "质量管理部",
                        "overdue": now > due, "form": FORM, "state": "verifying"})
    return out


__all__ = ["CHECK_WITHIN", "check_due", "current", "items", "open_actions", "source_text"]
