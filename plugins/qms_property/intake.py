"""Service requests after registration: dispatching a repair and handing a complaint to QP-8.2-01.

Both create a record on another form and link the two, through the core's records service, in
one store transaction; everything is checked before anything is stored, so a refused hand-off
leaves no half-made record behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


from qms import api
from qms.api import NotFound, Refused

from qms_property import repairs
from qms_property.effects import COMPLAINT_LINK_FIELDS
from qms_property.forms import COMPLAINT, REQUEST

if TYPE_CHECKING:
    from qms.api import App

OPEN_STATES = ("registered", "escalated")


def _request(app: App, number: str, kind: str) -> dict[str, Any]:
    record = api.get_record(app, number)
    if record["form"] != REQUEST:
        raise Refused(f"{number} is a {record['form']} record, not a service request (QR-8.5-01)")
    if record["data"].get("request_type") != kind:
        raise Refused(f"{number} is a {record['data'].get('request_type')} request, not {kind}")
    if record["state"] not in OPEN_STATES:
        raise Refused(f"{number} is {record['state']}; only a registered or escalated request can be taken on")
    return record


def dispatch(app: App, number: str, service_class: str, *, technician: str | None = None,
             dispatcher: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Open the repair order of repair request ``number`` and mark the request dispatched.

    The order copies the customer, place and fault from the request; its time limits count from
    the time the request was received. With ``technician`` the order is dispatched at once.
    """
    with api.transaction(app):
        request = _request(app, number, "报修")
        data = request["data"]
        order_data = {"request": number, "reported_at": data["received_at"],
                      "customer_name": data.get("requester_name") or data.get("received_by") or "巡查 patrol",
                      "building": data["building"], "site": data["description"], "urgency": data.get("urgency", "一般"),
                      "service_class": service_class}
        for src, dst in (("requester_phone", "phone"), ("unit", "unit")):
            if data.get(src):
                order_data[dst] = data[src]
        order_data.update(extra or {})
        order = repairs.open_order(app, order_data)
        now = api.stamp()
        changes: dict[str, Any] = {"repair_order": order["number"]}
        if not data.get("answered_at"):
            changes["answered_at"] = now
            changes["answer"] = data.get("answer") or f"已开具派工单 {order['number']} repair order opened"
        api.update_record(app, number, changes, note=f"派工单 {order['number']} repair order")
        api.move_record(app, number, "dispatched", note=f"派工单 {order['number']}")
        if technician:
            fields = {"technician": technician, "responded_at": now}
            if dispatcher:
                fields["dispatcher"] = dispatcher
            api.update_record(app, order["number"], fields, note="派工 dispatched")
            order = api.move_record(app, order["number"], "dispatched", note=f"派给 {technician}")["record"]
    return order


def complaint_data(app: App, request: dict[str, Any]) -> dict[str, Any]:
    """The complaint report's fields from a complaint request, limited to the fields its form has.

    The complaint reaches QP-8.2-01 passed on (转交) by the property company, at the time the owner
    made it, so the complaints procedure's own limits count from the owner's call.
    """
    form = api.current_form(app, COMPLAINT)
    props = form.get("schema", {}).get("properties", {})
    data = request["data"]
    number = request["number"]
    place = f"{data.get('building', '')} {data.get('unit', '')}".strip()
    who = data.get("requester_name") or "业主 owner"
    offered: dict[str, Any] = {
        "received_at": data["received_at"], "received_by": data.get("received_by"),
        "channel": "转交", "transferred_via": "物业公司",
        "customer": f"{who}（{place}）" if place else who, "contact_person": data.get("requester_name"),
        "contact_phone": data.get("requester_phone"), "contact_address": place,
        "content": f"{data['description']}\n（转自服务请求 {number} Handed over from service request {number}）",
        "category": data.get("complaint_category"), "sub_category": data.get("complaint_subcategory"),
        "product": "物业服务 Property services",
    }
    out: dict[str, Any] = {}
    for name, value in offered.items():
        prop = props.get(name)
        if prop is None or value in (None, ""):
            continue
        allowed = prop.get("enum")
        if allowed is not None and value not in allowed:
            continue
        out[name] = value
    for name in COMPLAINT_LINK_FIELDS:
        if name in props:
            kind = props[name].get("type")
            out[name] = [number] if kind == "array" else number
            break
    return out


def handoff(app: App, number: str, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Hand owner complaint ``number`` to the complaints procedure: file its QR-8.2-01 report, linked both ways.

    The report names the request (in its source field, and in its filing note) and the request
    names the report (``complaint_record``); the request then waits in ``handed_over`` and closes
    when the complaint closes. Returns the complaint record.
    """
    try:
        api.current_form(app, COMPLAINT)
    except NotFound as exc:
        raise Refused(f"the complaints procedure's form {COMPLAINT} is not in this workspace's forms/; "
                      f"install the complaints plugin's forms before handing complaints over") from exc
    with api.transaction(app):
        request = _request(app, number, "投诉")
        data = {**complaint_data(app, request), **(extra or {})}
        note = f"由服务请求 {number} 转交 handed over from service request {number} (QP-8.5-01 §5.4)"
        complaint = api.file_record(app, COMPLAINT, data, note=note)
        changes: dict[str, Any] = {"complaint_record": complaint["number"]}
        if not request["data"].get("answered_at"):
            changes["answered_at"] = api.stamp()
            changes["answer"] = f"已转投诉处理 {complaint['number']} handed to complaint handling"
        api.update_record(app, number, changes, note=f"转投诉 {complaint['number']} handed over")
        api.move_record(app, number, "handed_over", note=f"投诉 {complaint['number']}")
    return complaint
