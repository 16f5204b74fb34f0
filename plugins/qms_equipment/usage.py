"""Whether a piece of equipment may be named as used in a new record of any procedure (5.4.2).

Other plugins' forms mark such fields ``x-ref: equipment``; the core asks every plugin through
``qms_check_reference`` and this module answers for kind ``equipment``: the equipment must be in
the register, and its status in effect on the date of use must not be 停用, 维修, 封存 or 报废
(闲置 is allowed: the procedure asks for a check before use, not a refusal).
"""

from __future__ import annotations

from datetime import date

from qms import api
from qms.api import RecordQuery

from qms_equipment import register, status

KIND = "equipment"


def refusals(kind: str, ref: str, when: str, query: RecordQuery, today: date) -> list[str]:
    """Reasons equipment ``ref`` may not be named as used on ``when`` (``[]`` when it may, or not ours)."""
    if kind != KIND:
        return []
    card = register.main_card(query, ref)
    if card is None:
        return [f"equipment {ref} is not in the equipment register (设备台账); give a registered 6-digit number"]
    used = api.parse_date(when) or today
    cals = register.calibrations_by_card(query).get(card["number"], [])
    state, why = status.effective(card, cals, max(used, today))
    if state not in status.UNUSABLE:
        return []
    name = card["data"].get("name", "")
    because = f" — {why}" if why else ""
    return [f"equipment {ref} {name} is {status.STATES[state]}{because}; equipment that is 停用, 维修, 封存 or 报废 "
            f"may not be used: choose another, or restore it first (`qms equipment status {ref} 在用 --reason …`)"]


__all__ = ["KIND", "refusals"]
