"""Transition vetoes and after-transition effects of the project forms (QP-8.3-01 §5.3–5.10).

``check`` returns the reasons a move is refused; ``after`` returns the effects a move causes:
a passing gate records the lead hand-over and its conditions on the project, the last required
signature decides the gate, an approved change request puts the project into re-baselining with
the new baseline, an approved baseline is added to the baseline history, an approved close-out
closes the project, and a signed 不合格 acceptance raises a nonconformity report (``nonconformity``).
"""

from __future__ import annotations

from typing import Any

from qms_projects import forms as f
from qms_projects import gates
from qms_projects import posts as posts_mod
from qms_projects import progress as pg
from qms_projects import rules
from qms_projects import project_templates as tpl

Effect = dict[str, Any]


def check(record: dict[str, Any], target: str, actor: dict[str, Any], query: pg.Query) -> list[str]:
    """Every reason ``record`` may not move to ``target`` under the project rules."""
    form = record.get("form")
    handler = CHECKS.get(str(form))
    return handler(record, target, actor, query) if handler else []


def _facts(record: dict[str, Any], query: pg.Query) -> pg.Facts | None:
    number = record["number"] if record.get("form") == f.PROJECT else str(record["data"].get("project", ""))
    return pg.gather(query, number)


def _privileged(actor: dict[str, Any]) -> bool:
    return actor.get("role") in ("admin", "quality_officer")


def check_project(record: dict[str, Any], target: str, actor: dict[str, Any], query: pg.Query) -> list[str]:
    data = record.get("data") or {}
    source = record.get("state")
    reasons = []
    if target == "active":
        baseline = data.get("baseline") or {}
        lacking = [k for k in rules.BASELINE_KEYS if baseline.get(k) in (None, "")]
        if lacking:
            reasons.append(f"the baseline lacks {', '.join(lacking)}; fill baseline.scope, .start, .finish and .budget")
        if actor.get("name") == record.get("created_by"):
            reasons.append(f"{actor.get('name')} registered the project and may not approve its baseline")
        if source == "change":
            change = rules.pending_change(query, record)
            if change is None:
                reasons.append("no approved change request awaits re-baselining")
            elif {k: baseline.get(k) for k in rules.BASELINE_KEYS} != \
                    {k: change["data"]["proposed"].get(k) for k in rules.BASELINE_KEYS}:
                reasons.append(f"the baseline is not the one change request {change['number']} approved")
    elif target == "change":
        if rules.pending_change(query, record) is None:
            reasons.append(f"a baseline changes only through a change request ({f.CHANGE}) approved by the decision committee")
    elif target == "closed":
        approved = [c for c in query(form=f.CLOSEOUT) if c["data"].get("project") == record["number"]
                    and c.get("state") in ("approved", "archived")]
        if not approved:
            reasons.append(f"a project is closed by approving its close-out report ({f.CLOSEOUT})")
    return reasons


def check_gate(record: dict[str, Any], target: str, actor: dict[str, Any], query: pg.Query) -> list[str]:
    facts = _facts(record, query)
    if facts is None:
        return [f"project {record['data'].get('project')} does not exist"]
    source = record.get("state")
    if target == "withdrawn":
        return []
    stage_index = tpl.stage_index(facts.template, str(record["data"].get("stage")))
    stage = facts.template["stages"][stage_index] if stage_index >= 0 else None
    if source == "draft" and target == "review":
        reasons = gates.gate_problems(query, facts, record, deciding=False)
        lead = pg.lead_of(facts, stage)
        if lead and actor.get("name") != lead and not _privileged(actor):
            reasons.append(f"the gate is submitted by the stage lead {lead} (or the quality department)")
        return reasons
    if source == "review" and target == "review":
        if stage is None:
            return ["the gate names no stage of the template"]
        posts, _ = gates.required_posts(query, facts, stage)
        signers = gates.signers(record)
        if any(s.get("name") == actor.get("name") for s in signers):
            return [f"{actor.get('name')} has already signed this gate"]
        if not posts_mod.can_add(facts.template, facts.data.get("team") or [], posts, signers, actor):
            wanted = ", ".join(tpl.post_label(facts.template, p) for p in posts if not posts_mod.is_external(facts.template, p))
            return [f"{actor.get('name')} ({actor.get('role')}, {actor.get('dept')}) holds no unsigned post of this gate "
                    f"(required: {wanted or 'none internal'})"]
        return []
    if source == "review" and target == "decided":
        return gates.gate_problems(query, facts, record, deciding=True)
    return []


def check_acceptance(record: dict[str, Any], target: str, actor: dict[str, Any], query: pg.Query) -> list[str]:
    if target == "signed" and record["data"].get("grade") == "不合格" and not record["data"].get("treatment"):
        return ["a failed step needs the on-the-spot treatment opinion before it is signed"]
    return []


def check_rectification(record: dict[str, Any], target: str, actor: dict[str, Any], query: pg.Query) -> list[str]:
    data = record.get("data") or {}
    if target == "verified":
        reasons = []
        if data.get("reinspection_grade") == "不合格":
            reasons.append("the re-inspection failed (不合格); move the order back to issued for more rectification")
        if actor.get("name") == data.get("responsible") or actor.get("full_name") == data.get("responsible"):
            reasons.append(f"{actor.get('name')} is responsible for the rectification and may not verify it")
        return reasons
    return []


def check_accident(record: dict[str, Any], target: str, actor: dict[str, Any], query: pg.Query) -> list[str]:
    data = record.get("data") or {}
    if target == "reported" and data.get("severity") == "重大" and "总经理" not in (data.get("reported_to") or []):
        return ["a major accident (重大) is also reported to the 总经理: add 总经理 to reported_to"]
    return []


def _committee(facts: pg.Facts) -> tuple[str, int]:
    committee = facts.template.get("committee") or {}
    return str(committee.get("post", "")), int(committee.get("quorum", 1))


def check_change(record: dict[str, Any], target: str, actor: dict[str, Any], query: pg.Query) -> list[str]:
    facts = _facts(record, query)
    if facts is None:
        return [f"project {record['data'].get('project')} does not exist"]
    if target == "submitted" and record.get("state") == "draft":
        if facts.project.get("state") != "active":
            return [f"project {facts.number} is {facts.project.get('state')}; a change request is submitted once the "
                    f"baseline is approved and no other change is being re-baselined"]
        return []
    post, quorum = _committee(facts)
    team = facts.data.get("team") or []
    if post and not posts_mod.qualifies(facts.template, team, actor, post):
        return [f"{actor.get('name')} is not a member of the {tpl.post_label(facts.template, post)}"]
    signed = {s.get("name") for s in record.get("signatures") or [] if s.get("meaning") == f.SIGN_MEMBER}
    if target == "submitted" and actor.get("name") in signed:
        return [f"{actor.get('name')} has already signed this change request"]
    if target == "approved" and len(signed | {actor.get("name")}) < quorum:
        return [f"the decision committee approves with {quorum} members; {len(signed | {actor.get('name')})} "
                f"would have signed (others sign first: move the request to submitted again, signed)"]
    return []


def check_closeout(record: dict[str, Any], target: str, actor: dict[str, Any], query: pg.Query) -> list[str]:
    facts = _facts(record, query)
    if facts is None:
        return [f"project {record['data'].get('project')} does not exist"]
    data = record.get("data") or {}
    if target == "archived":
        open_items = [c["text"] for c in (data.get("scope_confirmation") or {}).get("conditions") or [] if not c.get("closed_on")]
        return [f"scope condition still open: {t}" for t in open_items]
    if target != "approved":
        return []
    reasons = []
    closeout = facts.template.get("closeout") or {}
    if data.get("outcome") == "完成":
        if closeout.get("scope_confirmation") and not data.get("scope_confirmation"):
            reasons.append(f"the scope confirmation signed by the {tpl.post_label(facts.template, closeout['scope_confirmation'])} is missing")
        if closeout.get("final_accounts") and not data.get("final_accounts"):
            reasons.append("the final accounts (项目决算书) signed by every party are missing")
        grade = pg.final_grade(facts)
        if data.get("final_grade") != grade:
            reasons.append(f"the final grade must be the one the acceptances give: {grade or 'none (a failed step is not rectified, or nothing was accepted)'}")
    for z in facts.of(f.RECTIFICATION):
        if z.get("state") != "verified":
            reasons.append(f"rectification order {z['number']} is open")
    for a in facts.of(f.ACCIDENT):
        if a.get("state") != "closed":
            reasons.append(f"accident report {a['number']} is not closed")
    for c in facts.of(f.CHANGE):
        if c.get("state") in ("draft", "submitted"):
            reasons.append(f"change request {c['number']} is undecided")
    if facts.project.get("state") == "change":
        reasons.append("the baseline of an approved change is not re-approved")
    for c in facts.data.get("conditions") or []:
        if not c.get("closed_on"):
            reasons.append(f"condition of {c['gate']} still open: {c['text']}")
    return reasons


CHECKS = {
    f.PROJECT: check_project, f.GATE: check_gate, f.ACCEPTANCE: check_acceptance,
    f.RECTIFICATION: check_rectification, f.ACCIDENT: check_accident, f.CHANGE: check_change,
    f.CLOSEOUT: check_closeout,
}


# ---------------------------------------------------------------------------------------------
# Effects
# ---------------------------------------------------------------------------------------------


def _major_accident(record: dict[str, Any]) -> Effect:
    return {"effect": "notify", "to": "approver", "message": f"重大质量事故 {record['number']} reported"}


def _failed_acceptance(record: dict[str, Any]) -> Effect:
    """The nonconformity report a signed 不合格 acceptance raises (QP-8.3-01 5.7.3, ISO 9001 8.7 and 10.2)."""
    data = record["data"]
    findings = str(data.get("findings") or "").strip()
    return {"effect": "nonconformity", "source": "project", "ref": record["number"],
            "summary": f"项目 {data.get('project')} 工序验收不合格：{data.get('step')}{'：' + findings if findings else ''}",
            "dept": "项目部", "severity": "一般",
            "reason": f"质量验收 {record['number']} 评为不合格，整改并消除原因 failed acceptance: rectify and remove the cause"}


def saved(record: dict[str, Any], action: str, previous: dict[str, Any] | None) -> list[Effect]:
    """After a save: an accident already reported that becomes 重大 is announced at once, not at a later move."""
    if record.get("form") != f.ACCIDENT or action != "update" or record.get("state") != "reported":
        return []
    was = (previous or {}).get("severity")
    return [_major_accident(record)] if record["data"].get("severity") == "重大" and was != "重大" else []


def after(record: dict[str, Any], source: str, actor: dict[str, Any], query: pg.Query) -> list[Effect]:
    """The effects of a move on a project form."""
    form, target = record.get("form"), record.get("state")
    if form == f.PROJECT and target == "active":
        return [_baseline_version(record, query)]
    if form == f.GATE and source == "review" and target == "review":
        return _signed_gate(record, actor, query)
    if form == f.GATE and target == "decided":
        return _gate_decided(record, query)
    if form == f.ACCEPTANCE and target == "signed" and record["data"].get("grade") == "不合格":
        return [{"effect": "notify", "to": "项目部", "message": f"{record['number']} 不合格: issue a rectification order "
                                                               f"({f.RECTIFICATION}) for {record['data'].get('step')}"},
                _failed_acceptance(record)]
    if form == f.ACCIDENT and target == "reported" and record["data"].get("severity") == "重大":
        return [_major_accident(record)]
    if form == f.CHANGE and target == "approved":
        number = str(record["data"]["project"])
        return [
            {"effect": "move", "record": number, "state": "change", "reason": f"变更 {record['number']} 已批准"},
            {"effect": "update", "record": number, "fields": {"baseline": dict(record["data"]["proposed"])},
             "reason": f"基线按变更 {record['number']} 修改，待重新批准 baseline changed by {record['number']}, to be re-approved"},
        ]
    if form == f.CLOSEOUT and target == "approved":
        effects: list[Effect] = [{"effect": "move", "record": str(record["data"]["project"]), "state": "closed",
                                  "reason": f"结项报告 {record['number']} 已批准"}]
        conditions = (record["data"].get("scope_confirmation") or {}).get("conditions") or []
        if all(c.get("closed_on") for c in conditions):
            effects.append({"effect": "move", "record": record["number"], "state": "archived",
                            "reason": "no open scope condition"})
        return effects
    return []


def _baseline_version(record: dict[str, Any], query: pg.Query) -> Effect:
    data = record.get("data") or {}
    sig = record["signatures"][-1]
    history = list(data.get("baselines") or [])
    change = rules.pending_change(query, record) if sig.get("meaning") == f.SIGN_REBASELINE else None
    entry = {"version": len(history) + 1, **{k: (data.get("baseline") or {}).get(k) for k in rules.BASELINE_KEYS},
             "approved_at": sig["at"], "approved_by": sig["name"], "sha256": sig["sha256"],
             "change": change["number"] if change else None}
    return {"effect": "update", "record": record["number"], "fields": {"baselines": [*history, entry]},
            "reason": f"基线第 {entry['version']} 版已批准 baseline version {entry['version']} approved"}


def _signed_gate(record: dict[str, Any], actor: dict[str, Any], query: pg.Query) -> list[Effect]:
    sig = record["signatures"][-1]
    entry = {"name": actor.get("name"), "full_name": actor.get("full_name", actor.get("name")),
             "role": actor.get("role", ""), "dept": actor.get("dept", ""), "at": sig["at"]}
    signoffs = [*gates.signers(record), entry]
    effects: list[Effect] = [{"effect": "update", "record": record["number"], "fields": {"signoffs": signoffs},
                              "reason": f"{actor.get('name')} 评审签署 signed the gate"}]
    facts = _facts(record, query)
    if facts is not None:
        after_sign = dict(record, data={**record["data"], "signoffs": signoffs})
        if not gates.gate_problems(query, facts, after_sign, deciding=True):
            # The last required signature decides the gate; nothing is left for anyone to do by hand.
            effects.append({"effect": "move", "record": record["number"], "state": "decided",
                            "reason": "所有必需签名已齐 every required signature is in"})
    return effects


def _gate_decided(record: dict[str, Any], query: pg.Query) -> list[Effect]:
    data = record["data"]
    facts = _facts(record, query)
    if facts is None or data.get("decision") not in f.PASSING:
        return []
    stages = facts.template["stages"]
    index = tpl.stage_index(facts.template, str(data.get("stage")))
    project = facts.data
    at = pg.entered_at(record, "decided") or ""
    previous = pg.lead_of(facts, stages[index]) if index >= 0 else None
    following = stages[index + 1] if 0 <= index < len(stages) - 1 else None
    incoming = pg.lead_of(facts, following) if following else previous
    handover = {"stage": following["id"] if following else "closeout", "from": previous, "to": incoming,
                "at": at, "gate": record["number"]}
    conditions = [{"gate": record["number"], "stage": data["stage"], "text": c["text"], "owner": c["owner"], "due": c["due"]}
                  for c in data.get("conditions") or []]
    fields: dict[str, Any] = {"handovers": [*(project.get("handovers") or []), handover]}
    if conditions:
        fields["conditions"] = [*(project.get("conditions") or []), *conditions]
    effects: list[Effect] = [{"effect": "update", "record": facts.number, "fields": fields,
                              "reason": f"关口 {record['number']} {data['decision']}"}]
    if incoming and incoming != previous:
        effects.append({"effect": "notify", "to": incoming, "message": f"{facts.number}: you lead stage "
                        f"{tpl.stage_label(following) if following else 'close-out'} from now (交接 from {previous})"})
    return effects
