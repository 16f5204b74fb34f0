"""Equipment operations for the CLI and the demo, built on the core records service.

Every operation files or moves records through ``qms.records`` (so the forms, the workflows, the
rules and the audit log apply exactly as for ``qms record …``); nothing here touches the store.
Operations that allocate a number or take two steps hold the store's transaction across them.
"""

from __future__ import annotations

from datetime import date
from typing import Any


from qms import api
from qms.api import App, NotFound, record_query, Refused, UsageError

from qms_equipment import calibration, register, rules, status


def today() -> date:
    """The quality system's today."""
    return api.now().date()


def card(app: App, ref: str) -> dict[str, Any]:
    """A card by record number or equipment number."""
    return register.find_card(record_query(app), ref)


def _about(app: App, ref: str) -> dict[str, Any]:
    """``card`` and ``equipment_no`` for a record about the equipment ``ref``."""
    found = card(app, ref)
    return {"card": found["number"], "equipment_no": found["data"]["equipment_no"]}


# -- register and status ------------------------------------------------------------------------


def register_equipment(app: App, data: dict[str, Any], *, state: str = "in_use", note: str = "") -> dict[str, Any]:
    """File an equipment card; the 6-digit number is the unit's next unless given.

    An attachment (``attachment_of``: the main unit's card or equipment number) takes the main
    unit's number. ``state`` other than 在用 is set by a transition right after filing. A purchase of
    ¥2,000 or more is left in 待批准 by the plugin's own effect, for 物资管理部 to sign.
    """
    data = dict(data)
    target = status.state_id(state)
    if target is None or target in ("scrapped", status.AWAITING):
        raise UsageError(f"a new card starts in 在用, 备用, 闲置 or 封存, not {state!r}")
    if target != "in_use" and rules.needs_approval(data):
        raise UsageError(f"a purchase of ¥{rules.APPROVAL_LIMIT:,} or more is registered awaiting {rules.APPROVING_DEPT}'s "
                         f"signed approval and goes into use with it; change its status after the approval")
    query = record_query(app)
    with api.transaction(app):
        main_ref = data.get("attachment_of")
        if main_ref:
            main = register.find_card(query, str(main_ref))
            data["attachment_of"] = main["number"]
            data["equipment_no"] = main["data"]["equipment_no"]
            data.setdefault("unit_code", main["data"]["unit_code"])
        elif not data.get("equipment_no"):
            unit = str(data.get("unit_code") or "")
            data["equipment_no"] = register.next_number(query, unit)
        data.setdefault("unit_code", str(data["equipment_no"])[:3])
        filed = api.file_record(app, register.FORM_CARD, data, note=note or "建账立卡 registered")
        if target != "in_use":
            filed = api.move_record(app, filed["number"], target, note=f"登记状态 status at registration: {status.STATES[target]}")["record"]
    return filed


def set_status(app: App, ref: str, state: str, reason: str) -> dict[str, Any]:
    """Change an equipment's status with a reason (报废 only through a scrapping application)."""
    if not reason.strip():
        raise UsageError("a status change needs a reason: --reason \"…\"")
    target = status.state_id(state)
    if target is None:
        raise UsageError(f"unknown status {state!r}; use one of {', '.join(status.ZH)}")
    if target == "scrapped":
        raise UsageError("equipment is scrapped through its scrapping application (QR-7.1-06): "
                         "appraisal → application → approval → replacement → scrapped")
    found = card(app, ref)
    if found["state"] == status.AWAITING:
        raise UsageError(f"{found['number']} awaits {rules.APPROVING_DEPT}'s signed purchase approval: a user of "
                         f"{rules.APPROVING_DEPT} signs it with `qms equipment approve-purchase {found['number']} --as NAME`, "
                         f"which puts it in use")
    return api.move_record(app, found["number"], target, note=reason.strip())["record"]


def awaiting_approval(app: App, ref: str) -> dict[str, Any]:
    """The card ``ref`` if it awaits a purchase approval the acting user may sign; refused otherwise.

    Checked before the password is asked; the signed move checks it all again (and the department).
    """
    found = card(app, ref)
    if found["state"] != status.AWAITING:
        raise UsageError(f"{found['number']} ({found['data'].get('equipment_no')}) awaits no purchase approval: it is "
                         f"{status.STATES.get(found['state'], found['state'])}")
    if app.actor_name and app.actor_name == rules.registered_by(found):
        raise Refused(f"{found['number']} cannot move to in_use: {app.actor_name} registered it and may not approve its "
                      f"own purchase (segregation of duties); another user of {rules.APPROVING_DEPT} signs the approval")
    return found


def approve_purchase(app: App, ref: str, password: str, note: str = "") -> dict[str, Any]:
    """Sign the approval of a purchase of ¥2,000 or more (a user of 物资管理部, not its registrar); it goes into use."""
    found = awaiting_approval(app, ref)
    return api.move_record(app, found["number"], "in_use", note=note or "批准采购，投入使用 purchase approved",
                           password=password)["record"]


def enforce(app: App) -> list[dict[str, Any]]:
    """Store the computed 停用 of every instrument whose calibration is due, failed or missing; the moves made."""
    moved = []
    with api.transaction(app):
        query = record_query(app)
        grouped = register.calibrations_by_card(query)
        for found in register.cards(query):
            state, why = status.effective(found, grouped.get(found["number"], []), today())
            if state == "stopped" and found["state"] != "stopped":
                api.move_record(app, found["number"], "stopped", note=why)
                moved.append({"card": found["number"], "equipment_no": found["data"]["equipment_no"],
                              "name": found["data"].get("name"), "from": found["state"], "reason": why})
    return moved


# -- calibration ----------------------------------------------------------------------------------


def calibrate(app: App, ref: str, data: dict[str, Any], password: str) -> dict[str, Any]:
    """File a calibration, confirm it (signed) and close it when it passed; returns the record.

    Mode, cycle and provider default to the card's. A failure stores the impact list at filing,
    and confirming it stops the instrument at once (the plugin's effect).
    """
    found = card(app, ref)
    cdata = found["data"]
    full = {**_about(app, ref), "cal_mode": cdata.get("cal_mode"), "cycle_months": cdata.get("cal_cycle_months"), **data}
    if full.get("cal_mode") == "外校":
        full.setdefault("provider", cdata.get("cal_provider"))
    result = full.get("result")
    if result in calibration.LABEL_OF_RESULT:
        full.setdefault("label", calibration.LABEL_OF_RESULT[result])
    with api.transaction(app):
        if result == "不合格":
            full["impact_records"] = [h["number"] for h in impact(app, ref, failed_on=str(full.get("calibration_date", "")))["records"]]
        filed = api.file_record(app, register.FORM_CALIBRATION, {k: v for k, v in full.items() if v is not None},
                             note="校准记录 calibration recorded")
        api.move_record(app, filed["number"], "confirmed", note="校准确认 calibration confirmed", password=password)
        if result in calibration.PASSING:
            api.move_record(app, filed["number"], "closed", note=f"校准{result}，关闭 closed")
    return api.get_record(app, filed["number"])


def assess(app: App, number: str, assessment: str, assessed_by: str) -> dict[str, Any]:
    """Record 品质部's assessment of a failed calibration's impact list and close the record.

    ``assessed_by`` is the user name of the assessor, a user of 品质部 (the form's ``x-ref: user``).
    """
    with api.transaction(app):
        api.update_record(app, number, {"impact_assessment": assessment, "assessed_by": assessed_by},
                       note="超差影响评估 impact assessed")
        api.move_record(app, number, "closed", note="影响评估完成 impact assessed")
    return api.get_record(app, number)


def impact(app: App, ref: str, failed_on: str | None = None) -> dict[str, Any]:
    """The out-of-tolerance impact list: every record of any form naming the instrument since its last good calibration.

    The failure is the instrument's latest failed calibration, or one dated ``failed_on`` that is
    about to be filed. The period starts at the last passing calibration before it (or, when there
    is none, covers the whole life of the instrument).
    """
    found = card(app, ref)
    number = found["data"]["equipment_no"]
    cals = register.subject_records(record_query(app), register.FORM_CALIBRATION, found["number"])
    if failed_on:
        failed: dict[str, Any] = {"number": "~", "data": {"calibration_date": failed_on, "result": "不合格"}}
    else:
        failures = [c for c in calibration.ordered(cals) if c["data"].get("result") == "不合格"]
        if not failures:
            raise NotFound(f"equipment {number} has no failed calibration; the impact list follows a failure")
        failed = failures[-1]
    good = calibration.last_good_before(cals, failed)
    since = good["data"]["calibration_date"] if good else None
    hits = [h for h in api.referencing(app, "equipment", number, since)
            if h["number"] != failed.get("number")]
    return {"equipment_no": number, "card": found["number"], "name": found["data"].get("name"),
            "failed": None if failed["number"] == "~" else failed["number"],
            "failed_on": failed["data"]["calibration_date"], "last_good": good["number"] if good else None,
            "since": since, "records": hits}


# -- maintenance ----------------------------------------------------------------------------------


def plan_maintenance(app: App, ref: str, level: str, planned_date: str, plan_ref: str = "") -> dict[str, Any]:
    """Put a maintenance of ``level`` on the plan for ``planned_date``."""
    data = {**_about(app, ref), "level": level, "planned_date": planned_date, **({"plan_ref": plan_ref} if plan_ref else {})}
    return api.file_record(app, register.FORM_MAINTENANCE, data, note=f"保养计划 planned {plan_ref}".strip())


def defer_maintenance(app: App, number: str, reason: str, replanned_date: str) -> dict[str, Any]:
    """Defer a planned maintenance to a new date within one quarter, with the reason."""
    with api.transaction(app):
        api.update_record(app, number, {"defer_reason": reason, "replanned_date": replanned_date}, note="推迟 deferral")
        return api.move_record(app, number, "deferred", note=reason)["record"]


def complete_maintenance(app: App, number: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Record what was done and close the maintenance record."""
    with api.transaction(app):
        api.update_record(app, number, fields, note="保养实施 performed")
        return api.move_record(app, number, "done", note="保养完成 done")["record"]


def daily_check(app: App, ref: str, fields: dict[str, Any]) -> dict[str, Any]:
    """File a shift's 日常点检 and close it (it is planned by the shift itself)."""
    day = str(fields.get("performed_date") or today().isoformat())
    data = {**_about(app, ref), "level": "日常点检", "planned_date": day, "performed_date": day, **fields}
    with api.transaction(app):
        filed = api.file_record(app, register.FORM_MAINTENANCE, data, note="日常点检 daily check")
        return api.move_record(app, filed["number"], "done", note="点检完成 checked")["record"]


# -- repair, accident, scrapping --------------------------------------------------------------------


def notify_repair(app: App, ref: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A repair notice (维修通知单): file it and start the repair, which moves the equipment to 维修."""
    with api.transaction(app):
        filed = api.file_record(app, register.FORM_REPAIR, {**_about(app, ref), **fields}, note="维修通知单 repair notice")
        return api.move_record(app, filed["number"], "repairing", note="维修人员接单 repair started")["record"]


def complete_repair(app: App, number: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Record the repair and its test run; the equipment returns to the status named (在用 by default)."""
    with api.transaction(app):
        api.update_record(app, number, fields, note="维修记录 repair recorded")
        return api.move_record(app, number, "repaired", note="修复验收 repaired and tested")["record"]


def report_accident(app: App, ref: str, fields: dict[str, Any]) -> dict[str, Any]:
    """File a machinery accident report."""
    return api.file_record(app, register.FORM_ACCIDENT, {**_about(app, ref), **fields}, note="机械事故报告 accident reported")


def advance(app: App, number: str, target: str, fields: dict[str, Any] | None = None, *, note: str = "",
            password: str | None = None) -> dict[str, Any]:
    """One step of an accident report or scrapping application: optional field changes, then the move.

    Refused moves (the scrapping order, a missing 备案) change nothing, the field changes included.
    """
    with api.transaction(app):
        if fields:
            api.update_record(app, number, fields, note=note or target)
        return api.move_record(app, number, target, note=note, password=password)["record"]


def appraise(app: App, ref: str, fields: dict[str, Any]) -> dict[str, Any]:
    """File the technical appraisal that opens a scrapping application."""
    return api.file_record(app, register.FORM_SCRAP, {**_about(app, ref), **fields}, note="技术鉴定 appraisal")


# -- history ----------------------------------------------------------------------------------------


def history(app: App, ref: str) -> dict[str, Any]:
    """A card with its register row, attachments and every record about it, by form."""
    query = record_query(app)
    found = card(app, ref)
    cals = register.subject_records(query, register.FORM_CALIBRATION, found["number"])
    attachments = [c for c in register.cards(query) if c["data"].get("attachment_of") == found["number"]]
    by_form = {form: sorted(register.subject_records(query, form, found["number"]), key=lambda r: r["number"])
               for form in register.SUBJECT_FORMS}
    return {"card": found, "row": register.row(found, cals, today()), "attachments": attachments,
            "calibration": calibration.summary(found, cals, today()) if found["data"].get("measuring") else None,
            "records": by_form}


__all__ = ["advance", "appraise", "approve_purchase", "awaiting_approval", "assess", "calibrate", "card", "complete_maintenance", "complete_repair", "daily_check",
           "defer_maintenance", "enforce", "history", "impact", "notify_repair", "plan_maintenance", "register_equipment",
           "report_accident", "set_status", "today"]
