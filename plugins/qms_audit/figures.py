"""The internal audit's figures, read by the dashboard and by the management review (ISO 9001 9.3.2 c 6).

Their ids are stable: ``audit-programme-status``, ``audit-findings-by-grade``,
``audit-findings-by-dept`` and ``audit-open-nonconformities``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qms_audit import grades, programme
from qms_audit.workflow import AUDIT


def audits_of_year(query: Any, year: int) -> list[dict[str, Any]]:
    """The audits of ``year`` (by audit date, else planned date)."""
    out = []
    for audit in programme.current(query(form=AUDIT)):
        data = audit.get("data") or {}
        day = str(data.get("audited_on") or data.get("planned_on") or "")
        if day.startswith(f"{year}-"):
            out.append(audit)
    return out


def dashboard(query: Any, now: datetime) -> list[dict[str, Any]]:
    """The programme's progress and the findings of the audits of ``now``'s year."""
    year = now.year
    planned = programme.rows(query, now, year)
    audits = audits_of_year(query, year)
    by_grade = grades.counts(audits)
    by_dept: dict[str, dict[str, int]] = {}
    for audit in audits:
        dept = (audit.get("data") or {}).get("dept", "")
        by_dept[dept] = {**dict.fromkeys(grades.GRADES, 0), **by_dept.get(dept, {})}
        for f in grades.findings(audit.get("data")):
            if f.get("grade") in by_dept[dept]:
                by_dept[dept][f["grade"]] += 1
    waiting = [(a, f) for a in audits if not a.get("closed") for f in grades.awaiting_response(a.get("data") or {})]
    return [
        {"id": "audit-programme-status", "title": f"年度内审计划完成情况 Audit programme status ({year})", "kind": "bar",
         "data": [{"label": k, "value": v} for k, v in programme.tally(planned).items()]},
        {"id": "audit-findings-by-grade", "title": f"内审发现按等级 Audit findings by grade ({year})", "kind": "bar",
         "data": [{"label": grades.LABELS[k], "value": v} for k, v in by_grade.items()]},
        {"id": "audit-findings-by-dept", "title": f"各部门内审发现 Audit findings by department ({year})", "kind": "table",
         "data": {"columns": ["部门 Department", *(grades.LABELS[g] for g in grades.GRADES)],
                  "rows": [[d, *(counts[g] for g in grades.GRADES)] for d, counts in sorted(by_dept.items())]}},
        {"id": "audit-open-nonconformities", "title": f"待回复的内审不符合项 Audit nonconformities awaiting response ({year})",
         "kind": "number", "data": {"value": len(waiting), "unit": "项 findings"}},
    ]
