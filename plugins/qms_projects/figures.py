"""The project figures: each project's stage, lead, next gate and overdue items, the gate pass rates and
the acceptance grades, as the data of ``qms projects status`` and as dashboard figures (``qms_figures``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from qms.api import WorkCalendar

from qms_projects import forms as f
from qms_projects import progress as pg
from qms_projects import project_templates as tpl
from qms_projects.due import project_items


def project_row(facts: pg.Facts, now: datetime, calendar: WorkCalendar) -> dict[str, Any]:
    """One project's line of the status: stage, lead, next gate and its due time, overdue items, grades."""
    prog = pg.progress(facts)
    stage = pg.current_stage(facts, prog)
    stages = facts.template["stages"]
    due = pg.stage_due(facts, calendar, prog)
    items = project_items(facts, now, calendar)
    return {
        "number": facts.number, "name": facts.data.get("name", ""), "customer": facts.data.get("customer", ""),
        "template": facts.data.get("template", ""), "status": pg.status_label(facts, prog),
        "state": facts.project.get("state"),
        "stage_index": prog.index + 1 if stage else len(stages), "stages": len(stages),
        "stage": stage["id"] if stage else "closeout",
        "stage_title": tpl.stage_label(stage) if stage else "结项 Close-out",
        "stage_started": prog.stage_started,
        "lead": pg.current_lead(facts, prog),
        "next_gate": tpl.stage_label(stage) if stage else None,
        "next_gate_due": due.isoformat() if due else None,
        "limit": tpl.stage_limit(stage, facts.data) if stage else None,
        "overdue": [{"kind": i["kind"], "ref": i["ref"], "title": i["title"], "due": i["due"]} for i in items if i["overdue"]],
        "open_items": len(items),
        "baseline_version": len(facts.data.get("baselines") or []),
        "handovers": facts.data.get("handovers") or [],
        "rollup": pg.rollup(facts.of(f.ACCEPTANCE)),
        "final_grade": pg.final_grade(facts),
    }


def gate_stats(all_facts: list[pg.Facts]) -> dict[str, Any]:
    """Decided gates by decision, the pass rate and the first-time pass rate (QP-8.3-01 §5.11)."""
    decisions: Counter[str] = Counter()
    first: dict[tuple[str, str], str] = {}
    for facts in all_facts:
        for gate in pg.decided_gates(facts):
            decision = str(gate["data"].get("decision"))
            decisions[decision] += 1
            first.setdefault((facts.number, str(gate["data"].get("stage"))), decision)
    total = sum(decisions.values())
    passed = decisions["通过"] + decisions["有条件通过"]
    firsts = list(first.values())
    return {
        "decided": total, "by_decision": {d: decisions[d] for d in ("通过", "有条件通过", "暂停", "终止")},
        "pass_rate": round(passed / total, 4) if total else None,
        "first_pass_rate": round(sum(d == "通过" for d in firsts) / len(firsts), 4) if firsts else None,
    }


def grade_distribution(all_facts: list[pg.Facts]) -> dict[str, Any]:
    """Step grades over every project and the final grades of closed-out projects."""
    steps = pg.rollup([a for facts in all_facts for a in facts.of(f.ACCEPTANCE)])
    finals: Counter[str] = Counter()
    for facts in all_facts:
        for jx in facts.of(f.CLOSEOUT):
            if jx.get("state") in ("approved", "archived") and jx["data"].get("final_grade"):
                finals[jx["data"]["final_grade"]] += 1
    return {"steps": steps, "final": {"合格": finals["合格"], "优良": finals["优良"]}}


def status(query: pg.Query, now: datetime, calendar: WorkCalendar | None = None) -> dict[str, Any]:
    """Everything ``qms projects status`` shows, as plain data."""
    cal = calendar or WorkCalendar()
    all_facts = pg.gather_all(query)
    return {"now": now.isoformat(), "projects": [project_row(x, now, cal) for x in all_facts],
            "gates": gate_stats(all_facts), "grades": grade_distribution(all_facts), "notes": cal.notes()}


def figures(query: pg.Query, now: datetime, calendar: WorkCalendar | None = None) -> list[dict[str, Any]]:
    """The dashboard figures of QP-8.3-01: project stages, gate pass rate, grade distribution."""
    data = status(query, now, calendar)
    rows = [{"项目 Project": p["number"], "名称 Name": p["name"], "阶段 Stage": f"{p['stage_index']}/{p['stages']} {p['stage_title']}",
             "状态 Status": p["status"], "牵头人 Lead": p["lead"] or "—",
             "下一关口到期 Next gate due": (p["next_gate_due"] or "—")[:16].replace("T", " "),
             "逾期 Overdue": len(p["overdue"])} for p in data["projects"]]
    gates = data["gates"]
    steps = data["grades"]["steps"]
    return [
        {"id": "projects-stages", "title": "项目阶段 Project stages", "kind": "table", "data": rows},
        {"id": "projects-gate-decisions", "title": "关口评审结论 Gate decisions", "kind": "bar",
         "data": {f"{k} {v}": n for (k, n), v in zip(gates["by_decision"].items(),
                                                     ("Pass", "Conditional", "Hold", "Stop"), strict=True)}},
        {"id": "projects-gate-pass-rate", "title": "关口通过率 Gate pass rate", "kind": "number",
         "data": gates["pass_rate"]},
        {"id": "projects-grade-distribution", "title": "工序验收等级分布 Acceptance grade distribution", "kind": "bar",
         "data": {f"{g} {f.GRADE_EN[g]}": n for g, n in steps["counts"].items()}},
        {"id": "projects-final-grades", "title": "项目最终等级 Final project grades", "kind": "bar",
         "data": {f"{g} {f.GRADE_EN[g]}": n for g, n in data["grades"]["final"].items()}},
    ]


__all__ = ["figures", "gate_stats", "grade_distribution", "project_row", "status"]
