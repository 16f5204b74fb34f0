"""The equipment register (设备台账): cards, 6-digit numbers and one row per piece of equipment.

Everything here reads records through the ``RecordQuery`` the core hands to hooks (or builds for
the plugin's commands), so the register is always the stored cards plus what follows from them:
the status in effect, the last calibration and the next due date.

Numbering (procedure 5.3.1): a 6-digit number, the 3-digit unit code and a 3-digit sequence within
the unit. The next number of a unit is one more than the highest ever given in it — numbers of
scrapped equipment are never reused. Attachments of a machine (and the parts of a machine made of
several parts) carry the main unit's number; their cards name the main unit's card.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any


from qms.api import NotFound, RecordQuery, UsageError

from qms_equipment import calibration, status

FORM_CARD = "QR-7.1-01"
FORM_MAINTENANCE = "QR-7.1-02"
FORM_CALIBRATION = "QR-7.1-03"
FORM_REPAIR = "QR-7.1-04"
FORM_ACCIDENT = "QR-7.1-05"
FORM_SCRAP = "QR-7.1-06"
#: Forms whose records are about one piece of equipment (they carry ``card`` and ``equipment_no``).
SUBJECT_FORMS = (FORM_MAINTENANCE, FORM_CALIBRATION, FORM_REPAIR, FORM_ACCIDENT, FORM_SCRAP)
ALL_FORMS = (FORM_CARD, *SUBJECT_FORMS)


def live(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records not replaced by an amendment (a correction stands in for its original)."""
    return [r for r in found if not r.get("amended_by")]


def cards(query: RecordQuery) -> list[dict[str, Any]]:
    """Every equipment card in force."""
    return live(query(form=FORM_CARD))


def is_attachment(card: dict[str, Any]) -> bool:
    """Whether the card is of an attachment carrying its main unit's number."""
    return bool((card.get("data") or {}).get("attachment_of"))


def main_card(query: RecordQuery, equipment_no: str) -> dict[str, Any] | None:
    """The card of the main unit numbered ``equipment_no``."""
    return next((c for c in cards(query) if c["data"].get("equipment_no") == equipment_no and not is_attachment(c)), None)


def find_card(query: RecordQuery, ref: str) -> dict[str, Any]:
    """A card by its record number (``SB-2026-0001``) or its main unit's equipment number (``102007``)."""
    ref = ref.strip()
    if ref.upper().startswith("SB-"):
        found = [c for c in query(form=FORM_CARD, number=ref)]
        if found:
            return found[0]
    else:
        card = main_card(query, ref)
        if card is not None:
            return card
    raise NotFound(f"no equipment {ref!r} in the register; list it with `qms equipment list`")


def subject_records(query: RecordQuery, form: str, card_number: str | None = None) -> list[dict[str, Any]]:
    """Records of ``form`` in force, about one card when ``card_number`` is given."""
    found = live(query(form=form))
    return [r for r in found if card_number is None or r["data"].get("card") == card_number]


def calibrations_by_card(query: RecordQuery) -> dict[str, list[dict[str, Any]]]:
    """Calibration records in force, grouped by card number."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in subject_records(query, FORM_CALIBRATION):
        grouped[str(record["data"].get("card"))].append(record)
    return grouped


def next_number(query: RecordQuery, unit_code: str) -> str:
    """The next free equipment number of a unit: one more than the highest ever given there."""
    if not (len(unit_code) == 3 and unit_code.isdigit()):
        raise UsageError(f"unit code {unit_code!r} must be 3 digits, e.g. 102")
    # Every card ever filed counts, corrections and scrapped equipment included: numbers are never reused.
    seqs = [int(str(c["data"].get("equipment_no", ""))[3:]) for c in query(form=FORM_CARD)
            if str(c["data"].get("equipment_no", "")).startswith(unit_code) and str(c["data"].get("equipment_no", "")).isdigit()]
    seq = max(seqs, default=0) + 1
    if seq > 999:
        raise UsageError(f"unit {unit_code} has used all 999 equipment numbers; ask 设备科 for a new unit code")
    return f"{unit_code}{seq:03d}"


def row(card: dict[str, Any], cals: list[dict[str, Any]], today: date) -> dict[str, Any]:
    """One register row: the card's identity, stored and effective status, calibration dates and label."""
    data = card["data"]
    state, why = status.effective(card, cals, today)
    measuring = bool(data.get("measuring"))
    summary = calibration.summary(card, cals, today) if measuring else None
    label = None
    if measuring:
        if state in status.UNUSABLE:
            label = "停用"
        else:
            label = "准用" if (summary or {}).get("last_result") == "准用" else "合格"
    return {
        "equipment_no": data.get("equipment_no"), "card": card["number"], "name": data.get("name"),
        "category": data.get("category"), "model": data.get("model", ""), "specification": data.get("specification", ""),
        "dept": data.get("dept"), "administrator": data.get("administrator"), "location": data.get("location", ""),
        "unit_code": data.get("unit_code"), "attachment_of": data.get("attachment_of"), "measuring": measuring,
        "stored_state": card.get("state"), "state": state, "status": status.zh(state),
        "status_reason": why, "differs": state != card.get("state"),
        "last_calibration": (summary or {}).get("last_date"), "last_result": (summary or {}).get("last_result"),
        "next_due": (summary or {}).get("next_due"), "remind_from": (summary or {}).get("remind_from"),
        "label": label,
    }


def rows(query: RecordQuery, today: date) -> list[dict[str, Any]]:
    """The whole register, by equipment number, each main unit followed by its attachments."""
    by_card = calibrations_by_card(query)
    out = [row(c, by_card.get(c["number"], []), today) for c in cards(query)]
    return sorted(out, key=lambda r: (str(r["equipment_no"]), bool(r["attachment_of"]), str(r["card"])))


__all__ = ["ALL_FORMS", "FORM_ACCIDENT", "FORM_CALIBRATION", "FORM_CARD", "FORM_MAINTENANCE", "FORM_REPAIR", "FORM_SCRAP",
           "SUBJECT_FORMS", "calibrations_by_card", "cards", "find_card", "is_attachment", "live", "main_card",
           "next_number", "row", "rows", "subject_records"]
