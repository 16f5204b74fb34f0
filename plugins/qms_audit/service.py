"""Internal audit services on the core's records engine, called by the CLI and the demo: a new audit
with its checklist drawn from the clause map, findings and responses, the programme's status and the
内部审核报告 report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qms import api

from qms_audit import checklist, due, grades, programme
from qms_audit.workflow import AUDIT, PROCEDURE_NUMBER, PROGRAMME

if TYPE_CHECKING:
    from qms.api import App, Page


def audits(app: App) -> list[dict[str, Any]]:
    """Every audit record, by number."""
    return api.find_records(app, AUDIT)


def audit(app: App, number: str) -> dict[str, Any]:
    """The audit record ``number``; refused when it is a record of another form."""
    record = api.get_record(app, number)
    if record.get("form") != AUDIT:
        raise api.UsageError(f"{number} is a record of {record.get('form')}, not an internal audit ({AUDIT}); "
                             f"list audits with `qms audit list`")
    return record


def drawn_checklist(app: App, clauses: list[str]) -> list[dict[str, Any]]:
    """The checklist of an audit of ``clauses`` from the clause map of the documents in force now."""
    now = api.now()
    return checklist.items(clauses, api.clause_map(app, now), api.documents_citing(app, clauses, now))


def new_audit(app: App, data: dict[str, Any], *, note: str = "") -> dict[str, Any]:
    """File an audit on QR-9.2-02 with its checklist drawn from the clause map of the documents in force.

    The core refuses it (nothing stored) when the auditor belongs to the audited department.
    """
    items = drawn_checklist(app, [str(c) for c in data.get("clauses") or []])
    return api.file_record(app, AUDIT, {**data, "checklist": items}, note=note or "检查表由条款对照生成 checklist from the clause map")


def draw_checklist(app: App, number: str) -> dict[str, Any]:
    """Draw the checklist of an audit filed without one (in the browser, or by ``qms record new``)."""
    record = audit(app, number)
    held = record["data"].get("checklist") or []
    if held:
        raise api.Refused(f"{number} already has a checklist of {len(held)} item(s); change items with "
                          f"`qms record update {number} --set checklist[0].result=…`")
    items = drawn_checklist(app, [str(c) for c in record["data"].get("clauses") or []])
    return api.update_record(app, number, {"checklist": items}, note="检查表由条款对照生成 checklist from the clause map")


def add_finding(app: App, number: str, finding: dict[str, Any]) -> dict[str, Any]:
    """Add a finding (numbered after the last one); a nonconformity opens an NCR through the core."""
    record = audit(app, number)
    found = grades.findings(record["data"])
    no = max((int(f.get("no") or 0) for f in found), default=0) + 1
    return api.update_record(app, number, {"findings": [*found, {"no": no, **finding}]},
                             note=f"审核发现 {no} finding ({finding.get('grade')})")


def respond(app: App, number: str, no: int, response: str, on: str) -> dict[str, Any]:
    """Record the audited department's response to finding ``no``."""
    record = audit(app, number)
    found = grades.findings(record["data"])
    if not any(f.get("no") == no for f in found):
        listed = ", ".join(str(f.get("no")) for f in found) or "none"
        raise api.UsageError(f"{number} has no finding {no} (findings: {listed}); give one of its finding numbers")
    changed = [{**f, "response": response, "responded_on": on} if f.get("no") == no else f for f in found]
    return api.update_record(app, number, {"findings": changed}, note=f"回复 response to finding {no}")


def programme_status(app: App, year: int | None = None) -> list[dict[str, Any]]:
    """Each planned audit of the programmes in force with its status."""
    return programme.rows(lambda **kw: api.find_records(app, **kw), api.now(), year)


def programmes(app: App) -> list[dict[str, Any]]:
    """Every programme record."""
    return api.find_records(app, PROGRAMME)


def person(app: App, name: Any) -> str:
    """A workspace user as a report names them, ``周文控 (zhou)``; a name that is no user's as typed."""
    if not name:
        return "—"
    try:
        user = app.users.get(str(name))
    except api.NotFound:
        return str(name)
    full = str(user.get("full_name") or name)
    return f"{full} ({name})" if full != name else full


def report_data(app: App, number: str) -> dict[str, Any]:
    """The figures and tables of the internal audit report of ``number``."""
    from qms_audit.layout import checklist_rows, finding_rows

    record = audit(app, number)
    data = record["data"]
    counts = grades.counts([record])
    limit = due.respond_within(api.settings(app))
    return {
        "number": number, "state": record["state"], "dept": data.get("dept", ""),
        "facts": [("记录编号 Record", number), ("年度计划 Programme", data.get("programme") or "—"),
                  ("受审核部门 Department audited", data.get("dept", "")),
                  ("审核条款 Clauses", "、".join(data.get("clauses") or [])),
                  ("内审员 Auditor", person(app, data.get("auditor"))),
                  ("受审核方代表 Auditee", person(app, data.get("auditee"))),
                  ("审核日期 Audited on", data.get("audited_on") or f"计划 planned {data.get('planned_on', '')}"),
                  ("状态 State", record["state"])],
        "by_grade": [[grades.LABELS[g], counts[g]] for g in grades.GRADES],
        "counts": counts, "respond_within": limit.replace("wd", " 个工作日 working days"),
        "findings": finding_rows(data, api.nonconformity_reports(app, number), number),
        "checklist": checklist_rows(data), "summary": data.get("summary", ""),
        "signatures": record.get("signatures") or [],
    }


def report_page(app: App, report: dict[str, Any], generated_by: str = "") -> Page:
    """The internal audit report as a controlled report PDF page."""
    from qms_audit.layout import report_html

    facts = dict(report["facts"])
    return api.report_page(report_html(report), ref=report["number"], title="内部审核报告",
                           title_en="Internal Audit Report", organisation=api.organisation(app),
                           generated_at=api.stamp(), generated_by=generated_by,
                           period=str(facts.get("审核日期 Audited on", "")), procedure=PROCEDURE_NUMBER,
                           data={k: v for k, v in report.items() if k != "signatures"})
