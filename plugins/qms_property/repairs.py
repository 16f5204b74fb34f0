"""Repair orders after dispatch: opening one with the workspace's limits, completing it, and its return visits.

A return visit is its own record (QR-8.5-03). A resolved visit closes, and its effect closes the
repair order; an unresolved one is escalated to the service-centre director, and the order closes
after the director's coordination and a repeat visit confirm it resolved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


from qms import api
from qms.api import Refused

from qms_property import config
from qms_property.due import due_at, limits_of
from qms_property.forms import REPAIR, VISIT

if TYPE_CHECKING:
    from qms.api import App


def with_limits(app: App, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the response, arrival and visit limits of its urgency from ``qms.toml`` and the due times."""
    out = dict(data)
    limits = config.of(app).for_urgency(str(out.get("urgency", "一般")))
    out["limits"] = limits
    start = api.parse_time(out.get("reported_at"))
    if start is not None:
        cal = app.calendar
        out["response_due"] = cal.due(start, limits["response"]).isoformat()
        out["arrival_due"] = cal.due(start, limits["arrival"]).isoformat()
    return out


def open_order(app: App, data: dict[str, Any]) -> dict[str, Any]:
    """File a repair order with the limits in force; returns the record."""
    return api.file_record(app, REPAIR, with_limits(app, data), note="派工单登记 repair order registered")


def _order(app: App, number: str) -> dict[str, Any]:
    record = api.get_record(app, number)
    if record["form"] != REPAIR:
        raise Refused(f"{number} is a {record['form']} record, not a repair order (QR-8.5-02)")
    return record


def complete(app: App, number: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Record the work, charge and service voucher, then move the order to completed.

    ``completed_at`` defaults to now; the return-visit deadline is set from ``[property] visit_within``.
    """
    with api.transaction(app):
        order = _order(app, number)
        changes = dict(fields)
        changes.setdefault("completed_at", api.stamp())
        finished = api.parse_time(changes["completed_at"])
        if finished is not None:
            limit = limits_of({**order["data"], **changes})["visit"]
            changes["visit_due"] = app.calendar.due(finished, limit).isoformat()
        # Checked before storing, so a refused completion changes nothing.
        from qms_property.rules import repair_problems, voucher_reasons

        merged = {**order["data"], **changes}
        reasons = voucher_reasons(number, merged) + [f"{p['path']}: {p['message']}" for p in repair_problems(merged)]
        if reasons:
            raise Refused(f"{number} cannot be completed: " + "; ".join(reasons))
        api.update_record(app, number, changes, note="完工 work done")
        return api.move_record(app, number, "completed", note="完工 completed")["record"]


def visit(app: App, number: str, *, method: str, satisfaction: str, resolved: bool, feedback: str = "",
          visitor: str = "", visited_at: str | None = None) -> dict[str, Any]:
    """Record the return visit of repair order ``number``; close it if resolved, else escalate to the director.

    Returns ``{"visit": WH record, "order": PG record, "effects": [...]}``.
    """
    director = config.of(app).director
    with api.transaction(app):
        order = _order(app, number)
        if order["state"] != "completed":
            raise Refused(f"{number} is {order['state']}; a return visit follows completion")
        if order["data"].get("return_visit") and order["data"].get("visit_resolved") is False:
            raise Refused(f"{number} already has the unresolved visit {order['data']['return_visit']} with the "
                          f"director; record the repeat visit with `qms property repair revisit {order['data']['return_visit']}`")
        at = visited_at or api.stamp()
        finished, when = api.parse_time(order["data"].get("completed_at")), api.parse_time(at)
        if finished is not None and when is not None and when < finished:
            raise Refused(f"the visit at {at} would be before {number} was completed ({order['data']['completed_at']}); "
                          f"a return visit follows completion")
        data: dict[str, Any] = {"repair_order": number, "visited_at": at, "method": method, "satisfaction": satisfaction,
                                "resolved": resolved}
        if feedback:
            data["feedback"] = feedback
        if visitor:
            data["visitor"] = visitor
        if not resolved:
            data.update({"escalated_to": director, "escalated_at": at})
        wh = api.file_record(app, VISIT, data, note=f"回访 {number}")
        moved = api.move_record(app, wh["number"], "closed" if resolved else "escalated",
                             note="确认解决 resolved" if resolved else f"升级 {director}")
        return {"visit": moved["record"], "order": api.get_record(app, number), "effects": moved["effects"]}


def revisit(app: App, number: str, *, director_action: str, office_report: str, satisfaction: str,
            revisit_at: str | None = None) -> dict[str, Any]:
    """After the director's coordination, the repeat visit confirms the problem resolved and closes the visit."""
    with api.transaction(app):
        wh = api.get_record(app, number)
        if wh["form"] != VISIT or wh["state"] != "escalated":
            raise Refused(f"{number} is not an escalated return visit; only those get a repeat visit")
        api.update_record(app, number, {"director_action": director_action, "office_report": office_report,
                                     "revisit_at": revisit_at or api.stamp(), "revisit_satisfaction": satisfaction,
                                     "revisit_resolved": True}, note="再次回访 repeat visit")
        moved = api.move_record(app, number, "closed", note="再次回访确认解决 resolved at the repeat visit")
        return {"visit": moved["record"], "order": api.get_record(app, wh["data"]["repair_order"]), "effects": moved["effects"]}
