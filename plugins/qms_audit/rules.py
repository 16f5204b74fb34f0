"""QP-9.2-01's rules beyond the forms' schemas, and the vetoes of moves.

The auditor's independence of the audited department is the form's own ``x-ref-not-dept: dept``,
checked by the core against the workspace's users on every filing and change.
"""

from __future__ import annotations

from typing import Any

from qms_audit import grades
from qms_audit.checklist import within
from qms_audit.workflow import AUDIT, PROGRAMME


def problems(form: str, data: dict[str, Any], query: Any = None) -> list[dict[str, str]]:
    """Cross-field problems of a programme or an audit record (``query`` finds the programme an audit names)."""
    if form == PROGRAMME:
        return programme_problems(data)
    if form == AUDIT:
        return audit_problems(data) + (programme_link_problems(data, query) if query is not None else [])
    return []


def programme_problems(data: dict[str, Any]) -> list[dict[str, str]]:
    """Every planned audit falls in the programme's year, each department once per clause."""
    out = []
    year = data.get("year")
    seen: set[tuple[str, str]] = set()
    for i, planned in enumerate(data.get("audits") or []):
        month = str(planned.get("month", ""))
        if year is not None and not month.startswith(f"{year}-"):
            out.append({"path": f"audits[{i}].month", "message": f"{month} is not in the programme's year {year}; "
                                                                  f"plan it in {year} or in next year's programme"})
        for clause in planned.get("clauses") or []:
            key = (str(planned.get("dept", "")), str(clause))
            if key in seen:
                out.append({"path": f"audits[{i}].clauses", "message": f"{key[0]} is already planned to be audited "
                                                                        f"against {clause}; list each clause once per department"})
            seen.add(key)
    return out


def audit_problems(data: dict[str, Any]) -> list[dict[str, str]]:
    """Findings are numbered once each, lie within the audited clauses, and a response is dated."""
    out = []
    audited = [str(c) for c in data.get("clauses") or []]
    numbers = [f.get("no") for f in grades.findings(data)]
    twice = sorted({n for n in numbers if numbers.count(n) > 1 and isinstance(n, int)})
    if twice:
        out.append({"path": "findings", "message": f"number(s) {', '.join(map(str, twice))} are used more than once; "
                                                   f"give each finding its own number"})
    for i, finding in enumerate(grades.findings(data)):
        clause = str(finding.get("clause", ""))
        if audited and clause and not within(clause, audited):
            out.append({"path": f"findings[{i}].clause",
                        "message": f"{clause} is not among the audited clauses {', '.join(audited)}; "
                                   f"correct the clause or add it to the audit's clauses"})
        if bool(finding.get("response")) != bool(finding.get("responded_on")):
            out.append({"path": f"findings[{i}].responded_on",
                        "message": "a response and its date go together; give both or neither"})
    for i, item in enumerate(data.get("checklist") or []):
        clause = str(item.get("clause", ""))
        if audited and clause and not within(clause, audited):
            out.append({"path": f"checklist[{i}].clause",
                        "message": f"{clause} is not among the audited clauses {', '.join(audited)}"})
    return out


def programme_link_problems(data: dict[str, Any], query: Any) -> list[dict[str, str]]:
    """The programme an audit names is an approved one that plans an audit of its department."""
    number = data.get("programme")
    if not number:
        return []
    found = [r for r in query(form=PROGRAMME, number=number) if not r.get("amended_by")]
    if not found or found[0].get("state") not in ("approved", "closed"):
        return [{"path": "programme", "message": f"{number} is not an approved audit programme (QR-9.2-01); "
                                                  f"give an approved one or leave it out for an extra audit"}]
    planned = sorted({str(a.get("dept")) for a in (found[0].get("data") or {}).get("audits") or []})
    if data.get("dept") not in planned:
        return [{"path": "programme", "message": f"{number} plans no audit of {data.get('dept')} (it plans "
                                                  f"{', '.join(planned)}); add it to the programme or leave it out"}]
    return []


def vetoes(record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
    """The report is issued by its auditor; an audit closes only once every nonconformity is answered."""
    if record.get("form") != AUDIT:
        return []
    data = record.get("data") or {}
    out = []
    if target == "reported" and actor.get("name") != data.get("auditor"):
        out.append(f"the report of {record['number']} is issued by its auditor {data.get('auditor')}, "
                   f"not {actor.get('name')}; ask {data.get('auditor')} to issue it")
    elif target in ("audited", "reported") and actor.get("name") == data.get("auditor") and actor.get("dept") == data.get("dept"):
        # Independence was checked when the auditor was named; a later move to the audited department ends it.
        out.append(f"{actor.get('name')} now belongs to {data.get('dept')}, the audited department, and is no longer "
                   f"independent of it; name an auditor of another department")
    if target == "closed":
        waiting = grades.awaiting_response(data)
        if waiting:
            out.append(f"nonconformit{'y' if len(waiting) == 1 else 'ies'} "
                       f"{', '.join(str(f.get('no')) for f in waiting)} of {record['number']} "
                       f"{'has' if len(waiting) == 1 else 'have'} no response from {data.get('dept')} yet; "
                       f"record the response first (qms audit respond)")
    return out
