"""What follows a complaint's save or move: routing to the handling department, escalation, the general manager's notice.

Returned as the core's plain effects (``notify`` and ``update`` dicts) so the core applies them,
validates them against the form and logs them in the audit trail:

* on registration the nature routes the complaint: 质量 → 品质部, 非质量 → 业务部 (``host_dept``);
* when the reply is approved, the sha256 of the approved text is kept, so a reply edited after
  approval cannot be closed on that approval;
* a registration or assignment past its 30-minute limit records how many minutes late it was;
* when the level in force is 重大 or above and the general manager has not yet been told of that
  level, a ``notify`` to 总经理 and an update recording the notice — from the first save (filing or
  update), not only at the next move; an open complaint past 2 months for
  the company's reasons is escalated to 特殊重大 at the same time;
* a complaint at 特殊重大 raises a nonconformity report (``nonconformity``, once per complaint).

A notifier (mail, WeChat) can follow the audit log's ``record.notify`` events addressed to 总经理.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms_complaints import lateness, severity
from qms_complaints.forms import COMPLAINT, HOST_BY_NATURE
from qms_complaints.rules import text_sha256

GENERAL_MANAGER = "总经理"


def notice(record: dict[str, Any], level: str, at: datetime) -> str:
    """The one-line notice to the general manager."""
    data = record.get("data") or {}
    why = severity.assess(data, at).reasons(level) or str(data.get("severity_reason") or "人工提高 raised by a person")
    return (f"{record['number']} {severity.label(level)} 投诉 complaint: {data.get('customer', '')} — "
            f"{data.get('category', '')}/{data.get('sub_category', '') or '—'}; {why}")


def complaint_effects(record: dict[str, Any], source: str, now: datetime) -> list[dict[str, Any]]:
    """The effects of a complaint having moved from ``source`` to ``record["state"]``."""
    if record.get("closed"):
        return []
    data = record.get("data") or {}
    number = record["number"]
    fields: dict[str, Any] = {}
    if record["state"] == "registered" and not data.get("host_dept") and data.get("nature") in HOST_BY_NATURE:
        fields["host_dept"] = HOST_BY_NATURE[data["nature"]]
    if record["state"] == "reply_approved" and source == "reply_drafted":
        fields["reply_approved_sha256"] = text_sha256(data.get("reply_text"))
    fields.update(lateness.fields_after(record, source, now))
    out: list[dict[str, Any]] = []
    if severity.over_two_months(data, now) and not data.get("escalated_at"):
        fields["escalated_at"] = now.isoformat()
    level = severity.effective({**data, **fields}, now)
    if severity.rank(level) >= 1 and severity.rank(data.get("gm_notified_level")) < severity.rank(level):
        if severity.rank(data.get("severity")) < severity.rank(level):
            fields["severity"] = level  # record the level in force, so the form shows what was announced
        fields["gm_notified_level"] = level
        fields["gm_notified_at"] = now.isoformat()
        out.append({"effect": "notify", "to": GENERAL_MANAGER, "message": notice(record, level, now),
                    "event": "complaint.severe", "record": number, "level": level})
        if level == severity.LEVELS[-1]:
            out.append(nonconformity(record, level, now))
    if fields:
        reason = "；".join(_why(name) for name in fields if _why(name))
        out.insert(0, {"effect": "update", "record": number, "fields": fields, "reason": reason})
    return out


def nonconformity(record: dict[str, Any], level: str, at: datetime) -> dict[str, Any]:
    """The nonconformity report a 特殊重大 complaint raises (QP-8.2-01, ISO 9001 10.2.1: complaints included)."""
    data = record.get("data") or {}
    return {"effect": "nonconformity", "source": "complaint", "ref": record["number"],
            "summary": f"{severity.label(level)} 投诉 complaint: {data.get('customer', '')} — {data.get('content', '')}",
            "dept": str(data.get("responsible_dept") or data.get("host_dept") or ""), "severity": "严重",
            "reason": notice(record, level, at)}


def _why(field: str) -> str:
    return {
        "host_dept": "按投诉性质确定主办部门 routed by nature",
        "reply_approved_sha256": "记录已批准答复的 sha256 approved reply fingerprint",
        "escalated_at": "超过 2 个月未解决，自动升级为特殊重大 escalated after 2 months",
        "gm_notified_level": "重大及以上投诉通报总经理 general manager notified",
    }.get(field) or lateness.why(field)


def saved_effects(record: dict[str, Any], action: str, now: datetime) -> list[dict[str, Any]]:
    """The effects of a complaint having been filed or updated: what its recorded facts require now.

    The same rules as after a move, without one (the state is unchanged): the level in force is
    written and the general manager told as soon as the facts make it 重大 or above.
    """
    if record.get("form") != COMPLAINT or action not in ("file", "update"):
        return []
    return complaint_effects(record, str(record.get("state")), now)


def effects(record: dict[str, Any], source: str, now: datetime) -> list[dict[str, Any]]:
    """Effects for a record of this procedure (none for other forms)."""
    if record.get("form") == COMPLAINT:
        return complaint_effects(record, source, now)
    return []


__all__ = ["GENERAL_MANAGER", "complaint_effects", "effects", "notice", "saved_effects"]
