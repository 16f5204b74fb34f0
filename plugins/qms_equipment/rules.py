"""The procedure's rules as plain functions: record validation beyond the schema, and transition vetoes.

Each validator returns ``[{"path", "message"}]`` (the core adds the field's bilingual label); each
veto returns one-line reasons. They read other records only through the ``RecordQuery`` handed in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from qms import api
from qms.api import RecordQuery

from qms_equipment import calibration, register, status
from qms_equipment.workflow import PURCHASE_APPROVED

Problems = list[dict[str, str]]
#: Purchases of this price or more (CNY; 二千元以上 includes the bound) need 物资管理部's signed approval (5.1.3).
APPROVAL_LIMIT = 2000
APPROVING_DEPT = "物资管理部"
#: A deferred maintenance is re-planned within one quarter of its planned date (5.5.3).
REPLAN_MONTHS = 3


def _p(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


def _root(record: dict[str, Any] | None) -> str | None:
    return (record.get("amends_root") or record.get("number")) if record else None


def _same_chain(other: dict[str, Any], record: dict[str, Any] | None) -> bool:
    """Whether ``other`` is ``record`` itself or one of its amendments (an amendment keeps the number)."""
    root = _root(record)
    return root is not None and (other.get("amends_root") or other.get("number")) == root


# -- the card ---------------------------------------------------------------------------------


def card_problems(data: dict[str, Any], record: dict[str, Any] | None, query: RecordQuery, today: date) -> Problems:
    """Numbering, attachment, purchase approval, joint acceptance and calibration set-up of a card."""
    found: Problems = []
    number = str(data.get("equipment_no", ""))
    unit = str(data.get("unit_code", ""))
    if number and unit and not number.startswith(unit):
        found.append(_p("equipment_no", f"must start with the unit code {unit} (3-digit unit code + 3-digit sequence)"))
    if number.endswith("000"):
        found.append(_p("equipment_no", "sequence 000 is not a number; sequences run 001–999"))
    others = [c for c in register.cards(query) if not _same_chain(c, record)]
    main_ref = data.get("attachment_of")
    if main_ref:
        main = next((c for c in others if c["number"] == main_ref), None)
        if main is None:
            found.append(_p("attachment_of", f"{main_ref} is not an equipment card in the register"))
        elif register.is_attachment(main):
            found.append(_p("attachment_of", f"{main_ref} is itself an attachment; name the main unit's card"))
        elif main["data"].get("equipment_no") != number:
            found.append(_p("equipment_no", f"an attachment carries its main unit's number "
                                            f"{main['data'].get('equipment_no')} ({main_ref})"))
    else:
        taken = next((c for c in others if c["data"].get("equipment_no") == number and not register.is_attachment(c)), None)
        if taken is not None:
            found.append(_p("equipment_no", f"{number} is already the number of {taken['data'].get('name')} ({taken['number']}); "
                                            f"numbers are never reused — let `qms equipment register --unit {unit}` give the next one"))
    found += purchase_problems(data, record)
    found += acceptance_problems(data)
    found += measuring_problems(data)
    scrap = data.get("scrap_ref")
    if scrap:
        app_ok = [r for r in register.subject_records(query, register.FORM_SCRAP)
                  if r["number"] == scrap and r["data"].get("card") == (record or {}).get("number")
                  and r.get("state") in ("scrapped", "disposed")]
        if record is None or not app_ok:
            found.append(_p("scrap_ref", f"{scrap} is not a scrapping application of this equipment that has reached "
                                         f"已报废; scrap through its application (appraisal → approval → replacement)"))
    return found


def needs_approval(data: dict[str, Any]) -> bool:
    """Whether the card is a purchase of ¥2,000 or more, which 物资管理部 approves by signature (5.1.3)."""
    price = data.get("price")
    return data.get("route") == "购置" and isinstance(price, int | float) and price >= APPROVAL_LIMIT


#: The fields in which cards filed before the approval was signed named the approver by hand; old
#: cards keep them (and their checks), new cards get the approval as a signature instead.
TYPED_APPROVAL = ("purchase_approved_dept", "purchase_approved_by", "purchase_approved_on")


def purchase_problems(data: dict[str, Any], record: dict[str, Any] | None = None) -> Problems:
    """A purchase states its price; its approval is signed, never typed, on a new card."""
    if data.get("route") != "购置":
        return []
    price = data.get("price")
    if price is None:
        return [_p("price", "is required for purchased equipment (购置), to decide whether 物资管理部 must approve it")]
    typed = [name for name in TYPED_APPROVAL if data.get(name)]
    if record is None:
        return [_p(name, f"is not typed: the approval of a purchase of ¥{APPROVAL_LIMIT:,} or more is signed by a user of "
                         f"{APPROVING_DEPT} after registration (`qms equipment approve-purchase CARD`); leave it out")
                for name in typed]
    if not typed:
        signed = any(sig.get("meaning") == PURCHASE_APPROVED for sig in record.get("signatures") or [])
        if needs_approval(data) and not signed and record.get("state") != status.AWAITING:
            # Raising the price (or changing the route) afterwards must not bypass the signature.
            return [_p("price", f"a card that went into use without {APPROVING_DEPT}'s signed approval cannot become a "
                                f"purchase of ¥{APPROVAL_LIMIT:,} or more; correct the card with the approval in place")]
        return []
    # A card filed before the approval was signed: its typed approval keeps the checks it was filed under.
    found: Problems = []
    if data.get("purchase_approved_dept") not in (None, APPROVING_DEPT):
        found.append(_p("purchase_approved_dept", f"a purchase is approved by {APPROVING_DEPT}"))
    approved = api.parse_date(data.get("purchase_approved_on"))
    accepted = api.parse_date(data.get("acceptance_date"))
    if approved and accepted and approved > accepted:
        found.append(_p("purchase_approved_on", "must not be later than the acceptance: the purchase is approved first"))
    return found


def registered_by(record: dict[str, Any]) -> str:
    """The user who filed the card."""
    first = (record.get("history") or [{}])[0]
    return str(record.get("created_by") or first.get("actor") or "")


def purchase_vetoes(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """Only a just-filed purchase of ¥2,000 or more waits for approval; its registrar may not approve it."""
    data, number = record.get("data") or {}, record.get("number")
    if target == status.AWAITING:
        just_filed = len(record.get("history") or []) == 1
        if not (just_filed and needs_approval(data)):
            return [f"{number}: only a purchase of ¥{APPROVAL_LIMIT:,} or more waits for {APPROVING_DEPT}'s approval, "
                    f"and only as it is registered"]
        return []
    if record.get("state") == status.AWAITING and actor.get("name") and actor.get("name") == registered_by(record):
        return [f"{actor['name']} registered it and may not approve its own purchase (segregation of duties); "
                f"another user of {APPROVING_DEPT} signs the approval"]
    return []


def acceptance_problems(data: dict[str, Any]) -> Problems:
    """Only equipment accepted at the joint unpacking inspection is registered (5.2)."""
    found: Problems = []
    if data.get("acceptance_result") != "合格":
        found.append(_p("acceptance_result", "only equipment accepted at the joint unpacking inspection is registered "
                                             "and used; purchasing returns or exchanges rejected equipment"))
    if data.get("route") == "购置":
        for name, who in (("acceptance_purchasing", "采购部 purchasing"), ("acceptance_technical", "技术部 technical")):
            if not data.get(name):
                found.append(_p(name, f"is required: purchased equipment is accepted jointly by 设备科, the user, {who}"))
    return found


def measuring_problems(data: dict[str, Any]) -> Problems:
    """Measuring equipment needs a calibration mode and cycle; external calibration a named provider."""
    found: Problems = []
    if data.get("category") == "计量器具" and not data.get("measuring"):
        found.append(_p("measuring", "must be true for a 计量器具 (measuring instrument)"))
    if not data.get("measuring"):
        return found
    for name in ("cal_mode", "cal_cycle_months"):
        if not data.get(name):
            found.append(_p(name, "is required for measuring equipment"))
    if data.get("cal_mode") == "外校" and not data.get("cal_provider"):
        found.append(_p("cal_provider", "is required for external calibration: name the accredited metrology body"))
    return found


# -- records about one piece of equipment -----------------------------------------------------


def subject_problems(data: dict[str, Any], record: dict[str, Any] | None, query: RecordQuery) -> tuple[Problems, dict[str, Any] | None]:
    """The record's ``card`` must be the card of its ``equipment_no``; new records not about scrapped equipment."""
    ref, number = str(data.get("card", "")), str(data.get("equipment_no", ""))
    card = next((c for c in register.cards(query) if c["number"] == ref), None)
    if card is None:
        main = register.main_card(query, number)
        hint = f"; equipment {number} is card {main['number']}" if main else "; list cards with `qms equipment list`"
        return [_p("card", f"{ref} is not an equipment card in the register{hint}")], None
    if card["data"].get("equipment_no") != number:
        return [_p("equipment_no", f"card {ref} is equipment {card['data'].get('equipment_no')}, not {number}")], card
    if record is None and card.get("state") == "scrapped":
        return [_p("card", f"equipment {number} ({ref}) is scrapped; no new records are filed about it")], card
    return [], card


def maintenance_problems(data: dict[str, Any], record: dict[str, Any] | None, query: RecordQuery, today: date) -> Problems:
    """A deferral has a reason and a new date after the planned one and within one quarter of it."""
    found, _ = subject_problems(data, record, query)
    planned = api.parse_date(data.get("planned_date"))
    replanned = api.parse_date(data.get("replanned_date"))
    if replanned and planned:
        limit = calibration.next_due(planned, REPLAN_MONTHS)
        if replanned <= planned:
            found.append(_p("replanned_date", f"must be after the planned date {planned}"))
        elif replanned > limit:
            found.append(_p("replanned_date", f"a deferred maintenance is re-planned within one quarter: by {limit} "
                                              f"(planned {planned}), not {replanned}"))
    if replanned and not data.get("defer_reason"):
        found.append(_p("defer_reason", "is required when the maintenance is deferred"))
    done = api.parse_date(data.get("performed_date"))
    if done and done > today:
        found.append(_p("performed_date", f"must not be in the future (today is {today})"))
    return found


def calibration_problems(data: dict[str, Any], record: dict[str, Any] | None, query: RecordQuery, today: date) -> Problems:
    """Actual date not in the future; external calibration by a named accredited body; consistent result."""
    found, card = subject_problems(data, record, query)
    if card is not None and not card["data"].get("measuring"):
        found.append(_p("card", f"equipment {card['data'].get('equipment_no')} is not registered as measuring equipment"))
    day = api.parse_date(data.get("calibration_date"))
    if day and day > today:
        found.append(_p("calibration_date", f"is the actual calibration date and cannot be in the future (today is {today}); "
                                            f"the next due date is computed from it"))
    if data.get("cal_mode") == "外校":
        for name in ("provider", "provider_accreditation", "certificate_no"):
            if not data.get(name):
                found.append(_p(name, "is required for external calibration, which only an accredited metrology body may do"))
    elif data.get("cal_mode") == "内校" and not data.get("procedure_ref"):
        found.append(_p("procedure_ref", "is required for internal calibration: name the calibration procedure followed"))
    result = data.get("result")
    if result == "准用" and not data.get("limitation"):
        found.append(_p("limitation", "is required for 准用 (limited use): state the range or function that may be used"))
    if result in calibration.PASSING and data.get("as_left") == "超差":
        found.append(_p("result", "cannot pass while the instrument is left out of tolerance (as_left 超差)"))
    label = data.get("label")
    if label and result and label != calibration.LABEL_OF_RESULT.get(result):
        found.append(_p("label", f"must be {calibration.LABEL_OF_RESULT.get(result)} for the result {result}"))
    if data.get("equipment_no") in (data.get("standard_used") or []):
        found.append(_p("standard_used", "an instrument cannot be its own reference standard"))
    return found


def repair_problems(data: dict[str, Any], record: dict[str, Any] | None, query: RecordQuery, today: date) -> Problems:
    """The repair ends after the stop."""
    found, _ = subject_problems(data, record, query)
    stopped, restored = str(data.get("stopped_at") or ""), str(data.get("restored_at") or "")
    if stopped and restored and restored < stopped:
        found.append(_p("restored_at", f"must not be earlier than the stop ({stopped})"))
    return found


def accident_problems(data: dict[str, Any], record: dict[str, Any] | None, query: RecordQuery, today: date) -> Problems:
    """重大 accidents are investigated by 物资管理部, 一般 ones by 设备科 (5.7.2)."""
    found, _ = subject_problems(data, record, query)
    wanted = {"重大": "物资管理部", "一般": "设备科"}.get(str(data.get("severity")))
    dept = data.get("investigated_by_dept")
    if dept and wanted and dept != wanted:
        found.append(_p("investigated_by_dept", f"a {data.get('severity')} accident is investigated by {wanted}"))
    return found


def scrap_problems(data: dict[str, Any], record: dict[str, Any] | None, query: RecordQuery, today: date) -> Problems:
    """No replacement must be stated with a reason; a replacement must be registered equipment."""
    found, _ = subject_problems(data, record, query)
    if data.get("replacement_planned") is False and not data.get("no_replacement_reason"):
        found.append(_p("no_replacement_reason", "is required when no replacement is planned (不更新): say why"))
    replacement = data.get("replacement_no")
    if replacement:
        if data.get("replacement_planned") is False:
            found.append(_p("replacement_no", "no replacement is planned; remove it or set replacement_planned"))
        elif replacement == data.get("equipment_no"):
            found.append(_p("replacement_no", "the replacement must be another piece of equipment"))
        else:
            card = register.main_card(query, str(replacement))
            if card is None:
                found.append(_p("replacement_no", f"{replacement} is not in the register: the replacement counts as arrived "
                                                  f"once it is accepted and registered (`qms equipment register`)"))
            elif card.get("state") == "scrapped":
                found.append(_p("replacement_no", f"{replacement} is scrapped itself"))
    return found


VALIDATORS: dict[str, Callable[[dict[str, Any], dict[str, Any] | None, RecordQuery, date], Problems]] = {
    register.FORM_CARD: card_problems,
    register.FORM_MAINTENANCE: maintenance_problems,
    register.FORM_CALIBRATION: calibration_problems,
    register.FORM_REPAIR: repair_problems,
    register.FORM_ACCIDENT: accident_problems,
    register.FORM_SCRAP: scrap_problems,
}


def validate(form: str, data: dict[str, Any], record: dict[str, Any] | None, query: RecordQuery, today: date) -> Problems:
    """The cross-field problems of a record on one of the equipment forms (``[]`` for other forms)."""
    check = VALIDATORS.get(form)
    return check(data, record, query, today) if check else []


# -- transition vetoes ------------------------------------------------------------------------


def vetoes(record: dict[str, Any], target: str, actor: dict[str, Any] | None = None) -> list[str]:
    """Reasons a move of an equipment record must not happen now."""
    form, data, number = record.get("form"), record.get("data") or {}, record.get("number")
    if form == register.FORM_CARD:
        return purchase_vetoes(record, target, actor or {})
    if form == register.FORM_SCRAP:
        return scrap_vetoes(record, target)
    if form == register.FORM_CALIBRATION and target == "closed" and data.get("result") == "不合格":
        if not (data.get("impact_assessment") and data.get("assessed_by")):
            return [f"{number} failed: it is closed only after 品质部 has assessed every record on its impact list "
                    f"(fill impact_assessment and assessed_by; see `qms equipment impact {data.get('equipment_no')}`)"]
    if form == register.FORM_REPAIR and target == "repaired" and data.get("test_run") != "合格":
        return ["the equipment returns to service only after a passed test run (test_run 合格); "
                "keep it under repair until then"]
    if form == register.FORM_ACCIDENT and target == "closed" and data.get("severity") == "一般" and not data.get("filed_with"):
        return ["an 一般 accident is closed once 设备科's findings are filed with 物资管理部 (filed_with)"]
    return []


def scrap_vetoes(record: dict[str, Any], target: str) -> list[str]:
    """The scrapping order: nothing is scrapped before its replacement has arrived, unless none is planned."""
    data = record.get("data") or {}
    planned = data.get("replacement_planned")
    if target == "replacement_arrived" and planned is False:
        return ["no replacement is planned (不更新); scrap it directly once approved"]
    if target == "scrapped" and record.get("state") == "approved":
        if planned is not False:
            return [f"the replacement has not arrived: equipment {data.get('equipment_no')} is scrapped only after its "
                    f"replacement has arrived (move to replacement_arrived with replacement_no and replacement_arrived_on), "
                    f"or when no replacement is planned and that is stated (replacement_planned false, no_replacement_reason)"]
        if not data.get("no_replacement_reason"):
            return ["scrapping without replacement needs the reason stated in no_replacement_reason"]
    return []


__all__ = ["APPROVAL_LIMIT", "APPROVING_DEPT", "REPLAN_MONTHS", "TYPED_APPROVAL", "needs_approval", "registered_by",
           "validate", "vetoes"]
