"""The gate rule (QP-8.3-01 §5.3): what must be true before a stage's gate may pass, as one-line reasons.

A gate passes only for the project's current stage, with every deliverable of the template, the
baseline approved when the template says so, every acceptance of the stage signed, every failed
step rectified and re-inspected, no rectification order of the stage open, every condition of an
earlier gate closed, the payments the stage depends on received, a qualified lead where required,
and — when deciding — every required signature (plus the 总师办主任's consent when the incoming
lead still leads an unfinished project).
"""

from __future__ import annotations

from typing import Any

from qms_projects import forms as f
from qms_projects import posts as posts_mod
from qms_projects import progress as pg
from qms_projects import project_templates as tpl


def busy_elsewhere(query: pg.Query, facts: pg.Facts, user: str) -> str | None:
    """Another unfinished project ``user`` currently leads (its number), or ``None``."""
    for other in pg.gather_all(query):
        if other.number == facts.number:
            continue
        prog = pg.progress(other)
        if pg.unfinished(other, prog) and pg.current_lead(other, prog) == user:
            return other.number
    return None


def incoming_lead(facts: pg.Facts, index: int) -> str | None:
    """Who takes the lead when the gate of stage ``index`` passes."""
    stages = facts.template["stages"]
    return pg.lead_of(facts, stages[index + 1]) if index + 1 < len(stages) else None


def required_posts(query: pg.Query, facts: pg.Facts, stage: dict[str, Any]) -> tuple[list[str], str]:
    """The posts that must sign the gate of ``stage`` and, if consent was added, why."""
    posts = list(stage.get("signatures", []))
    consent = stage.get("consent_if_lead_busy")
    why = ""
    if consent:
        index = tpl.stage_index(facts.template, stage["id"])
        lead = incoming_lead(facts, index)
        other = busy_elsewhere(query, facts, lead) if lead else None
        if other:
            posts.append(consent)
            why = (f"the incoming lead {lead} still leads unfinished project {other}, so "
                   f"{tpl.post_label(facts.template, consent)} must consent (sign)")
    return posts, why


def signers(gate: dict[str, Any]) -> list[dict[str, Any]]:
    """The sign-offs recorded on a gate review."""
    return list(gate.get("data", {}).get("signoffs") or [])


def ordering_problems(facts: pg.Facts, stage_id: str, prog: pg.Progress | None = None) -> list[str]:
    """Why a record of ``stage_id`` may not be made now (gate ordering), or ``[]``."""
    p = prog or pg.progress(facts)
    stages = facts.template["stages"]
    index = tpl.stage_index(facts.template, stage_id)
    if index < 0:
        ids = ", ".join(s["id"] for s in stages)
        return [f"stage {stage_id!r} is not a stage of template {facts.data.get('template')} (stages: {ids})"]
    if facts.project.get("state") == "closed":
        return [f"project {facts.number} is closed"]
    if p.terminated_by is not None:
        return [f"project {facts.number} was stopped by {p.terminated_by['number']} (终止); close it out with {f.CLOSEOUT}"]
    if p.index >= len(stages):
        return [f"every gate of project {facts.number} has passed; close it out with {f.CLOSEOUT}"]
    if index != p.index:
        current = stages[p.index]
        if index > p.index:
            return [f"project {facts.number} is in stage {p.index + 1} {tpl.stage_label(current)}; stage {index + 1} "
                    f"{tpl.stage_label(stages[index])} cannot start before the gate of stage {p.index + 1} is approved"]
        return [f"stage {index + 1} {tpl.stage_label(stages[index])} of project {facts.number} is already past its gate; "
                f"the project is in stage {p.index + 1} {tpl.stage_label(current)}"]
    return []


def gate_problems(query: pg.Query, facts: pg.Facts, gate: dict[str, Any], *, deciding: bool) -> list[str]:
    """Every reason the gate review ``gate`` may not be submitted (or, ``deciding``, decided) now."""
    data = gate.get("data") or {}
    stage_id = str(data.get("stage", ""))
    prog = pg.progress(facts)
    problems = ordering_problems(facts, stage_id, prog)
    if problems:
        return problems
    if facts.project.get("state") == "change":
        return [f"a change of project {facts.number} is being re-baselined; re-approve the baseline before any gate"]
    template = facts.template
    stage = template["stages"][prog.index]
    decision = data.get("decision")
    if not decision:
        return ["no decision: set decision to 通过, 有条件通过, 暂停 or 终止"]
    if decision == "有条件通过" and not data.get("conditions"):
        problems.append("a conditional pass (有条件通过) needs its conditions, each with owner and due date")
    if decision == "暂停" and not data.get("resume_condition"):
        problems.append("a hold (暂停) needs the condition to resume (resume_condition)")
    if decision == "终止" and not data.get("termination_reason"):
        problems.append("a stop (终止) needs the reason (termination_reason)")
    if decision in f.PASSING:
        problems += pass_problems(facts, stage, data)
    if deciding:
        posts, _why = required_posts(query, facts, stage)
        lacking = posts_mod.missing(template, facts.data.get("team") or [], posts, signers(gate),
                                    data.get("external_signoffs") or [])
        if lacking:
            problems.append("signatures missing: " + ", ".join(lacking))
    return problems


def pass_problems(facts: pg.Facts, stage: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """What a passing decision needs beyond the signatures."""
    template = facts.template
    pdata = facts.data
    problems = []
    provided = {d.get("id") for d in data.get("deliverables") or [] if d.get("provided")}
    missing = []
    for item in stage.get("deliverables", []):
        if item.get("optional"):
            continue
        if item.get("project_field"):
            ok = bool(pdata.get(item["project_field"]))
        elif item.get("post"):
            ok = pg.member(facts, item["post"]) is not None
        else:
            ok = item["id"] in provided
        if not ok:
            missing.append(f"{item['title']} {item['title_en']}")
    if missing:
        problems.append("deliverables missing: " + "; ".join(missing))
    base = template.get("baseline_stage")
    if base and facts.project.get("state") == "draft" and \
            tpl.stage_index(template, stage["id"]) >= tpl.stage_index(template, base):
        problems.append(f"the baseline (scope, schedule, budget) of {facts.number} is not approved; "
                        f"approve it first (move {facts.number} to active)")
    problems += acceptance_problems(facts, stage)
    open_conditions = [c for c in pdata.get("conditions") or [] if not c.get("closed_on")]
    for c in open_conditions:
        problems.append(f"condition of {c['gate']} still open: {c['text']} (owner {c['owner']}, due {c['due']})")
    received = {p.get("payment") for p in pdata.get("payments") or []}
    for paid in stage.get("requires_payments", []):
        if paid not in received:
            problems.append(f"payment {payment_label(template, paid)} has not been received")
    qualified = stage.get("qualified_lead")
    if qualified:
        entry = pg.member(facts, qualified)
        if entry is None or not entry.get("qualification"):
            problems.append(f"{tpl.post_label(template, qualified)}: no qualification (资质) recorded in the project team")
    return problems


def acceptance_problems(facts: pg.Facts, stage: dict[str, Any]) -> list[str]:
    """Acceptances and rectifications of ``stage`` that block its gate."""
    problems = []
    rows = [a for a in facts.of(f.ACCEPTANCE) if a["data"].get("stage") == stage["id"]]
    for a in rows:
        if a.get("state") != "signed":
            problems.append(f"acceptance {a['number']} ({a['data'].get('step')}) is not signed")
        elif a["data"].get("grade") == "不合格" and \
                not any(z["data"].get("acceptance") == a["number"] for z in facts.of(f.RECTIFICATION)):
            problems.append(f"acceptance {a['number']} ({a['data'].get('step')}) failed (不合格); "
                            f"issue a rectification order ({f.RECTIFICATION}) and have it verified")
    for z in facts.of(f.RECTIFICATION):
        if z["data"].get("stage") == stage["id"] and z.get("state") != "verified":
            problems.append(f"rectification order {z['number']} is open ({z.get('state')}; rectify by "
                            f"{str(z['data'].get('deadline', ''))[:16].replace('T', ' ')}); it must be verified first")
    if stage.get("acceptance") == "required" and not any(a.get("state") == "signed" for a in rows):
        problems.append(f"no signed quality acceptance ({f.ACCEPTANCE}) for stage {tpl.stage_label(stage)}")
    return problems


def payment_label(template: dict[str, Any], payment_id: str) -> str:
    """``中期款 Mid-term payment`` for a payment id of the template."""
    for stage in template["stages"]:
        pay = stage.get("payment")
        if pay and pay["id"] == payment_id:
            return f"{pay['title']} {pay['title_en']}"
    return payment_id


__all__ = ["acceptance_problems", "busy_elsewhere", "gate_problems", "ordering_problems", "pass_problems",
           "payment_label", "required_posts", "signers"]
