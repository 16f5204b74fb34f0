"""The numbers, states and fixed vocabularies of QP-8.2-01 that the rules, workflow, reports and demo share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms.api import parse_time

PROCEDURE = "QP-8.2-01"
COMPLAINT = "QR-8.2-01"  # 客户投诉处理报告, KS
VISIT = "QR-8.2-02"  # 客户回访记录, HF
FORMS: tuple[str, ...] = (COMPLAINT, VISIT)

#: Who hosts a complaint (主办部门), by its nature (seed 000 doc 19 §4.1–4.2).
HOST_BY_NATURE: dict[str, str] = {"质量": "品质部", "非质量": "业务部"}

CUSTOMER_CAUSED = "客户原因"
INTERNAL = "公司内部"

#: The signature meanings of the two signed acts.
REPLY_APPROVAL = "批准 approved reply 答复批准"
VERIFICATION = "效果验证 verified effective"

#: States after which the investigation is over (the two branches).
CUSTOMER_BRANCH: tuple[str, ...] = ("reply_drafted", "reply_approved", "replied")
INTERNAL_BRANCH: tuple[str, ...] = ("cause_analysis", "corrective_action", "verified")
OPEN_STATES: tuple[str, ...] = ("received", "registered", "assigned", "investigating", *CUSTOMER_BRANCH, *INTERNAL_BRANCH)


def entered(record: dict[str, Any], state: str) -> datetime | None:
    """When the record first entered ``state`` (from its history), or ``None``."""
    for entry in record.get("history") or []:
        if entry.get("to") == state and entry.get("from") != state:
            return parse_time(entry.get("at"))
    return None


def closed_time(record: dict[str, Any]) -> datetime | None:
    """When the record moved to ``closed``, or ``None`` while it is open."""
    return entered(record, "closed")


def current_versions(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records without those replaced by an amendment, so a corrected complaint counts once."""
    return [r for r in records if not r.get("amended_by")]
