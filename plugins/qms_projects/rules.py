"""The record rules of QP-8.3-01 behind the hooks: validation of each form, transition vetoes, effects.

Each function takes the plain data the core hands to a hook (and its read-only record query) and
returns plain data: problems ``{"path", "message"}``, veto reasons, or effects. Fields the plugin
keeps (baseline history, hand-overs, gate conditions, sign-offs) can only grow, and only with
entries that the stored signatures or decided gate reviews back, so a hand edit cannot forge them.
"""

from __future__ import annotations

from typing import Any


from qms.api import parse_time

from qms_projects import forms as f
from qms_projects import gates
from qms_projects import posts as posts_mod
from qms_projects import progress as pg
from qms_projects import project_templates as tpl

Problem = dict[str, str]
BASELINE_KEYS = ("scope", "start", "finish", "budget")


def _p(path: str, message: str) -> Problem:
    return {"path": path, "message": message}


def _project_facts(query: pg.Query, data: dict[str, Any]) -> tuple[pg.Facts | None, list[Problem]]:
    number = str(data.get("project", ""))
    facts = pg.gather(query, number)
    if facts is None:
        return None, [_p("project", f"no project {number!r}; register it with `qms projects new` and give its XM number")]
    return facts, []


# ---------------------------------------------------------------------------------------------
# Validation per form
# ---------------------------------------------------------------------------------------------


def validate(form: str, data: dict[str, Any], record: dict[str, Any] | None, query: pg.Query) -> list[Problem]:
    """Every problem with ``data`` filed or changed on a project form."""
    check = VALIDATORS.get(form)
    return check(data, record, query) if check else []


def validate_project(data: dict[str, Any], record: dict[str, Any] | None, query: pg.Query) -> list[Problem]:
    """The register entry: its template snapshot, team, required fields and the guarded lists."""
    template = data.get("template_snapshot") or {}
    found = tpl.template_problems(template, "template_snapshot")
    if found:
        return [_p("template_snapshot", "is not a valid project template; register projects with "
                                        "`qms projects new --template ID`")]
    problems: list[Problem] = []
    if template.get("id") != data.get("template") or template.get("edition") != data.get("template_edition"):
        problems.append(_p("template", "must name the snapshot's template id and edition"))
    post_ids = {p["id"] for p in template["posts"]}
    for i, entry in enumerate(data.get("team") or []):
        if entry.get("post") not in post_ids:
            problems.append(_p(f"team[{i}].post", f"{entry.get('post')!r} is not a post of template {template['id']} "
                                                  f"({', '.join(sorted(post_ids))})"))
        elif posts_mod.is_external(template, entry["post"]) and not entry.get("name"):
            problems.append(_p(f"team[{i}].name", f"{tpl.post_label(template, entry['post'])} is external: give the name"))
        elif not posts_mod.is_external(template, entry["post"]) and not entry.get("user"):
            problems.append(_p(f"team[{i}].user", f"{tpl.post_label(template, entry['post'])}: give the workspace user"))
    for name in template.get("project_fields", []):
        if data.get(name) in (None, ""):
            problems.append(_p(name, f"is required for a {template['title']} {template['title_en']}"))
    baseline = data.get("baseline") or {}
    if baseline.get("start") and baseline.get("finish") and baseline["finish"] < baseline["start"]:
        problems.append(_p("baseline.finish", "must not be before the planned start"))
    if record is None:
        for guarded in ("baselines", "handovers", "conditions", "payments"):
            if data.get(guarded):
                problems.append(_p(guarded, "is kept by the system and must be empty when a project is registered"))
        return problems
    old = record.get("data") or {}
    for key in ("template", "template_edition", "template_snapshot"):
        if data.get(key) != old.get(key):
            problems.append(_p(key, "cannot change after registration (the project keeps the template it was registered with)"))
    for key in ("business_no", "serial_no"):
        if old.get(key) and data.get(key) != old.get(key):
            problems.append(_p(key, f"was issued as {old[key]!r} and cannot change"))
    problems += _baseline_problems(data, record, query)
    problems += _baselines_problems(data, record, query)
    problems += _handover_problems(data, record, query)
    problems += _condition_problems(data, record, query)
    problems += _payment_problems(data, record, query)
    return problems


def pending_change(query: pg.Query, project: dict[str, Any]) -> dict[str, Any] | None:
    """The approved change request of ``project`` whose baseline has not been re-approved yet."""
    applied = {b.get("change") for b in (project.get("data") or {}).get("baselines") or []}
    approved = [c for c in query(form=f.CHANGE, state="approved") if c["data"].get("project") == project["number"]
                and c["number"] not in applied]
    return sorted(approved, key=lambda c: str(c["number"]))[0] if approved else None


def _baseline_problems(data: dict[str, Any], record: dict[str, Any], query: pg.Query) -> list[Problem]:
    state = record.get("state")
    new = {k: (data.get("baseline") or {}).get(k) for k in BASELINE_KEYS}
    old = {k: ((record.get("data") or {}).get("baseline") or {}).get(k) for k in BASELINE_KEYS}
    if new == old or state == "draft":
        return []
    if state == "change":
        change = pending_change(query, record)
        if change is not None and new == {k: change["data"]["proposed"].get(k) for k in BASELINE_KEYS}:
            return []
        return [_p("baseline", "while a change is re-baselined the baseline must be the one the change request approved")]
    return [_p("baseline", f"the baseline was approved and cannot be edited; file a change request ({f.CHANGE}) "
                           f"for the decision committee")]


def _baselines_problems(data: dict[str, Any], record: dict[str, Any], query: pg.Query) -> list[Problem]:
    old = list((record.get("data") or {}).get("baselines") or [])
    new = list(data.get("baselines") or [])
    if new == old:
        return []
    if new[: len(old)] != old or len(new) != len(old) + 1:
        return [_p("baselines", "the baseline history only grows by one approved baseline at a time; earlier versions are kept unchanged")]
    entry = new[-1]
    sigs = [s for s in record.get("signatures") or [] if s.get("meaning") in (f.SIGN_BASELINE, f.SIGN_REBASELINE)]
    if len(sigs) < len(new):
        return [_p("baselines", "a baseline version needs its approval signature (批准基线)")]
    sig = sigs[len(new) - 1]
    current = {k: (data.get("baseline") or {}).get(k) for k in BASELINE_KEYS}
    expected_change = None
    if sig.get("meaning") == f.SIGN_REBASELINE:
        change = pending_change(query, record)
        expected_change = change["number"] if change else "?"
    if (entry.get("version") != len(new) or entry.get("approved_by") != sig.get("name") or entry.get("approved_at") != sig.get("at")
            or entry.get("sha256") != sig.get("sha256") or {k: entry.get(k) for k in BASELINE_KEYS} != current
            or entry.get("change") != expected_change):
        return [_p("baselines", "the new baseline version must be the approved baseline with its signature")]
    return []


def _handover_problems(data: dict[str, Any], record: dict[str, Any], query: pg.Query) -> list[Problem]:
    old = list((record.get("data") or {}).get("handovers") or [])
    new = list(data.get("handovers") or [])
    if new == old:
        return []
    if new[: len(old)] != old:
        return [_p("handovers", "earlier hand-overs cannot be changed")]
    used = {h.get("gate") for h in old}
    for h in new[len(old):]:
        gate = next(iter(query(form=f.GATE, number=h.get("gate"))), None)
        if (gate is None or gate.get("state") != "decided" or gate["data"].get("project") != record["number"]
                or gate["data"].get("decision") not in f.PASSING or h.get("gate") in used):
            return [_p("handovers", "a hand-over is recorded only by a passing gate review of this project")]
        used.add(h.get("gate"))
    return []


def _condition_problems(data: dict[str, Any], record: dict[str, Any], query: pg.Query) -> list[Problem]:
    old = list((record.get("data") or {}).get("conditions") or [])
    new = list(data.get("conditions") or [])
    if len(new) < len(old):
        return [_p("conditions", "gate conditions cannot be removed; close them with closed_on and closed_note")]
    problems = []
    fixed = ("gate", "stage", "text", "owner", "due")
    for i, (was, now) in enumerate(zip(old, new, strict=False)):
        if any(was.get(k) != now.get(k) for k in fixed):
            problems.append(_p(f"conditions[{i}]", "only closed_on and closed_note of a condition may be filled in"))
        elif was.get("closed_on") and (now.get("closed_on") != was["closed_on"] or now.get("closed_note") != was.get("closed_note")):
            problems.append(_p(f"conditions[{i}]", "a closed condition cannot be changed"))
        elif now.get("closed_on") and not was.get("closed_on") and not now.get("closed_note"):
            problems.append(_p(f"conditions[{i}].closed_note", "say how the condition was met"))
    added = new[len(old):]
    if added:
        gates_named = {c.get("gate") for c in added}
        for number in gates_named:
            gate = next(iter(query(form=f.GATE, number=number)), None)
            expected = [{"gate": number, "stage": gate["data"]["stage"], **c} for c in gate["data"].get("conditions") or []] \
                if gate is not None and gate.get("state") == "decided" and gate["data"].get("project") == record["number"] else None
            got = [{k: c.get(k) for k in fixed} for c in added if c.get("gate") == number]
            if expected is None or got != [{k: c.get(k) for k in fixed} for c in expected] or \
                    any(c.get("gate") == number for c in old):
                problems.append(_p("conditions", "conditions are added only by a decided gate review of this project"))
    return problems


def _payment_problems(data: dict[str, Any], record: dict[str, Any], query: pg.Query) -> list[Problem]:
    old = list((record.get("data") or {}).get("payments") or [])
    new = list(data.get("payments") or [])
    if new == old:
        return []
    if new[: len(old)] != old:
        return [_p("payments", "recorded payments cannot be changed or removed")]
    facts = pg.gather(query, record["number"])
    assert facts is not None
    prog = pg.progress(facts)
    passed = {g["data"]["stage"] for g in prog.passed}
    due = {s["payment"]["id"]: s for s in facts.template["stages"] if s.get("payment")}
    seen = {p.get("payment") for p in old}
    problems = []
    for i, pay in enumerate(new[len(old):], start=len(old)):
        pid = pay.get("payment")
        if pid not in due:
            problems.append(_p(f"payments[{i}].payment", f"{pid!r} is not a payment of the template ({', '.join(due) or 'none'})"))
        elif due[pid]["id"] not in passed:
            problems.append(_p(f"payments[{i}].payment", f"{gates.payment_label(facts.template, pid)} falls due only when the "
                                                         f"gate of {tpl.stage_label(due[pid])} has passed"))
        elif pid in seen:
            problems.append(_p(f"payments[{i}].payment", "this payment was already recorded"))
        seen.add(pid)
    return problems


def validate_gate(data: dict[str, Any], record: dict[str, Any] | None, query: pg.Query) -> list[Problem]:
    """A gate review: its project and stage (ordering), deliverable ids, posts, and the sign-off list."""
    facts, problems = _project_facts(query, data)
    if facts is None:
        return problems
    template = facts.template
    stage_index = tpl.stage_index(template, str(data.get("stage")))
    if record is None or record.get("state") == "draft":
        problems += [_p("stage", m) for m in gates.ordering_problems(facts, str(data.get("stage")))]
        if record is None:
            others = [g["number"] for g in facts.of(f.GATE) if g.get("state") in ("draft", "review")]
            if others:
                problems.append(_p("stage", f"gate review {', '.join(others)} of {facts.number} is still open; "
                                            f"decide or withdraw it first"))
    if stage_index >= 0:
        stage = template["stages"][stage_index]
        known = {d["id"] for d in stage["deliverables"]}
        for i, d in enumerate(data.get("deliverables") or []):
            if d.get("id") not in known:
                problems.append(_p(f"deliverables[{i}].id", f"{d.get('id')!r} is not a deliverable of this stage "
                                                            f"({', '.join(sorted(known))})"))
    for i, e in enumerate(data.get("external_signoffs") or []):
        if not posts_mod.is_external(template, str(e.get("post"))):
            problems.append(_p(f"external_signoffs[{i}].post", f"{e.get('post')!r} is not an external post of the template"))
    if data.get("conditions") and data.get("decision") != "有条件通过":
        problems.append(_p("conditions", "conditions belong to a conditional pass (有条件通过) only"))
    old_sign = list(((record or {}).get("data") or {}).get("signoffs") or [])
    new_sign = list(data.get("signoffs") or [])
    if record is None or record.get("state") == "draft":
        if new_sign:
            problems.append(_p("signoffs", "are recorded by signing the gate (评审签署), not typed in"))
    elif record.get("state") == "review":
        frozen = {k: v for k, v in data.items() if k != "signoffs"}
        was = {k: v for k, v in (record.get("data") or {}).items() if k != "signoffs"}
        if frozen != was:
            problems.append(_p("(record)", "a gate in review cannot be edited (reviewers sign what was submitted); "
                                           "withdraw it and file a new one"))
        signed = [s for s in record.get("signatures") or [] if s.get("meaning") == f.SIGN_GATE]
        if new_sign[: len(old_sign)] != old_sign or len(new_sign) > len(signed) or \
                any(s.get("name") != signed[i].get("name") or s.get("at") != signed[i].get("at")
                    for i, s in enumerate(new_sign)):
            problems.append(_p("signoffs", "are recorded by signing the gate (评审签署), not typed in"))
    return problems


def validate_acceptance(data: dict[str, Any], record: dict[str, Any] | None, query: pg.Query) -> list[Problem]:
    """A work step's acceptance: only in the project's current stage; a failure needs findings and treatment."""
    facts, problems = _project_facts(query, data)
    if facts is None:
        return problems
    index = tpl.stage_index(facts.template, str(data.get("stage")))
    if record is None:
        problems += [_p("stage", m) for m in gates.ordering_problems(facts, str(data.get("stage")))]
        if index >= 0 and facts.template["stages"][index].get("acceptance") == "none":
            problems.append(_p("stage", "this stage has no quality acceptance of work steps"))
    changed = record is None or data.get("step") != record["data"].get("step") or \
        data.get("stage") != record["data"].get("stage")
    if index >= 0 and changed and facts.template["stages"][index].get("acceptance") != "none":
        why = tpl.step_problem(facts.template, facts.template["stages"][index], str(data.get("step") or ""))
        if why:
            problems.append(_p("step", why))
    if data.get("grade") == "不合格":
        for key in ("findings", "treatment"):
            if not data.get(key):
                problems.append(_p(key, "is required when a step fails (不合格): say what is wrong and the on-the-spot treatment"))
    return problems


def validate_rectification(data: dict[str, Any], record: dict[str, Any] | None, query: pg.Query) -> list[Problem]:
    """A rectification order: its project, stage and the acceptance it follows."""
    facts, problems = _project_facts(query, data)
    if facts is None:
        return problems
    if tpl.stage_index(facts.template, str(data.get("stage"))) < 0:
        problems.append(_p("stage", f"{data.get('stage')!r} is not a stage of the project's template"))
    ref = data.get("acceptance")
    if ref:
        found = next(iter(query(form=f.ACCEPTANCE, number=ref)), None)
        if found is None or found["data"].get("project") != facts.number:
            problems.append(_p("acceptance", f"{ref} is not an acceptance record of {facts.number}"))
        elif found["data"].get("stage") != data.get("stage"):
            problems.append(_p("stage", f"must be the stage of {ref} ({found['data'].get('stage')})"))
    done, reinspected = parse_time(data.get("done_at")), parse_time(data.get("reinspected_at"))
    if done and reinspected and reinspected < done:
        problems.append(_p("reinspected_at", "must not be before the rectification was done"))
    return problems


def validate_accident(data: dict[str, Any], record: dict[str, Any] | None, query: pg.Query) -> list[Problem]:
    """An accident report: its project; a major accident is reported to the general manager too."""
    facts, problems = _project_facts(query, data)
    if facts is not None and data.get("severity") == "重大" and data.get("reported_to") and "总经理" not in data["reported_to"]:
        problems.append(_p("reported_to", "a major accident (重大) is also reported to the 总经理 (QP-8.3-01 §5.8)"))
    return problems


def validate_change(data: dict[str, Any], record: dict[str, Any] | None, query: pg.Query) -> list[Problem]:
    """A change request: only after the baseline is approved, one at a time, and a sensible proposal."""
    facts, problems = _project_facts(query, data)
    if facts is None:
        return problems
    if record is None:
        state = facts.project.get("state")
        if state == "draft":
            problems.append(_p("project", f"the baseline of {facts.number} is not approved yet; edit it directly "
                                          f"(change control starts once the baseline is approved)"))
        elif state == "closed":
            problems.append(_p("project", f"project {facts.number} is closed"))
        others = [c["number"] for c in facts.of(f.CHANGE) if c.get("state") in ("draft", "submitted")]
        if others or state == "change":
            problems.append(_p("project", f"change {', '.join(others) or 'of the project'} is still being decided or re-baselined; "
                                          f"finish it first"))
    proposed = data.get("proposed") or {}
    if proposed.get("start") and proposed.get("finish") and proposed["finish"] < proposed["start"]:
        problems.append(_p("proposed.finish", "must not be before the planned start"))
    if record is not None and record.get("state") != "draft":
        frozen = {k: v for k, v in data.items() if k != "rejection_reason"}
        if frozen != {k: v for k, v in (record.get("data") or {}).items() if k != "rejection_reason"}:
            problems.append(_p("(record)", "a submitted change request cannot be edited; reject it and file a new one"))
    return problems


def validate_closeout(data: dict[str, Any], record: dict[str, Any] | None, query: pg.Query) -> list[Problem]:
    """A close-out report: completed projects need every gate passed, stopped ones the stop decision."""
    facts, problems = _project_facts(query, data)
    if facts is None:
        return problems
    if record is None:
        prog = pg.progress(facts)
        if data.get("outcome") == "完成" and prog.index < len(facts.template["stages"]):
            stage = facts.template["stages"][prog.index]
            problems.append(_p("outcome", f"project {facts.number} is still in stage {prog.index + 1} "
                                          f"{tpl.stage_label(stage)}; a completed close-out needs every gate passed"))
        if data.get("outcome") == "终止" and prog.terminated_by is None:
            problems.append(_p("outcome", f"project {facts.number} was not stopped by a gate decision (终止)"))
        others = [c["number"] for c in facts.of(f.CLOSEOUT)]
        if others:
            problems.append(_p("project", f"project {facts.number} already has close-out report {', '.join(others)}"))
    if data.get("outcome") == "终止" and not data.get("termination_reason"):
        problems.append(_p("termination_reason", "is required when the project was stopped"))
    if record is not None and record.get("state") == "approved":
        def frozen(d: dict[str, Any]) -> Any:
            out = {k: v for k, v in d.items() if k != "scope_confirmation"}
            scope = dict(d.get("scope_confirmation") or {})
            scope["conditions"] = [{k: v for k, v in c.items() if k != "closed_on"} for c in scope.get("conditions") or []]
            return out, scope
        if frozen(data) != frozen(record.get("data") or {}):
            problems.append(_p("(record)", "an approved close-out can only have its scope conditions closed (closed_on)"))
    return problems


VALIDATORS = {
    f.PROJECT: validate_project, f.GATE: validate_gate, f.ACCEPTANCE: validate_acceptance,
    f.RECTIFICATION: validate_rectification, f.ACCIDENT: validate_accident, f.CHANGE: validate_change,
    f.CLOSEOUT: validate_closeout,
}
