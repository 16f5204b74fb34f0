"""``qms audit``: the internal audit's programme status, new audits with their checklist, findings,
responses and the 内部审核报告 PDF.

The programme itself is filed with ``qms record new QR-9.2-01`` and approved with ``qms record move``;
an audit's moves (audited, reported, closed) are ``qms record move`` too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from qms import api
from qms.api import QMSGroup, echo_json, json_option, pass_app

from qms_audit import grades, service

if TYPE_CHECKING:
    from qms.api import App


@click.group("audit", cls=QMSGroup)
def audit() -> None:
    """内部审核 Internal audit (QP-9.2-01): programme, audits, checklists, findings, reports.

    File the year's programme with `qms record new QR-9.2-01` and have it approved; these commands
    take it on from there.

    \b
    Example:
      qms audit programme --year 2026
      qms --as zhou audit new --dept 品质部 --clause 7.1.5 --clause 8.2 --auditor zhou --on 2026-11-10
      qms --as zhou audit finding NS-2026-0001 --grade 一般 --clause 7.1.5 --text "…" --evidence "…"
      qms audit report NS-2026-0001 -o NS-2026-0001.pdf
    """


@audit.command("programme")
@click.option("--year", type=int, help="Only the programme of this year.")
@json_option
@pass_app
def programme_cmd(app: App, year: int | None, as_json: bool) -> None:
    """The planned audits of the programmes in force, each with its status (done, in progress, planned, overdue).

    \b
    Example:
      qms audit programme --year 2026
    """
    rows = service.programme_status(app, year)
    if as_json:
        echo_json(rows)
        return
    api.echo_table(["计划 Programme", "部门 Department", "条款 Clauses", "月份 Month", "审核 Audits", "状态 Status"],
                   [[r["programme"], r["dept"], "、".join(r["clauses"]), r["month"], ", ".join(r["audits"]) or "—",
                     r["status"]] for r in rows],
                   empty="没有生效的审核计划 No programme in force: file one with `qms record new QR-9.2-01` and approve it")


@audit.command("new")
@click.option("--dept", required=True, help="The department audited.")
@click.option("--clause", "clauses", multiple=True, required=True, metavar="CLAUSE",
              help="An ISO 9001 clause audited, e.g. 8.2 (repeatable).")
@click.option("--auditor", required=True, metavar="USER", help="The internal auditor: a user of another department.")
@click.option("--on", "planned_on", required=True, metavar="YYYY-MM-DD", help="The planned date.")
@click.option("--programme", metavar="NJ-…", help="The programme this audit carries out.")
@click.option("--auditee", help="The audited department's representative.")
@json_option
@pass_app
def new_cmd(app: App, dept: str, clauses: tuple[str, ...], auditor: str, planned_on: str, programme: str | None,
            auditee: str | None, as_json: bool) -> None:
    """File an audit with its checklist drawn from the clause map of the documents in force.

    Refused, and nothing stored, when the auditor belongs to the audited department.

    \b
    Example:
      qms --as zhou audit new --dept 品质部 --clause 7.1.5 --clause 8.2 --auditor zhou --on 2026-11-10
    """
    data = {"dept": dept, "clauses": list(clauses), "auditor": auditor, "planned_on": planned_on}
    data.update({k: v for k, v in (("programme", programme), ("auditee", auditee)) if v})
    record = service.new_audit(app, data)
    if as_json:
        echo_json(record)
        return
    click.echo(f"{record['number']}: {dept} ({', '.join(clauses)}), auditor {auditor}, "
               f"{len(record['data']['checklist'])} checklist item(s)")


@audit.command("checklist")
@click.argument("number")
@click.option("--draw", is_flag=True, help="Draw the checklist from the clause map, for an audit filed without one.")
@json_option
@pass_app
def checklist_cmd(app: App, number: str, draw: bool, as_json: bool) -> None:
    """The checklist of an audit: clause, question, documents in force, result.

    `qms audit new` draws it when the audit is filed; --draw draws it for an audit filed without one
    (in the browser or with `qms record new QR-9.2-02`).

    \b
    Example:
      qms audit checklist NS-2026-0001
    """
    record = service.draw_checklist(app, number) if draw else service.audit(app, number)
    items = record["data"].get("checklist") or []
    if as_json:
        echo_json(items)
        return
    api.echo_table(["条款 Clause", "检查内容 Question", "依据文件 Documents", "结果 Result"],
                   [[i["clause"], i["question"], ", ".join(i.get("documents") or []) or "—", i.get("result") or "—"]
                    for i in items], empty="无检查项 No checklist")


@audit.command("finding")
@click.argument("number")
@click.option("--grade", required=True, type=click.Choice(grades.GRADES), help="严重 major, 一般 minor, 观察项 observation.")
@click.option("--clause", required=True, help="The clause the finding is against (within the audited clauses).")
@click.option("--text", "description", required=True, help="What was found (事实描述).")
@click.option("--evidence", help="The objective evidence (客观证据).")
@json_option
@pass_app
def finding_cmd(app: App, number: str, grade: str, clause: str, description: str, evidence: str | None,
                as_json: bool) -> None:
    """Record a finding; a nonconformity (严重 or 一般) opens a nonconformity report, an observation none.

    \b
    Example:
      qms --as zhou audit finding NS-2026-0001 --grade 一般 --clause 7.1.5 --text "…" --evidence "…"
    """
    finding = {"clause": clause, "grade": grade, "description": description}
    if evidence:
        finding["evidence"] = evidence
    record = service.add_finding(app, number, finding)
    added = grades.findings(record["data"])[-1]
    if as_json:
        echo_json(added)
        return
    opens = "; opens a nonconformity report (NCR)" if grades.is_nonconformity(added) else ""
    click.echo(f"{number} finding {added['no']}: {grades.LABELS[grade]} ({clause}){opens}")


@audit.command("respond")
@click.argument("number")
@click.option("--finding", "no", type=int, required=True, help="The finding's number.")
@click.option("--text", "response", required=True, help="The audited department's response.")
@click.option("--on", "on", required=True, metavar="YYYY-MM-DD", help="The date of the response.")
@json_option
@pass_app
def respond_cmd(app: App, number: str, no: int, response: str, on: str, as_json: bool) -> None:
    """Record the audited department's response to a finding.

    \b
    Example:
      qms --as li audit respond NS-2026-0001 --finding 1 --text "已重新校准并培训" --on 2026-11-20
    """
    stored = service.respond(app, number, no, response, on)
    if as_json:
        echo_json(stored)
        return
    click.echo(f"{number} finding {no}: response recorded")


@audit.command("list")
@json_option
@pass_app
def list_cmd(app: App, as_json: bool) -> None:
    """Every audit with its department, clauses, auditor, state and findings by grade.

    \b
    Example:
      qms audit list
    """
    rows = []
    for a in service.audits(app):
        data, counts = a["data"], grades.counts([a])
        rows.append({"number": a["number"], "dept": data.get("dept", ""), "clauses": data.get("clauses", []),
                     "auditor": data.get("auditor", ""), "date": data.get("audited_on") or data.get("planned_on", ""),
                     "state": a["state"], "findings": counts})
    if as_json:
        echo_json(rows)
        return
    api.echo_table(["编号 No.", "部门 Department", "条款 Clauses", "内审员 Auditor", "日期 Date", "状态 State",
                    "严重/一般/观察 Findings"],
                   [[r["number"], r["dept"], "、".join(r["clauses"]), r["auditor"], r["date"], r["state"],
                     "/".join(str(r["findings"][g]) for g in grades.GRADES)] for r in rows],
                   empty="没有内部审核 No audits")


@audit.command("report")
@click.argument("number")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="The PDF file to write.")
@json_option
@pass_app
def report_cmd(app: App, number: str, output: Path | None, as_json: bool) -> None:
    """Write the internal audit report (内部审核报告) of an audit as PDF.

    \b
    Example:
      qms audit report NS-2026-0001 -o NS-2026-0001.pdf
    """
    report = service.report_data(app, number)
    written = api.write_pdf(app, service.report_page(app, report, app.actor_name or ""),
                            api.target_file(output, f"{number}-report"), action="audit.report")
    if as_json:
        echo_json({"number": number, "file": str(written.path), "pages": written.pages, "sha256": written.sha256})
        return
    click.echo(f"{written.path}: {written.pages} page(s), sha256 {written.sha256}")
