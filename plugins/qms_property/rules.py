"""The rules of QP-8.5-01 as plain functions: cross-field checks of each form and the vetoes on moves.

``problems(form, data)`` returns ``{"path", "message"}`` dicts for ``qms_validate_record``;
``vetoes(record, target)`` returns one-line reasons for ``qms_check_transition``. Both see only
the record itself; rules across records (a renewal's old pass, a hand-off) live in the services.
"""

from __future__ import annotations

from typing import Any

from qms import api
from qms_property import lateness
from qms_property.due import due_at, limits_of
from qms_property.forms import (
    COMPLAINT_CATEGORIES,
    DOCUMENT_KINDS,
    EXTERNAL,
    FREE_CLASSES,
    LINE,
    PASS,
    PATROL,
    REPAIR,
    REQUEST,
    VISIT,
    YELLOW,
    deposit_due_back,
    pass_colour,
)

Problem = dict[str, str]


def _p(path: str, message: str) -> Problem:
    return {"path": path, "message": message}


def _not_before(data: dict[str, Any], later: str, earlier: str, what: str) -> list[Problem]:
    a, b = api.parse_time(data.get(later)), api.parse_time(data.get(earlier))
    if a is not None and b is not None and a < b:
        return [_p(later, f"must not be earlier than {what} ({data[earlier]})")]
    return []


# -- 服务请求 service requests ------------------------------------------------------------------


def request_problems(data: dict[str, Any]) -> list[Problem]:
    """Who asked (unless found on patrol), the line's answer flag, the type's own fields, time order."""
    out: list[Problem] = []
    channel = data.get("channel")
    kind = data.get("request_type")
    if channel != PATROL:
        for name in ("requester_kind", "requester_name"):
            if not data.get(name):
                out.append(_p(name, f"is required for a request received by {channel} (owner, tenant or visitor)"))
    if channel == LINE and not isinstance(data.get("call_answered"), bool):
        out.append(_p("call_answered", "say whether the service-line call was answered (true/false); "
                                       "the line's answer rate is counted from it"))
    if channel != LINE and "call_answered" in data:
        out.append(_p("call_answered", "only calls on the service line (channel 电话) are answered or missed"))
    if kind == "报修" and not data.get("urgency"):
        out.append(_p("urgency", "is required for a repair request (紧急 or 一般): it sets the response and arrival limits"))
    if kind == "投诉":
        category = data.get("complaint_category")
        sub = data.get("complaint_subcategory")
        if not category:
            out.append(_p("complaint_category", "is required for a complaint (物业质量 or 物业管理)"))
        if not sub:
            out.append(_p("complaint_subcategory", "is required for a complaint"))
        elif category in COMPLAINT_CATEGORIES and sub not in COMPLAINT_CATEGORIES[category]:
            out.append(_p("complaint_subcategory", f"{sub} is not a sub-item of {category}; choose one of "
                                                   f"{', '.join(COMPLAINT_CATEGORIES[category])}"))
    if data.get("repair_order") and kind != "报修":
        out.append(_p("repair_order", "only a repair request (报修) gets a repair order"))
    if data.get("complaint_record") and kind != "投诉":
        out.append(_p("complaint_record", "only a complaint (投诉) is handed to the complaints procedure"))
    if bool(data.get("escalated_at")) != bool(data.get("escalated_to")):
        out.append(_p("escalated_to" if data.get("escalated_at") else "escalated_at",
                      "an escalation needs both the time and who it went to"))
    out += _not_before(data, "answered_at", "received_at", "the time received")
    out += _not_before(data, "escalated_at", "received_at", "the time received")
    return out


def request_vetoes(record: dict[str, Any], target: str) -> list[str]:
    """A request is closed by answering it, unless a repair order or the complaints procedure owns it."""
    data = record["data"]
    kind = data.get("request_type")
    number = record["number"]
    if target == "dispatched" and kind != "报修":
        return [f"{number} is a {kind} request; only a repair request (报修) is dispatched"]
    if target == "handed_over" and kind != "投诉":
        return [f"{number} is a {kind} request; only a complaint (投诉) is handed to the complaints procedure"]
    if target == "closed" and record["state"] in ("registered", "escalated"):
        if kind == "报修":
            return [f"{number} is a repair request; dispatch it (`qms property request dispatch {number}`) and it "
                    f"closes when its repair order closes"]
        if kind == "投诉":
            return [f"{number} is a complaint; hand it over (`qms property request handoff {number}`) and it closes "
                    f"when the complaint closes"]
        if not data.get("answered_at") or not (data.get("answer") or data.get("result")):
            return [f"{number} has no answer yet: record answered_at and the answer (or the result fed back) first"]
    return []


# -- 维修派工单 repair orders -------------------------------------------------------------------


def charge_problems(data: dict[str, Any]) -> list[Problem]:
    """Charging follows the service class: A per tariff told beforehand, B per contract, C and D free."""
    out: list[Problem] = []
    cls = data.get("service_class")
    charge = data.get("charge")
    if cls == "B" and not data.get("contract_no"):
        out.append(_p("contract_no", "class B work is charged per the maintenance contract; give its number"))
    if cls == "C":
        until = api.parse_time(data.get("warranty_until"))
        reported = api.parse_time(data.get("reported_at"))
        if until is None:
            out.append(_p("warranty_until", "class C (free under warranty) needs the end of the warranty period"))
        elif reported is not None and until.date() < reported.date():
            out.append(_p("warranty_until", f"the warranty ended on {data['warranty_until']}, before the repair was "
                                            f"reported; the repair is class A (chargeable), not C"))
    if cls in FREE_CLASSES and isinstance(charge, (int, float)) and charge > 0:
        out.append(_p("charge", f"class {cls} work is not charged to the customer; the charge must be 0, not {charge:g}"))
    if cls == "A" and isinstance(charge, (int, float)) and charge > 0 and data.get("charge_notified") is not True:
        out.append(_p("charge_notified", "class A: tell the customer the charge before work starts and record it"))
    return out


def repair_problems(data: dict[str, Any]) -> list[Problem]:
    """Times in order, the charge of the class, and a voucher that is signed or refused, not both."""
    out = charge_problems(data)
    for later, earlier, what in (("responded_at", "reported_at", "registration"),
                                 ("arrived_at", "reported_at", "registration"),
                                 ("completed_at", "arrived_at", "arrival"),
                                 ("voucher_signed_at", "arrived_at", "arrival"),
                                 ("visited_at", "completed_at", "completion")):
        out += _not_before(data, later, earlier, what)
    if data.get("completed_at") and not data.get("arrived_at"):
        out.append(_p("arrived_at", "a completed repair needs the arrival time"))
    if data.get("voucher_refused") and data.get("voucher_signed_by"):
        out.append(_p("voucher_refused", "the voucher is either signed by the customer or refused, not both"))
    if data.get("voucher_refused") and not data.get("voucher_refusal_reason"):
        out.append(_p("voucher_refusal_reason", "record what happened and the customer's reason for refusing to sign"))
    if data.get("voucher_signed_by") and not data.get("voucher_signed_at"):
        out.append(_p("voucher_signed_at", "give the time the customer signed the service voucher"))
    out.extend(lateness.problems(data))
    return out


def voucher_reasons(number: str, data: dict[str, Any]) -> list[str]:
    """Whether the service voucher is settled: the customer's signature or a recorded refusal."""
    if data.get("voucher_signed_by") or (data.get("voucher_refused") and data.get("voucher_refusal_reason")):
        return []
    return [f"{number} has neither the customer's signature on the service voucher nor a recorded refusal; "
            f"set voucher_signed_by/voucher_signed_at, or voucher_refused with voucher_refusal_reason"]


def repair_vetoes(record: dict[str, Any], target: str) -> list[str]:
    """Completion needs the voucher and the class's charge; closing also needs a timely, resolved return visit."""
    data = record["data"]
    number = record["number"]
    reasons: list[str] = []
    if target in ("completed", "closed"):
        reasons += voucher_reasons(number, data)
        cls = data.get("service_class")
        if cls in ("A", "B") and not isinstance(data.get("charge"), (int, float)):
            reasons.append(f"{number} is class {cls}: record the charge (0 if nothing is due under the contract)")
    if target == "closed":
        visited = api.parse_time(data.get("visited_at"))
        if not data.get("return_visit") or visited is None:
            reasons.append(f"{number} has no return visit yet; record one with `qms property repair visit {number}`")
        else:
            due = due_at(data, "visit")
            if due is not None and visited > due:
                limit = limits_of(data)["visit"]
                reasons.append(f"the return visit of {number} on {data['visited_at']} was later than the {limit} limit "
                               f"after completion (due {due.isoformat()})")
            if data.get("visit_resolved") is not True:
                reasons.append(f"the return visit {data['return_visit']} found the problem unresolved; it goes to the "
                               f"service-centre director and {number} closes after the repeat visit")
    return reasons


# -- 维修回访 return visits ---------------------------------------------------------------------


def visit_problems(data: dict[str, Any]) -> list[Problem]:
    """An escalation only for an unresolved visit; repeat visit after the first."""
    out: list[Problem] = []
    if data.get("resolved") is True and data.get("escalated_to"):
        out.append(_p("escalated_to", "a resolved visit is not escalated"))
    out += _not_before(data, "escalated_at", "visited_at", "the visit")
    out += _not_before(data, "revisit_at", "visited_at", "the first visit")
    return out


def visit_vetoes(record: dict[str, Any], target: str) -> list[str]:
    """Unresolved visits go to the director; a visit closes only once the problem is resolved."""
    data = record["data"]
    number = record["number"]
    if target == "escalated" and data.get("resolved") is True:
        return [f"{number} found the problem resolved; close it instead of escalating"]
    if target == "closed" and record["state"] == "recorded" and data.get("resolved") is not True:
        return [f"{number} found the problem unresolved; escalate it to the service-centre director "
                f"(`qms record move {number} escalated`) before closing"]
    if target == "closed" and record["state"] == "escalated" and data.get("revisit_resolved") is not True:
        return [f"{number}: the repeat visit has not confirmed the problem resolved (revisit_resolved)"]
    return []


# -- 通行证 vehicle passes ----------------------------------------------------------------------


def document_problems(data: dict[str, Any]) -> list[Problem]:
    """One copy of an ID card, a driving licence or a vehicle licence is enough; none is refused."""
    given = [d for d in data.get("documents") or [] if d in DOCUMENT_KINDS]
    if not given:
        return [_p("documents", "no copy of an ID card, driving licence or vehicle licence (身份证、驾驶证或机动车行驶证): "
                                "one of the three is required and one is enough; without it the pass is refused 不予办理")]
    return []


def pass_problems(data: dict[str, Any], number: str | None = None) -> list[Problem]:
    """Category decides colour, deposit and validity; renewals take no new deposit; refunds match the deposit."""
    out = document_problems(data)
    category = data.get("vehicle_category")
    external = category == EXTERNAL
    colour = data.get("colour")
    if colour and category and colour != pass_colour(str(category)):
        out.append(_p("colour", f"a {category} pass is {pass_colour(str(category))}, not {colour}"))
    if external:
        if not data.get("handling_dept"):
            out.append(_p("handling_dept", "an external vehicle's pass needs the handling department (承办部门) of the contact letter"))
        if not data.get("period_until"):
            out.append(_p("period_until", "an external vehicle's contact letter must state the period of use (使用期限)"))
    else:
        for name in ("period_until", "valid_until"):
            if data.get(name):
                out.append(_p(name, f"a {category} pass has no period of use and no expiry date (不设使用期限)"))
        for name in ("deposit", "deposit_carried"):
            if (data.get(name) or 0) > 0:
                out.append(_p(name, f"a {category} pass is free of deposit (免押金)"))
        if data.get("renewal_of"):
            out.append(_p("renewal_of", "only external vehicles' passes expire and are renewed"))
    if colour == YELLOW and not data.get("valid_until"):
        out.append(_p("valid_until", "a yellow pass always carries its expiry date"))
    until, period = api.parse_time(data.get("valid_until")), api.parse_time(data.get("period_until"))
    if until is not None and period is not None and until > period:
        out.append(_p("valid_until", f"must not be later than the period of use in the contact letter ({data['period_until']})"))
    out += _not_before(data, "period_until", "period_from", "the start of the period")
    if data.get("renewal_of") and (data.get("deposit") or 0) > 0:
        out.append(_p("deposit", "a renewal exchanges the old pass without a new deposit; the old deposit is carried over"))
    if data.get("renewal_of") and number and data["renewal_of"] == number:
        out.append(_p("renewal_of", "a pass cannot renew itself"))
    if data.get("returned_pass_no") and number and data["returned_pass_no"] != number:
        out.append(_p("returned_pass_no", f"the pass handed back is {data['returned_pass_no']}, not this pass {number}; "
                                          f"the deposit is refunded only against its own pass"))
    refund = data.get("refund_amount")
    if isinstance(refund, (int, float)) and refund != deposit_due_back(data):
        out.append(_p("refund_amount", f"the refund must be the deposit held on this pass ({deposit_due_back(data):g} 元), "
                                       f"not {refund:g}"))
    if (data.get("deposit_transferred") or 0) > (data.get("deposit") or 0) + (data.get("deposit_carried") or 0):
        out.append(_p("deposit_transferred", "cannot move on more deposit than the pass holds"))
    return out


def pass_vetoes(record: dict[str, Any], target: str) -> list[str]:
    """Deposit before issue, old pass in for a renewal, refund once and only for a returned pass."""
    data = record["data"]
    number = record["number"]
    external = data.get("vehicle_category") == EXTERNAL
    reasons: list[str] = []
    if target == "issued":
        if external and not data.get("renewal_of") and not ((data.get("deposit") or 0) > 0 and data.get("deposit_receipt")):
            reasons.append(f"{number}: an external vehicle pays the deposit before the pass is issued; give the deposit "
                           f"receipt number with --receipt of `qms property pass issue` (field deposit_receipt)")
        if data.get("renewal_of") and data.get("old_pass_returned") is not True:
            reasons.append(f"{number} renews {data['renewal_of']}: the old pass must be handed in first (旧证换新证)")
    if target == "returned" and data.get("returned_pass_no") != number:
        reasons.append(f"{number}: record returned_pass_no as the number on the pass handed back ({number})")
    if target == "refunded":
        if deposit_due_back(data) <= 0:
            reasons.append(f"{number} holds no deposit to refund; close it instead")
    if target == "closed" and deposit_due_back(data) > 0:
        reasons.append(f"{number} still holds a deposit of {deposit_due_back(data):g} 元; refund it through 财务部 first")
    return reasons


def problems(form: str, data: dict[str, Any], record: dict[str, Any] | None) -> list[Problem]:
    """The cross-field problems of a record on one of this procedure's forms ([] for other forms)."""
    if form == REQUEST:
        return request_problems(data)
    if form == REPAIR:
        return repair_problems(data)
    if form == VISIT:
        return visit_problems(data)
    if form == PASS:
        return pass_problems(data, record["number"] if record else None)
    return []


def vetoes(record: dict[str, Any], target: str) -> list[str]:
    """The reasons a record of this procedure may not move to ``target`` ([] for other forms)."""
    checks = {REQUEST: request_vetoes, REPAIR: repair_vetoes, VISIT: visit_vetoes, PASS: pass_vetoes}
    check = checks.get(record.get("form", ""))
    return check(record, target) if check else []
