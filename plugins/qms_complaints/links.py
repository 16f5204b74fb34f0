"""References to complaints from other records (``x-ref: complaint`` / ``x-ref: closed_complaint``).

A follow-up visit (QR-8.2-02) names the complaint it follows, which must exist and be closed; a
visit that found a new problem names the new complaint, which need only exist. Other procedures'
forms (the property plugin's service request) may name a complaint with ``x-ref: complaint``.
"""

from __future__ import annotations

from typing import Any


from qms.api import RecordQuery

from qms_complaints.forms import COMPLAINT

KINDS = ("complaint", "closed_complaint")


def reference_problems(kind: str, ref: str, query: RecordQuery | None) -> list[str]:
    """Why ``ref`` may not be named as a ``kind``; ``[]`` when it may or the kind is not ours."""
    if kind not in KINDS or query is None:
        return []
    found: list[dict[str, Any]] = query(form=COMPLAINT, number=ref)
    if not found:
        return [f"no complaint {ref} on {COMPLAINT}; give the number of a filed complaint (`qms record list {COMPLAINT}`)"]
    record = found[0]
    if kind == "closed_complaint" and not record.get("closed"):
        return [f"{ref} is still open ({record.get('state')}); a follow-up visit (回访) is made after the complaint is closed"]
    return []


__all__ = ["KINDS", "reference_problems"]
