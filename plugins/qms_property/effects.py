"""What follows a move, as plain effects for the core to apply: closing linked records, telling the director.

* a return visit that closes (resolved) writes its result onto the repair order and closes it;
* an escalated return visit notifies the service-centre director and marks the order unresolved;
* a repair order that closes closes the service request it came from;
* a complaint (QR-8.2-01) handed over from a service request closes that request when it closes.
"""

from __future__ import annotations

import re
from typing import Any

from qms_property.forms import COMPLAINT, REPAIR, REQUEST, VISIT

Effect = dict[str, Any]
# The filing note ``qms_property.intake.handoff`` writes on the complaint it files.
_HANDED = re.compile(r"handed over from service request (FW-[\w-]+)")

#: Fields of the complaint report that may carry the service request it came from.
COMPLAINT_LINK_FIELDS: tuple[str, ...] = ("source_record", "source_request", "related_record", "related_records")


def complaint_source(data: dict[str, Any]) -> str | None:
    """The service request (FW-…) a complaint was handed over from, if it names one."""
    for name in COMPLAINT_LINK_FIELDS:
        value = data.get(name)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and item.startswith("FW-"):
                return item
    return None


def linked_request(complaint: dict[str, Any]) -> str | None:
    """The service request a complaint was handed over from: its source field, else its filing note."""
    found = complaint_source(complaint.get("data", {}))
    if found:
        return found
    for entry in complaint.get("history", [])[:1]:
        m = _HANDED.search(str(entry.get("note", "")))
        if m:
            return m.group(1)
    return None


def _close_request(request: str, result: str, reason: str) -> list[Effect]:
    return [{"effect": "update", "record": request, "fields": {"result": result}, "reason": reason},
            {"effect": "move", "record": request, "state": "closed", "reason": reason}]


def _visit_fields(data: dict[str, Any], number: str, resolved: bool) -> dict[str, Any]:
    final = data.get("revisit_satisfaction") if resolved and data.get("revisit_at") else data.get("satisfaction")
    return {"return_visit": number, "visited_at": data["visited_at"], "satisfaction": final, "visit_resolved": resolved}


def after(record: dict[str, Any], source: str) -> list[Effect]:
    """The effects of ``record`` having moved from ``source`` to its current state."""
    form, state, data, number = record.get("form"), record.get("state"), record.get("data", {}), record.get("number", "")
    if form == VISIT and data.get("repair_order"):
        order = data["repair_order"]
        if state == "closed":
            return [{"effect": "update", "record": order, "fields": _visit_fields(data, number, True),
                     "reason": f"回访 {number} 确认已解决 return visit found it resolved"},
                    {"effect": "move", "record": order, "state": "closed",
                     "reason": f"回访 {number} 已完成 return visit done"}]
        if state == "escalated":
            to = data.get("escalated_to", "客服中心主任")
            return [{"effect": "notify", "to": to,
                     "message": f"维修回访 {number}（{order}）问题未解决，请协调处理并将结果报管理处 "
                                f"Return visit {number} of {order} found the problem unresolved: coordinate and "
                                f"report to the management office"},
                    {"effect": "update", "record": order, "fields": _visit_fields(data, number, False),
                     "reason": f"回访 {number} 未解决，已升级 unresolved, escalated"}]
    if form == REPAIR and state == "closed" and data.get("request"):
        return _close_request(data["request"], f"维修完成并经回访 {data.get('return_visit', '')} 确认 "
                                               f"repaired under {number}, confirmed by the return visit",
                              f"派工单 {number} 已关闭 repair order closed")
    if form == COMPLAINT and record.get("closed"):
        request = linked_request(record)
        if request:
            return _close_request(request, f"投诉 {number} 已结案 complaint closed",
                                  f"投诉 {number} 已结案 complaint closed")
    return []


def wants(record: dict[str, Any]) -> bool:
    """Whether a record is of a form this plugin reacts to."""
    return record.get("form") in (REQUEST, REPAIR, VISIT, COMPLAINT)
