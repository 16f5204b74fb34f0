"""Park vehicle passes: issue, renewal (old pass for new, deposit carried over), return, refund, loss.

The deposit arithmetic: an external vehicle pays ``[property] pass_deposit`` (¥50) once, on the
first pass. A renewal moves the deposit from the old pass to the new one (``deposit_transferred``
on the old, ``deposit_carried`` on the new), so exactly one pass holds it. The deposit is refunded
through 财务部 once, and only for a pass that was handed back; a lost pass cannot be handed back,
so its deposit is not refunded.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any


from qms import api
from qms.api import Refused, ValidationFailed

from qms_property import config, rules
from qms_property.forms import EXTERNAL, PASS, deposit_due_back, deposit_held, money, pass_colour

if TYPE_CHECKING:
    from qms.api import App

APPLICATION_FIELDS = ("applicant", "vehicle_category", "handling_dept", "letter_reason", "documents", "plate")


def normalise_plate(plate: str) -> str:
    """``沪a·12345`` → ``沪A12345``: upper case, without the dot and spaces people write."""
    return re.sub(r"[\s·.\-]", "", plate).upper()


def _issuer(app: App) -> str:
    user = app.actor("record.file", "issue vehicle passes")
    return str(user.get("full_name") or user["name"])


def _refuse_early(number: str, data: dict[str, Any], target: str) -> None:
    """Refuse before storing anything when the pass could not be issued."""
    found = rules.pass_problems(data)
    if found:
        raise ValidationFailed([f"{p['path']}: {p['message']}" for p in found], what="QR-8.5-04 vehicle pass")
    reasons = rules.pass_vetoes({"number": number, "form": PASS, "state": "applied", "data": data}, target)
    if reasons:
        raise Refused("the pass cannot be issued: " + "; ".join(reasons))


def issue(app: App, application: dict[str, Any], *, receipt: str | None = None) -> dict[str, Any]:
    """File and issue a pass: colour, deposit and expiry follow the vehicle category.

    External vehicles: yellow, the configured deposit (needs ``receipt``), valid until the end of
    the contact letter's period. Group employees and guests: light green, no deposit, no expiry.
    """
    data = {k: v for k, v in application.items() if v not in (None, "", [])}
    if isinstance(data.get("plate"), str):
        data["plate"] = normalise_plate(data["plate"])
    category = data.get("vehicle_category", "")
    data["colour"] = pass_colour(str(category))
    if category == EXTERNAL:
        data["deposit"] = config.of(app).pass_deposit
        if receipt:
            data["deposit_receipt"] = receipt
        if data.get("period_until"):
            data["valid_until"] = data["period_until"]
    data["issued_at"] = api.stamp()
    data["issued_by"] = _issuer(app)
    _refuse_early("(new)", data, "issued")
    with api.transaction(app):
        record = api.file_record(app, PASS, data, note="通行证申请 pass applied for")
        return api.move_record(app, record["number"], "issued", note=f"发证 {data['colour']}")["record"]


def _pass(app: App, number: str) -> dict[str, Any]:
    record = api.get_record(app, number)
    if record["form"] != PASS:
        raise Refused(f"{number} is a {record['form']} record, not a vehicle pass (QR-8.5-04)")
    return record


def renew(app: App, number: str, *, until: str, reason: str | None = None, period_from: str | None = None) -> dict[str, Any]:
    """Exchange external pass ``number`` for a new one valid until ``until``; no new deposit, the old one moves on.

    Returns the new pass.
    """
    with api.transaction(app):
        old = _pass(app, number)
        data = old["data"]
        if data.get("vehicle_category") != EXTERNAL:
            raise Refused(f"{number} is a {data.get('vehicle_category')} pass without expiry; it is never renewed")
        if old["state"] != "issued":
            raise Refused(f"{number} is {old['state']}; only a pass that is out (issued) is exchanged for a new one")
        if period_from:
            start = period_from
        elif data.get("valid_until"):
            start = (date.fromisoformat(data["valid_until"]) + timedelta(days=1)).isoformat()
        else:
            start = api.now().date().isoformat()
        held = money(deposit_held(data))
        new = {k: data[k] for k in APPLICATION_FIELDS if k in data}
        new.update({"letter_reason": reason or data["letter_reason"], "period_from": start, "period_until": until,
                    "valid_until": until, "colour": data["colour"], "deposit": 0, "deposit_carried": held,
                    "renewal_of": number, "old_pass_returned": True, "issued_at": api.stamp(), "issued_by": _issuer(app)})
        _refuse_early("(new)", new, "issued")
        fresh = api.file_record(app, PASS, new, note=f"续办，换发 {number} renewal of {number}")
        api.update_record(app, number, {"renewed_by": fresh["number"], "deposit_transferred": held},
                       note=f"旧证交回换发 {fresh['number']}，押金 {held:g} 元转入新证")
        api.move_record(app, number, "renewed", note=f"换发新证 {fresh['number']}")
        return api.move_record(app, fresh["number"], "issued", note=f"续办发证，押金自 {number} 转入")["record"]


def hand_back(app: App, number: str, *, returned_at: str | None = None) -> dict[str, Any]:
    """Record pass ``number`` handed back; a pass without deposit is closed at once."""
    with api.transaction(app):
        record = _pass(app, number)
        if record["state"] != "issued":
            raise Refused(f"{number} is {record['state']}; only a pass that is out (issued) can be handed back")
        api.update_record(app, number, {"returned_at": returned_at or api.stamp(), "returned_pass_no": number},
                       note="通行证交回 pass handed back")
        moved = api.move_record(app, number, "returned", note="交回 returned")["record"]
        if deposit_due_back(moved["data"]) <= 0:
            moved = api.move_record(app, number, "closed", note="无押金，注销 no deposit, closed")["record"]
        return moved


def refund(app: App, number: str, *, voucher: str, refunded_at: str | None = None) -> dict[str, Any]:
    """Refund the deposit of handed-back pass ``number`` through 财务部 (voucher number), once."""
    with api.transaction(app):
        record = _pass(app, number)
        data = record["data"]
        if record["state"] == "refunded":
            raise Refused(f"the deposit of {number} was already refunded on {data.get('refunded_at')} "
                          f"(voucher {data.get('refund_voucher')}); a deposit is refunded only once")
        if record["state"] != "returned":
            why = {"issued": "it has not been handed back", "renewed": f"its deposit moved to {data.get('renewed_by')}",
                   "lost": "it was reported lost and cannot be handed back"}.get(record["state"], f"it is {record['state']}")
            raise Refused(f"no refund for {number}: {why}; the deposit is refunded only against the returned pass")
        amount = money(deposit_due_back(data))
        if amount <= 0:
            raise Refused(f"{number} holds no deposit")
        api.update_record(app, number, {"refund_amount": amount, "refunded_at": refunded_at or api.stamp(),
                                     "refund_voucher": voucher}, note=f"财务部退押金 {amount:g} 元")
        return api.move_record(app, number, "refunded", note=f"退押金 {amount:g} 元，凭证 {voucher}")["record"]


def report_lost(app: App, number: str, *, note: str, lost_at: str | None = None) -> dict[str, Any]:
    """Record pass ``number`` lost: it is void, and its deposit is not refunded (it cannot be handed back)."""
    with api.transaction(app):
        record = _pass(app, number)
        if record["state"] != "issued":
            raise Refused(f"{number} is {record['state']}; only a pass that is out (issued) can be reported lost")
        api.update_record(app, number, {"lost_at": lost_at or api.stamp(), "lost_note": note}, note="挂失 reported lost")
        return api.move_record(app, number, "lost", note="挂失，原证作废 reported lost, void")["record"]
