"""What follows a move of an equipment record, as effects the core applies and logs.

* calibration confirmed and failed → the instrument's card moves to 停用 at once, 品质部 is told
  to assess the impact list, and a nonconformity report is raised with the impact list (``nonconformity``);
* calibration confirmed and passed → a card stopped by a calibration rule returns to the status it
  had before (a card stopped for another reason stays stopped; the quality officer is told);
* repair started → the card moves to 维修; repaired → to the status the repair record names;
* scrapping application reaches 已报废 → the card gets ``scrap_ref`` and moves to 报废;
* a 重大 accident investigated → 物资管理部 is told (also when an investigated accident is updated to 重大);
* a card of a purchase of ¥2,000 or more filed → it moves to 待批准 at once, and 物资管理部 is told to
  sign the approval.

The card's current state is read through the query, so no effect is returned that its workflow
would refuse.
"""

from __future__ import annotations

from typing import Any


from qms.api import RecordQuery

from qms_equipment import register, status
from qms_equipment.rules import APPROVAL_LIMIT, needs_approval


def _card(query: RecordQuery, number: str) -> dict[str, Any] | None:
    return next((c for c in register.cards(query) if c["number"] == number), None)


def _move(card: dict[str, Any], state: str, reason: str) -> dict[str, Any]:
    return {"effect": "move", "record": card["number"], "state": state, "reason": reason}


def after(record: dict[str, Any], source: str, query: RecordQuery) -> list[dict[str, Any]]:
    """The effects of ``record`` having moved from ``source`` to ``record["state"]``."""
    form = record.get("form")
    if form not in register.SUBJECT_FORMS:
        return []
    data = record["data"]
    card = _card(query, str(data.get("card", "")))
    if card is None or card.get("state") == "scrapped":
        return []
    state, number, no = record["state"], record["number"], data.get("equipment_no")
    if form == register.FORM_CALIBRATION and state == "confirmed":
        return calibration_effects(record, card)
    if form == register.FORM_REPAIR and state == "repairing" and card["state"] != "repair":
        return [_move(card, "repair", f"维修通知 {number}: {data.get('fault', '')}")]
    if form == register.FORM_REPAIR and state == "repaired" and card["state"] == "repair":
        back = status.state_id(str(data.get("return_status") or "在用")) or "in_use"
        return [_move(card, back, f"修复，试运行合格 repaired and tested ({number})")]
    if form == register.FORM_SCRAP and state == "scrapped":
        return [{"effect": "update", "record": card["number"], "fields": {"scrap_ref": number},
                 "reason": f"报废申请 {number} 已批准、替换已落实 scrapping approved, replacement settled"},
                _move(card, "scrapped", f"报废 scrapped by {number}")]
    if form == register.FORM_ACCIDENT and state == "investigated" and data.get("severity") == "重大":
        return [_major_accident(record)]
    return []


def _major_accident(record: dict[str, Any]) -> dict[str, Any]:
    no = record["data"].get("equipment_no")
    return {"effect": "notify", "to": "物资管理部",
            "message": f"重大机械事故 {record['number']}（设备 {no}）已调查，请审定处理 Major accident investigated; please decide"}


def saved(record: dict[str, Any], action: str, previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """After a save: a purchase awaits its approval; an investigated accident found 重大 is announced at once."""
    if record.get("form") == register.FORM_CARD and action == "file" and record.get("state") == "in_use" \
            and needs_approval(record["data"]):
        price = record["data"].get("price")
        return [_move(record, status.AWAITING, f"采购单价 ¥{price:,.2f} ≥ ¥{APPROVAL_LIMIT:,}：待物资管理部签字批准 "
                                               f"purchase awaits the signed approval of 物资管理部"),
                {"effect": "notify", "to": "物资管理部",
                 "message": f"{record['number']}（设备 {record['data'].get('equipment_no')}）采购待批准，请签字 "
                            f"purchase awaits your signed approval: qms equipment approve-purchase {record['number']}"}]
    if record.get("form") != register.FORM_ACCIDENT or action != "update" or record.get("state") != "investigated":
        return []
    was = (previous or {}).get("severity")
    return [_major_accident(record)] if record["data"].get("severity") == "重大" and was != "重大" else []


def calibration_effects(record: dict[str, Any], card: dict[str, Any]) -> list[dict[str, Any]]:
    """A confirmed calibration stops a failed instrument, or lifts a calibration stop after a pass."""
    data, number = record["data"], record["number"]
    if data.get("result") == "不合格":
        effects: list[dict[str, Any]] = []
        if card["state"] != "stopped":
            effects.append(_move(card, "stopped", f"{status.REASON_FAILED} ({number})"))
        listed = len(data.get("impact_records") or [])
        effects.append({"effect": "notify", "to": "品质部",
                        "message": f"{number}: 设备 {data.get('equipment_no')} 校准不合格，请评估影响清单 {listed} 项记录 "
                                   f"failed calibration; assess the {listed} record(s) on its impact list"})
        effects.append(nonconformity(record, card))
        return effects
    if card["state"] == "stopped":
        if status.stopped_by_calibration(card):
            entry = status.last_entry_into(card, "stopped") or {}
            back = str(entry.get("from") or "in_use")
            if back in ("stopped", "scrapped") or back not in status.STATES:
                back = "in_use"
            return [_move(card, back, f"校准{data.get('result')}，恢复使用 calibration passed ({number})")]
        return [{"effect": "notify", "to": "设备科",
                 "message": f"{number}: 设备 {data.get('equipment_no')} 校准{data.get('result')}，但因其他原因停用，"
                            f"请确认后再恢复 calibrated, but stopped for another reason; lift the stop by hand"}]
    return []


def nonconformity(record: dict[str, Any], card: dict[str, Any]) -> dict[str, Any]:
    """The nonconformity report a confirmed failed calibration raises (QP-7.1-01 5.8.5, ISO 9001 10.2), with its impact list.

    An instrument that measured anything since its last good calibration (a non-empty impact
    list) is a 严重 nonconformity: results already given may be wrong.
    """
    data, number = record["data"], record["number"]
    impact = [str(n) for n in data.get("impact_records") or []]
    found = str(data.get("as_found_note") or data.get("as_found") or "").strip()
    listed = f"影响清单 {len(impact)} 项记录 impact list: {', '.join(impact)}" if impact else "影响清单为空 no record on the impact list"
    return {"effect": "nonconformity", "source": "equipment", "ref": number,
            "summary": f"设备 {data.get('equipment_no')} {card['data'].get('name', '')} 校准不合格（偏离）"
                       f"{'：' + found if found else ''}；{listed}",
            "dept": str(card["data"].get("dept") or ""), "severity": "严重" if impact else "一般",
            "reason": f"校准 {number} 不合格，须评估对已测结果的影响并采取纠正措施 failed calibration: assess its impact and correct"}


__all__ = ["after", "calibration_effects", "nonconformity", "saved"]
