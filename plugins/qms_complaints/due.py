"""The time limits of QP-8.2-01 the workflow declarations cannot express, as due items.

* returned-goods analysis: 7 working days on the Chinese calendar from the goods' arrival, open
  until the analysis is recorded (seed 000 doc 19 §5.3);
* automatic escalation: 2 calendar months after receipt while the delay is the company's;
* each corrective or preventive action by its own due date until it is done;
* the investigation date set at assignment for complaints without returned goods;
* the follow-up visit (回访) planned at closing, until a visit record names the complaint.

Registration and assignment (30 minutes each) are workflow ``Deadline`` declarations and come
from the core's engine. Dates without a time fall due at the end of that day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms.api import WorkCalendar, end_of, parse_time

from qms_complaints import severity
from qms_complaints.forms import INTERNAL_BRANCH

WORKING_DAYS = 7


def analysis_due(data: dict[str, Any], calendar: WorkCalendar) -> datetime | None:
    """When the returned goods' analysis falls due, or ``None`` when no goods have arrived."""
    arrived = parse_time(data.get("goods_received_at"))
    if not data.get("goods_returned") or arrived is None:
        return None
    return calendar.add_workdays(arrived, WORKING_DAYS)


def _item(record: dict[str, Any], deadline: str, title: str, due: datetime, now: datetime, owner: str,
          dept: str = "") -> dict[str, Any]:
    data = record.get("data") or {}
    return {"kind": "complaint", "ref": record["number"], "deadline": deadline,
            "title": f"{title} — {data.get('customer', '')}".rstrip(" —"), "due": due.isoformat(),
            "owner": owner, "dept": dept or data.get("host_dept") or record.get("dept", ""), "overdue": now > due,
            "form": record.get("form", ""), "state": record.get("state", "")}


def open_items(record: dict[str, Any], now: datetime, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """The plugin's due items of one open complaint."""
    data = record.get("data") or {}
    items = []
    due = analysis_due(data, calendar)
    if due is not None and not data.get("analysis_completed_at"):
        items.append(_item(record, "analysis", "退货分析 7 个工作日 Returned-goods analysis within 7 working days",
                           due, now, "品质部", "品质部"))
    escalate = severity.escalation_due(data)
    if escalate is not None and not data.get("delay_customer_caused"):
        done = " 已升级 escalated" if data.get("escalated_at") else ""
        items.append(_item(record, "escalation", f"超过 2 个月自动升级为特殊重大 Escalation after 2 months{done}",
                           escalate, now, "总经理"))
    if data.get("investigation_due") and record.get("state") in ("assigned", "investigating"):
        end = end_of(data["investigation_due"])
        if end is not None:
            items.append(_item(record, "investigation", "调查完成期限 Investigation due", end, now,
                               str(data.get("responsible_person") or "")))
    if record.get("state") in INTERNAL_BRANCH:
        for i, act in enumerate(data.get("actions") or []):
            end = end_of(act.get("due", ""))
            if end is not None and not act.get("done_at"):
                items.append(_item(record, f"action-{i + 1}", f"{act.get('type', '措施')} {i + 1}: {act.get('action', '')[:40]}",
                                   end, now, str(act.get("owner", "")), str(act.get("dept") or "")))
    return items


def follow_up_item(record: dict[str, Any], visited: set[str], now: datetime) -> dict[str, Any] | None:
    """The planned follow-up visit of a closed complaint no visit record names yet."""
    data = record.get("data") or {}
    end = end_of(data.get("follow_up_due"))
    if end is None or record["number"] in visited or record.get("amends_root") in visited:
        return None
    return _item(record, "follow-up", f"回访 Follow-up visit ({data.get('follow_up_method') or '—'})", end, now, "业务部", "业务部")


def due_items(complaints: list[dict[str, Any]], visits: list[dict[str, Any]], now: datetime,
              calendar: WorkCalendar | None = None) -> list[dict[str, Any]]:
    """Every due item of these complaints at ``now``."""
    cal = calendar or WorkCalendar()
    visited = {str((v.get("data") or {}).get("complaint", "")) for v in visits}
    items: list[dict[str, Any]] = []
    for record in complaints:
        if record.get("amended_by"):
            continue
        if record.get("closed"):
            found = follow_up_item(record, visited, now)
            if found:
                items.append(found)
        else:
            items.extend(open_items(record, now, cal))
    return items


__all__ = ["WORKING_DAYS", "analysis_due", "due_items", "follow_up_item", "open_items"]
