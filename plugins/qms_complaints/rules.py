"""The cross-field rules of QP-8.2-01 as plain functions: record validation, transition vetoes, closing rules.

Each failed rule is one line that says what is wrong and what to do; the core prefixes validation
problems with the field's bilingual label. Nothing here reads the store: every rule judges the
record it is given.
"""

from __future__ import annotations

import hashlib
from typing import Any

from qms import api
from qms.api import parse_time

from qms_complaints import lateness, severity
from qms_complaints.forms import (
    COMPLAINT,
    CUSTOMER_CAUSED,
    HOST_BY_NATURE,
    INTERNAL,
    REPLY_APPROVAL,
    VERIFICATION,
    VISIT,
)

Problem = dict[str, str]


def text_sha256(text: Any) -> str:
    """sha256 of a text field as stored (what the reply approval is bound to)."""
    return hashlib.sha256(str(text or "").encode("utf-8")).hexdigest()


# -- validation ---------------------------------------------------------------------------------


def complaint_problems(data: dict[str, Any], record: dict[str, Any] | None) -> list[Problem]:
    """Every cross-field problem of a complaint's data (schema problems are the core's)."""
    out: list[Problem] = []
    out.extend(_severity_problems(data, record))
    received = parse_time(data.get("received_at"))
    host = data.get("host_dept")
    nature = data.get("nature")
    if host and nature in HOST_BY_NATURE and HOST_BY_NATURE[nature] != host:
        out.append({"path": "host_dept", "message": f"a {nature} complaint is handled by {HOST_BY_NATURE[nature]}, not "
                                                    f"{host}; change nature or host_dept"})
    if received is not None:
        for name, what in (("goods_received_at", "returned goods cannot arrive"),
                           ("analysis_completed_at", "the analysis cannot be completed"),
                           ("replied_at", "the reply cannot be sent"),
                           ("closed_at", "the complaint cannot close")):
            moment = parse_time(data.get(name))
            if moment is not None and moment.date() < received.date():
                out.append({"path": name, "message": f"{what} before the complaint was received "
                                                     f"({received.date().isoformat()}); correct the date"})
    goods = parse_time(data.get("goods_received_at"))
    analysed = parse_time(data.get("analysis_completed_at"))
    if goods is not None and analysed is not None and analysed < goods:
        out.append({"path": "analysis_completed_at", "message": f"the analysis cannot be completed before the returned "
                                                                f"goods arrived ({data['goods_received_at']})"})
    if data.get("goods_received_at") and data.get("goods_returned") is not True:
        out.append({"path": "goods_returned", "message": "returned goods were received (goods_received_at) but goods_returned "
                                                        "is not true; set goods_returned=true"})
    return out


def _severity_problems(data: dict[str, Any], record: dict[str, Any] | None) -> list[Problem]:
    """A person may raise the computed level (with a reason) but never set it lower."""
    chosen = data.get("severity")
    if chosen is None:
        return []
    computed = severity.assess(data)
    before = (record or {}).get("data", {}).get("severity")
    if severity.rank(chosen) < severity.rank(computed.level) and chosen != before:
        return [{"path": "severity", "message": f"{chosen} is below the computed level {computed.level} "
                                                f"({computed.reasons()}); a person may raise the level, never lower it"}]
    if severity.rank(chosen) > severity.rank(computed.level) and not str(data.get("severity_reason") or "").strip():
        return [{"path": "severity_reason", "message": f"severity is raised to {chosen} above the computed {computed.level}; "
                                                       f"give the reason in severity_reason"}]
    return []


def visit_problems(data: dict[str, Any]) -> list[Problem]:
    """A dissatisfied customer's visit records why and that other routes were offered (QP-8.2-01 §5.8.3)."""
    out: list[Problem] = []
    if data.get("satisfaction") == "不满意":
        if not str(data.get("dissatisfaction_reason") or "").strip():
            out.append({"path": "dissatisfaction_reason", "message": "the customer is dissatisfied: record why "
                                                                   "(--reason of `qms complaints visit`)"})
        if data.get("alternatives_told") is not True:
            out.append({"path": "alternatives_told", "message": "the customer is dissatisfied: tell them of the other routes "
                                                                "to a solution and say so (--alternatives-told of "
                                                                "`qms complaints visit`, or alternatives_told=true)"})
    if data.get("new_complaint") and data.get("new_complaint") == data.get("complaint"):
        out.append({"path": "new_complaint", "message": "a new complaint must have its own number, not the one visited"})
    return out


def problems(form: str, data: dict[str, Any], record: dict[str, Any] | None) -> list[Problem]:
    """The problems of a record on one of this procedure's forms (``[]`` for other forms)."""
    if form == COMPLAINT:
        return complaint_problems(data, record)
    if form == VISIT:
        return visit_problems(data)
    return []


# -- transitions --------------------------------------------------------------------------------


def action_owners(data: dict[str, Any]) -> set[str]:
    """User names owning a corrective or preventive action."""
    return {str(a.get("owner", "")).strip() for a in data.get("actions") or [] if str(a.get("owner", "")).strip()}


def signatures(record: dict[str, Any], meaning: str) -> list[dict[str, Any]]:
    """The record's signatures with ``meaning``."""
    return [s for s in record.get("signatures") or [] if s.get("meaning") == meaning]


def closing_problems(record: dict[str, Any]) -> list[str]:
    """Every closing rule (QP-8.2-01 §5.7) the complaint fails, one line each."""
    data = record.get("data") or {}
    out: list[str] = []
    if not str(data.get("investigation_result") or "").strip():
        out.append("no investigation result: record investigation_result before closing")
    branch = data.get("responsibility")
    if branch == CUSTOMER_CAUSED:
        approvals = signatures(record, REPLY_APPROVAL)
        if not approvals:
            out.append("customer-caused: the reply has no approval signature of 管理者代表 or 总经理; move it to reply_approved first")
        elif data.get("reply_approved_sha256") and data.get("reply_approved_sha256") != text_sha256(data.get("reply_text")):
            out.append("customer-caused: reply_text was changed after it was approved; have the new reply approved again")
        if not data.get("replied_at"):
            out.append("customer-caused: the reply to the customer is not recorded: set replied_at and reply_method")
    elif branch == INTERNAL:
        if not data.get("main_causes"):
            out.append("internal: no main causes: record main_causes (and secondary_causes where there are any)")
        if not data.get("actions"):
            out.append("internal: no corrective or preventive action: add at least one to actions")
        checks = signatures(record, VERIFICATION)
        owners = action_owners(data)
        if not checks:
            out.append("internal: the effectiveness verification is not signed; move it to verified first")
        elif all(s.get("name") in owners for s in checks):
            out.append(f"internal: the verification was signed by an action owner ({', '.join(sorted(s['name'] for s in checks))}); "
                       f"someone who owns no action must verify")
    else:
        out.append("no responsibility decided: set responsibility to 客户原因 or 公司内部")
    closed = parse_time(data.get("closed_at"))
    received = parse_time(data.get("received_at"))
    if closed is None:
        out.append("no closing date: set closed_at")
    elif received is not None and closed.date() < received.date():
        out.append(f"closing date {closed.date()} is before the receipt date {received.date()}; correct closed_at")
    return out


def complaint_vetoes(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """Reasons a complaint may not move to ``target`` now (the core checks roles and required fields)."""
    data = record.get("data") or {}
    source = record.get("state")
    out: list[str] = []
    if target == source:
        return [] if escalation_pending(record) else [
            f"nothing to escalate: {record.get('number')} is {severity.effective(data)} with the general manager informed, "
            f"and has not been open over 2 months for the company's reasons"]
    out.extend(lateness.veto(record, target, api.now()))
    if target == "reply_drafted" and data.get("responsibility") != CUSTOMER_CAUSED:
        out.append(f"the customer-caused branch needs responsibility 客户原因 (it is {data.get('responsibility') or 'not set'}); "
                   f"internal causes go to cause_analysis")
    if target == "cause_analysis" and source == "investigating" and data.get("responsibility") != INTERNAL:
        out.append(f"the internal branch needs responsibility 公司内部 (it is {data.get('responsibility') or 'not set'}); "
                   f"customer-caused complaints go to reply_drafted")
    if source == "investigating" and target in ("reply_drafted", "cause_analysis") and data.get("goods_returned"):
        if not data.get("goods_received_at"):
            out.append("goods were returned: record when they arrived (goods_received_at) and analyse them first")
        if not str(data.get("analysis_result") or "").strip() or not data.get("analysis_completed_at"):
            out.append("goods were returned: record the test/analysis result (analysis_result, analysis_completed_at) first")
    if target == "verified":
        owners = action_owners(data)
        if actor.get("name") in owners:
            out.append(f"{actor.get('name')} owns a corrective action and may not verify its effectiveness; "
                       f"someone who owns no action must sign")
        for i, act in enumerate(data.get("actions") or []):
            if not act.get("done_at"):
                out.append(f"action {i + 1} ({act.get('action', '')[:30]}) owned by {act.get('owner')} is not done: "
                           f"record when it was done before verifying "
                           f"(qms record update {record.get('number')} --set actions[{i}].done_at=YYYY-MM-DD)")
    if target == "closed":
        out.extend(closing_problems(record))
    return out


def escalation_pending(record: dict[str, Any], now: Any = None) -> bool:
    """Whether an open complaint still needs escalating or its level announced to the general manager."""
    data = record.get("data") or {}
    at = now or api.now()
    level = severity.effective(data, at)
    notified = data.get("gm_notified_level")
    if severity.rank(level) >= 1 and severity.rank(notified) < severity.rank(level):
        return True
    return severity.over_two_months(data, at) and not data.get("escalated_at")


def vetoes(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """Veto reasons for a record of this procedure (``[]`` for other forms)."""
    if record.get("form") == COMPLAINT:
        return complaint_vetoes(record, target, actor)
    return []


__all__ = ["action_owners", "closing_problems", "complaint_problems", "complaint_vetoes", "escalation_pending",
           "problems", "text_sha256", "vetoes", "visit_problems"]
