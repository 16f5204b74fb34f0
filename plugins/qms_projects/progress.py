"""Where a project stands, derived from its records: stage, lead, hand-overs, next gate and its due time, roll-ups.

Nothing here is stored: the current stage is the first stage whose gate has not been decided
通过 or 有条件通过, counted over the project's decided gate reviews in the order they were decided,
so no one can move a project forward by editing a field. ``Facts`` bundles one project's register
entry with every record that names it; it is read through the read-only record query the core
hands to hooks (or built from the CLI's query), never from the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


from qms.api import parse_time, WorkCalendar

from qms_projects import forms as f
from qms_projects import project_templates as tpl

Query = Callable[..., list[dict[str, Any]]]


@dataclass
class Facts:
    """One project's register entry and every record that names it, by form."""

    project: dict[str, Any]
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def number(self) -> str:
        return str(self.project["number"])

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.project.get("data") or {})

    @property
    def template(self) -> dict[str, Any]:
        return dict(self.data.get("template_snapshot") or {"stages": [], "posts": []})

    def of(self, form: str) -> list[dict[str, Any]]:
        """Records of ``form`` naming this project, by number."""
        return self.children.get(form, [])


def find_project(query: Query, number: str) -> dict[str, Any] | None:
    """The register entry ``number`` or ``None``."""
    found = query(form=f.PROJECT, number=number)
    return found[0] if found else None


def gather(query: Query, number: str) -> Facts | None:
    """The facts of project ``number``; ``None`` when there is no such project."""
    project = find_project(query, number)
    if project is None:
        return None
    children: dict[str, list[dict[str, Any]]] = {}
    for form in f.CHILDREN:
        rows = [r for r in query(form=form) if (r.get("data") or {}).get("project") == number]
        children[form] = sorted(rows, key=lambda r: str(r["number"]))
    return Facts(project=project, children=children)


def gather_all(query: Query) -> list[Facts]:
    """The facts of every project, with one pass over each form."""
    projects = sorted(query(form=f.PROJECT), key=lambda r: str(r["number"]))
    by_project: dict[str, dict[str, list[dict[str, Any]]]] = {str(p["number"]): {} for p in projects}
    for form in f.CHILDREN:
        for record in sorted(query(form=form), key=lambda r: str(r["number"])):
            owner = (record.get("data") or {}).get("project")
            if owner in by_project:
                by_project[owner].setdefault(form, []).append(record)
    return [Facts(project=p, children=by_project[str(p["number"])]) for p in projects]


def entered_at(record: dict[str, Any], state: str) -> str | None:
    """When ``record`` last entered ``state`` (ISO text), from its history."""
    times = [h.get("at") for h in record.get("history", []) if h.get("to") == state and h.get("from") != state]
    return str(times[-1]) if times else None


def decided_gates(facts: Facts) -> list[dict[str, Any]]:
    """The project's decided gate reviews in the order they were decided."""
    decided = [g for g in facts.of(f.GATE) if g.get("state") == "decided"]
    return sorted(decided, key=lambda g: (entered_at(g, "decided") or "", str(g["number"])))


def member(facts: Facts, post_id: str) -> dict[str, Any] | None:
    """The team entry for ``post_id`` (the first when several are named)."""
    return next((m for m in facts.data.get("team") or [] if m.get("post") == post_id), None)


def lead_of(facts: Facts, stage: dict[str, Any] | None) -> str | None:
    """The user who leads ``stage`` (the team member named for its lead post)."""
    if stage is None:
        return None
    entry = member(facts, stage["lead"])
    return (entry.get("user") or entry.get("name")) if entry else None


@dataclass
class Progress:
    """What the gates say about a project."""

    index: int  # current stage (== number of stages when every gate has passed)
    passed: list[dict[str, Any]]  # the passing gate reviews in order
    suspended_by: dict[str, Any] | None
    terminated_by: dict[str, Any] | None
    stage_started: str | None  # when the current stage started (ISO), None when its clock has not started

    @property
    def running(self) -> bool:
        return self.suspended_by is None and self.terminated_by is None


def progress(facts: Facts) -> Progress:
    """The current stage and how the project got there."""
    stages = facts.template["stages"]
    index = 0
    passed: list[dict[str, Any]] = []
    suspended = terminated = None
    for gate in decided_gates(facts):
        if index >= len(stages) or gate["data"].get("stage") != stages[index]["id"]:
            continue  # not the gate of the current stage: cannot move the project (the rules refuse filing it)
        decision = gate["data"].get("decision")
        if decision in f.PASSING:
            index += 1
            passed.append(gate)
            suspended = None
        elif decision == "暂停":
            suspended = gate
        elif decision == "终止":
            terminated = gate
            break
    return Progress(index=index, passed=passed, suspended_by=suspended, terminated_by=terminated,
                    stage_started=stage_start(facts, index, passed))


def stage_start(facts: Facts, index: int, passed: list[dict[str, Any]]) -> str | None:
    """When stage ``index``'s clock starts: its ``start`` field, else the previous gate, else registration."""
    stages = facts.template["stages"]
    if index >= len(stages):
        return entered_at(passed[-1], "decided") if passed else None
    start = stages[index].get("start", "stage")
    if start.startswith("field:"):
        value = facts.data.get(start.split(":", 1)[1])
        return str(value) if value else None
    if index == 0:
        return str(facts.project.get("created_at") or "") or None
    return entered_at(passed[index - 1], "decided")


def current_stage(facts: Facts, prog: Progress | None = None) -> dict[str, Any] | None:
    """The stage the project is in (``None`` when every gate has passed)."""
    p = prog or progress(facts)
    stages = facts.template["stages"]
    return stages[p.index] if p.index < len(stages) else None


def stage_due(facts: Facts, calendar: WorkCalendar, prog: Progress | None = None) -> datetime | None:
    """When the current stage's gate is due under the template's limit (working days on ``calendar``)."""
    p = prog or progress(facts)
    stage = current_stage(facts, p)
    if stage is None:
        return None
    limit = tpl.stage_limit(stage, facts.data)
    start = parse_time(p.stage_started)
    if not limit or start is None:
        return None
    return calendar.due(start, limit)


def status_label(facts: Facts, prog: Progress | None = None) -> str:
    """The project's standing in words: 已结项, 已终止, 暂停, 变更审批中, 基线待批准 or 进行中."""
    p = prog or progress(facts)
    state = facts.project.get("state")
    if state == "closed":
        return "已结项 Closed"
    if p.terminated_by is not None:
        return "已终止待结项 Stopped, close-out pending"
    if p.suspended_by is not None:
        return "暂停 On hold"
    if state == "change":
        return "变更审批中 Change being re-baselined"
    if p.index >= len(facts.template["stages"]):
        return "待结项 Awaiting close-out"
    if state == "draft":
        return "进行中（基线待批准）Active, baseline not yet approved"
    return "进行中 Active"


def unfinished(facts: Facts, prog: Progress | None = None) -> bool:
    """Whether the project is still being worked (not closed and not stopped)."""
    p = prog or progress(facts)
    return facts.project.get("state") != "closed" and p.terminated_by is None


def current_lead(facts: Facts, prog: Progress | None = None) -> str | None:
    """The user leading the project now (the close-out is led by the last stage's lead)."""
    p = prog or progress(facts)
    stages = facts.template["stages"]
    if not stages:
        return None
    return lead_of(facts, stages[min(p.index, len(stages) - 1)])


# -- quality acceptance roll-up ----------------------------------------------------------------


def rollup(acceptances: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by grade, 合格率 = (合格+良好+优等)/total and 优良率 = (良好+优等)/total of signed acceptances."""
    signed = [a for a in acceptances if a.get("state") == "signed"]
    counts = {g: 0 for g in f.GRADES}
    for a in signed:
        grade = a["data"].get("grade")
        if grade in counts:
            counts[grade] += 1
    total = len(signed)
    passing = counts["合格"] + counts["良好"] + counts["优等"]
    good = counts["良好"] + counts["优等"]
    return {"total": total, "counts": counts, "pass_rate": round(passing / total, 4) if total else None,
            "excellent_rate": round(good / total, 4) if total else None}


def stage_rollups(facts: Facts) -> list[dict[str, Any]]:
    """The roll-up of every stage that has acceptances, in template order."""
    out = []
    for stage in facts.template["stages"]:
        rows = [a for a in facts.of(f.ACCEPTANCE) if a["data"].get("stage") == stage["id"]]
        if rows:
            out.append({"stage": stage["id"], "title": tpl.stage_label(stage), **rollup(rows)})
    return out


def rectified(facts: Facts, acceptance: dict[str, Any]) -> bool:
    """Whether a failed acceptance has a rectification order that passed re-inspection."""
    return any(z["data"].get("acceptance") == acceptance["number"] and z.get("state") == "verified"
               for z in facts.of(f.RECTIFICATION))


def final_grade(facts: Facts) -> str | None:
    """合格 or 优良 (QP-8.3-01 §5.7.2); ``None`` while a failed step is not rectified or nothing was accepted.

    优良 needs the project's 优良率 to reach the template's ``excellent_rate`` (default 0.8); a step
    that failed and was rectified still counts as failed in the rate, so rework shows in the grade.
    """
    signed = [a for a in facts.of(f.ACCEPTANCE) if a.get("state") == "signed"]
    if not signed:
        return None
    if any(a["data"].get("grade") == "不合格" and not rectified(facts, a) for a in signed):
        return None
    rate = rollup(signed)["excellent_rate"] or 0.0
    threshold = float(facts.template.get("excellent_rate", 0.8))
    return "优良" if rate >= threshold else "合格"


__all__ = [
    "Facts", "Progress", "current_lead", "current_stage", "decided_gates", "entered_at", "final_grade", "find_project",
    "gather", "gather_all", "lead_of", "member", "progress", "rectified", "rollup", "stage_due", "stage_rollups",
    "status_label", "unfinished",
]
