"""The rules of QP-10.2-01 beyond the form's schema: cause analysis, actions, the independent effectiveness check.

* a 5-why analysis has at least one why/answer row, a fishbone at least one cause (人机料法环测);
* an action is not done before the report was raised, and its due date is not before it either;
* the effectiveness check is made by someone independent: the verifier neither raised the report
  nor owns any of its actions (checked on the data, and again on the signed move);
* a report moves to 效果验证 only with every action done, and closes only when found effective.
"""

from __future__ import annotations

from typing import Any

from qms import api

from qms_ncr.workflow import FORM

Problem = dict[str, str]


def action_owners(data: dict[str, Any]) -> list[str]:
    """User names owning an action of the report, in order, each once."""
    out: list[str] = []
    for act in data.get("actions") or []:
        owner = str(act.get("owner", "")).strip()
        if owner and owner not in out:
            out.append(owner)
    return out


def independence_problem(data: dict[str, Any], verifier: str) -> str | None:
    """Why ``verifier`` may not check this report's effectiveness, as one line; ``None`` when they may."""
    if not verifier:
        return None
    if verifier == str(data.get("raised_by") or ""):
        return (f"{verifier} raised this nonconformity and may not verify its effectiveness; "
                f"the check is made by someone who neither raised it nor owns an action")
    if verifier in action_owners(data):
        return (f"{verifier} owns a corrective action of this nonconformity and may not verify its effectiveness; "
                f"the check is made by someone who neither raised it nor owns an action")
    return None


def problems(form: str, data: dict[str, Any]) -> list[Problem]:
    """The cross-field problems of a nonconformity report (``[]`` for other forms)."""
    if form != FORM:
        return []
    out: list[Problem] = []
    method = data.get("cause_method")
    if method == "5why" and not data.get("whys"):
        out.append({"path": "whys", "message": "a 5-why analysis needs at least one why/answer row (up to five)"})
    if method == "fishbone" and not data.get("causes"):
        out.append({"path": "causes", "message": "a fishbone analysis needs at least one cause under 人机料法环测"})
    found = api.parse_date(data.get("found_on"))
    for i, act in enumerate(data.get("actions") or []):
        done, due = api.parse_date(act.get("done_on")), api.parse_date(act.get("due"))
        if found and done and done < found:
            out.append({"path": f"actions[{i}].done_on",
                        "message": f"action {i + 1} is done on {done}, before the nonconformity was found ({found})"})
        if found and due and due < found:
            out.append({"path": f"actions[{i}].due",
                        "message": f"action {i + 1} falls due on {due}, before the nonconformity was found ({found})"})
    why = independence_problem(data, str(data.get("verified_by") or ""))
    if why:
        out.append({"path": "verified_by", "message": why})
    verified, contained = api.parse_date(data.get("verified_on")), api.parse_date(data.get("contained_on"))
    if found and verified and verified < found:
        out.append({"path": "verified_on", "message": f"must not be earlier than the date found ({found})"})
    if found and contained and contained < found:
        out.append({"path": "contained_on", "message": f"must not be earlier than the date found ({found})"})
    return out


def vetoes(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """Reasons a nonconformity report may not move to ``target`` now (the core checks roles and required fields)."""
    if record.get("form") != FORM:
        return []
    data = record.get("data") or {}
    number = record.get("number")
    out: list[str] = []
    if target == "implementing" and not data.get("cause_method"):
        out.append(f"{number}: say how the root cause was found: cause_method 5why (whys) or fishbone (causes)")
    if target == "verifying":
        for i, act in enumerate(data.get("actions") or []):
            if not act.get("done_on"):
                out.append(f"action {i + 1} ({str(act.get('action', ''))[:30]}) owned by {act.get('owner')} is not done: "
                           f"record it with `qms ncr done {number} --action {i + 1} --result …`")
    if target == "closed":
        why = independence_problem(data, str(actor.get("name") or ""))
        if why:
            out.append(why)
        elif data.get("verified_by") and data.get("verified_by") != actor.get("name"):
            out.append(f"the check is recorded as made by {data.get('verified_by')}; {data.get('verified_by')} signs it")
        if data.get("effective") == "无效":
            out.append("the actions were found not effective (无效): move it back to analysis and plan new actions")
    return out


__all__ = ["action_owners", "independence_problem", "problems", "vetoes"]
