"""Equipment status: the seven states of a card, which of them may be used, and the status in effect.

The stored status is the state of the equipment card record (QR-7.1-01); every change is a record
transition with a reason. The status *in effect* can be stricter than the stored one, because two
rules of the procedure (5.8.3, 5.8.5) act without anyone moving the card:

* a measuring instrument whose calibration is due (today ≥ next due date) is 停用 from that date;
* one whose latest calibration failed is 停用 at once;
* one never calibrated is 停用 (ISO 9001 7.1.5.2: calibrated before use).

``effective`` computes this when read, so the register, the card, the labels, ``equipment due``
and the reference check all agree before anyone runs ``qms equipment enforce``, which stores the
computed 停用 as a logged transition.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from qms_equipment import calibration

#: A purchase of ¥2,000 or more is registered in this state and goes into use only when 物资管理部
#: has signed its approval (5.1.3); it is no equipment status of table 5.9, so no status change
#: leads into it or out of it.
AWAITING = "awaiting_approval"
#: State id → bilingual label, in the order of the procedure's table 5.9, then the approval wait.
STATES: dict[str, str] = {
    "in_use": "在用 In use",
    "standby": "备用 Standby",
    "idle": "闲置 Idle",
    "repair": "维修 Under repair",
    "sealed": "封存 Sealed",
    "stopped": "停用 Out of use",
    "scrapped": "报废 Scrapped",
    AWAITING: "待批准 Awaiting purchase approval",
}
#: Chinese status name → state id (the CLI accepts either).
ZH: dict[str, str] = {label.split()[0]: state for state, label in STATES.items()}
#: States in which the equipment may not be named as used in a new record (5.4.2, 5.9).
UNUSABLE = frozenset({"repair", "sealed", "stopped", "scrapped", AWAITING})
#: States counted as in good condition for 完好率.
GOOD = frozenset({"in_use", "standby"})

REASON_FAILED = "校准不合格，立即停用 Failed calibration: out of use at once"
REASON_OVERDUE = "校准到期未校准，自动停用 Calibration due and not done: out of use"
REASON_NEVER = "未经校准，不得使用 Never calibrated: out of use"
#: Words in a 停用 note that mark it as set by a calibration rule (so a passing calibration lifts it).
CALIBRATION_MARKS = ("校准不合格", "校准到期未校准", "未经校准")


def state_id(text: str) -> str | None:
    """``停用`` or ``stopped`` → ``stopped``; ``None`` when neither."""
    text = text.strip()
    if text in STATES:
        return text
    return ZH.get(text)


def zh(state: str) -> str:
    """The Chinese status word of a state id (``stopped`` → ``停用``)."""
    return STATES.get(state, state).split()[0]


def last_entry_into(card: dict[str, Any], state: str) -> dict[str, Any] | None:
    """The history line of the card's latest move into ``state``."""
    for entry in reversed(card.get("history") or []):
        if entry.get("to") == state and entry.get("action") in ("move", "file"):
            return entry
    return None


def stopped_by_calibration(card: dict[str, Any]) -> bool:
    """Whether the card's stored 停用 was set by a calibration rule (not, say, a safety hazard)."""
    entry = last_entry_into(card, "stopped")
    return entry is not None and any(mark in str(entry.get("note", "")) for mark in CALIBRATION_MARKS)


def effective(card: dict[str, Any], calibrations: list[dict[str, Any]], today: date) -> tuple[str, str]:
    """The status in effect on ``today`` and why it differs from the stored one ('' when it does not)."""
    stored = str(card.get("state", ""))
    if stored in ("scrapped", "sealed", "repair", AWAITING) or not card.get("data", {}).get("measuring"):
        return stored, ""
    summary = calibration.summary(card, calibrations, today)
    latest = summary["latest"]
    if latest is not None and latest["data"].get("result") == "不合格":
        return "stopped", f"{REASON_FAILED} ({latest['number']}, {latest['data'].get('calibration_date')})"
    if stored == "stopped":
        entry = last_entry_into(card, "stopped")
        return stored, str(entry.get("note", "")) if entry else ""
    if summary["last_good"] is None:
        return "stopped", REASON_NEVER
    if summary["overdue"]:
        return "stopped", f"{REASON_OVERDUE} (到期 due {summary['next_due']})"
    return stored, ""


__all__ = ["AWAITING", "CALIBRATION_MARKS", "GOOD", "REASON_FAILED", "REASON_NEVER", "REASON_OVERDUE", "STATES", "UNUSABLE", "ZH",
           "effective", "last_entry_into", "state_id", "stopped_by_calibration", "zh"]
