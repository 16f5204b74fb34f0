"""``qms ncr``: the nonconformity register and the CAPA list, and each step of a report from raising to closing.

Reports are records on QR-10.2-01 (``qms record show NC-2026-0001``); these commands add the steps
particular to corrective action: containment, cause analysis (5-why or fishbone), actions with due
dates on the working-day calendar, and the independent effectiveness check.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qms import api
from qms.api import echo_json, echo_table, json_option, pass_app, password_option, read_password

from qms_ncr import service
from qms_ncr.due import current, open_actions, source_text
from qms_ncr.workflow import ACTION_TYPES, FORM, PROCEDURE, SEVERITIES, SOURCES, STATE_LABELS

if TYPE_CHECKING:
    from qms.api import App


@click.group(cls=api.QMSGroup)
def ncr() -> None:
    """Nonconformities and corrective action (不合格与纠正措施, QP-10.2-01): register, CAPA list, each step.

    Complaints, internal audits, failed calibrations and failed acceptances raise their reports
    themselves; `qms ncr raise` files one by hand (an internal observation).

    \b
    Example:
      qms ncr list --open
      qms ncr actions --overdue
    """


def _echo(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(record)
        return
    click.echo(f"{record['number']}: {STATE_LABELS.get(record['state'], record['state'])} — "
               f"{source_text(record['data'])}")


@ncr.command("list")
@click.option("--state", type=click.Choice(list(STATE_LABELS)), help="Only reports in this state.")
@click.option("--source", type=click.Choice(list(SOURCES)), help="Only reports from this source.")
@click.option("--open", "only_open", is_flag=True, help="Only reports not yet closed.")
@json_option
@pass_app
def list_cmd(app: App, state: str | None, source: str | None, only_open: bool, as_json: bool) -> None:
    """The nonconformity register: every report with its source, state and open actions.

    \b
    Example:
      qms ncr list --source equipment --open
    """
    now = api.now()
    reports = current(api.find_records(app, form=FORM))
    reports = [r for r in reports if (not state or r["state"] == state) and (not source or r["data"].get("source") == source)
               and not (only_open and r.get("closed"))]
    rows = []
    for r in sorted(reports, key=lambda r: r["number"]):
        acts = open_actions([r], now)
        rows.append({"number": r["number"], "state": r["state"], "source": r["data"].get("source", ""),
                     "source_ref": r["data"].get("source_ref", ""), "severity": r["data"].get("severity", ""),
                     "description": r["data"].get("description", ""), "raised_by": r["data"].get("raised_by", ""),
                     "open_actions": len(acts), "overdue_actions": sum(1 for a in acts if a["overdue"])})
    if as_json:
        echo_json(rows)
        return
    echo_table(["编号 No.", "状态 State", "来源 Source", "来源记录 Ref", "严重 Sev.", "不合格 Nonconformity", "提出 By",
                "措施 Open", "逾期 Late"],
               [[r["number"], STATE_LABELS.get(r["state"], r["state"]), SOURCES.get(r["source"], r["source"]),
                 r["source_ref"] or "—", r["severity"] or "—", r["description"][:30], r["raised_by"], r["open_actions"],
                 r["overdue_actions"]] for r in rows], empty="无不合格报告 No nonconformity reports")


@ncr.command("actions")
@click.option("--overdue", is_flag=True, help="Only actions past their due date.")
@click.option("--owner", metavar="NAME", help="Only actions owned by this user.")
@json_option
@pass_app
def actions_cmd(app: App, overdue: bool, owner: str | None, as_json: bool) -> None:
    """The CAPA list: open actions of every report, whatever its source, soonest due first.

    \b
    Example:
      qms ncr actions --owner sun
    """
    found = [a for a in open_actions(api.find_records(app, form=FORM), api.now())
             if (not overdue or a["overdue"]) and (not owner or a["owner"] == owner)]
    if as_json:
        echo_json([{**a, "due": a["due"].isoformat()} for a in found])
        return
    echo_table(["报告 Report", "序号 No.", "措施 Action", "负责人 Owner", "部门 Dept", "来源 Source", "期限 Due", "逾期 Late"],
               [[a["number"], a["index"], a["action"][:36], a["owner"], a["dept"], source_text(a),
                 api.show_date(a["due"]), "逾期 overdue" if a["overdue"] else ""] for a in found],
               empty="没有未完成的纠正措施 No open corrective actions")


@ncr.command("raise")
@click.option("--description", required=True, help="What does not conform (不合格描述).")
@click.option("--source", type=click.Choice(list(SOURCES)), default="internal", show_default=True,
              help="Where it was found.")
@click.option("--ref", "source_ref", default="", help="The source record's number (required unless internal).")
@click.option("--dept", default="", help="The responsible department (责任部门).")
@click.option("--severity", type=click.Choice(list(SEVERITIES)), help="严重 or 一般.")
@click.option("--found-on", metavar="YYYY-MM-DD", help="When it was found (default: today).")
@json_option
@pass_app
def raise_cmd(app: App, description: str, source: str, source_ref: str, dept: str, severity: str | None,
              found_on: str | None, as_json: bool) -> None:
    """Raise a nonconformity report by hand; you are its raiser.

    \b
    Example:
      qms ncr raise --description "仓库温湿度记录连续三天漏记" --dept 物资管理部 --severity 一般 --as li
    """
    _echo(service.raise_report(app, description, source=source, source_ref=source_ref, dept=dept,
                               severity=severity or "", found_on=found_on), as_json)


@ncr.command("contain")
@click.argument("number")
@click.option("--containment", required=True, help="What was done at once to contain and correct it (围堵/纠正).")
@click.option("--on", "contained_on", metavar="YYYY-MM-DD", help="When (default: today).")
@json_option
@pass_app
def contain_cmd(app: App, number: str, containment: str, contained_on: str | None, as_json: bool) -> None:
    """Record the containment and move the report to cause analysis (原因分析).

    \b
    Example:
      qms ncr contain NC-2026-0001 --containment "隔离受影响批次，改用备用量具复测" --as li
    """
    _echo(service.contain(app, number, containment, contained_on), as_json)


@ncr.command("analyse")
@click.argument("number")
@click.option("--root-cause", required=True, help="The root cause found (根本原因).")
@click.option("--why", "whys", multiple=True, metavar="WHY=ANSWER", help="A 5-why row (repeat, at most five).")
@click.option("--cause", "causes", multiple=True, metavar="CATEGORY:TEXT",
              help="A fishbone cause under 人/机/料/法/环/测 (repeatable).")
@click.option("--similar", default="", help="Whether similar nonconformities exist or could occur (类似不合格).")
@json_option
@pass_app
def analyse_cmd(app: App, number: str, root_cause: str, whys: tuple[str, ...], causes: tuple[str, ...], similar: str,
                as_json: bool) -> None:
    """Record the root cause as a 5-why chain (--why) or a fishbone (--cause).

    \b
    Example:
      qms ncr analyse NC-2026-0001 --why "为何超差=元件老化" --why "为何未发现=期间核查未做" \\
        --root-cause "未规定期间核查" --as li
    """
    _echo(service.analyse(app, number, root_cause, whys=service.parse_whys(whys), causes=service.parse_causes(causes),
                          similar=similar), as_json)


@ncr.command("action")
@click.argument("number")
@click.option("--action", "text", required=True, help="What will be done.")
@click.option("--owner", required=True, metavar="NAME", help="The user who owns the action.")
@click.option("--within", required=True, metavar="LIMIT",
              help="Due within this limit from today: 10wd (working days), 5d, 1mo.")
@click.option("--type", "kind", type=click.Choice(list(ACTION_TYPES)), default="纠正措施", show_default=True)
@click.option("--dept", default="", help="The owner's department.")
@click.option("--plan", "then_plan", is_flag=True, help="The actions are complete: move the report to 措施实施.")
@json_option
@pass_app
def action_cmd(app: App, number: str, text: str, owner: str, within: str, kind: str, dept: str, then_plan: bool,
               as_json: bool) -> None:
    """Add an action with its owner and a due date counted on the working-day calendar.

    \b
    Example:
      qms ncr action NC-2026-0001 --action "修订期间核查规程" --owner sun --within 10wd --plan --as li
    """
    record = service.add_action(app, number, text, owner, within, kind=kind, dept=dept)
    if then_plan:
        record = service.plan(app, number)
    _echo(record, as_json)


@ncr.command("done")
@click.argument("number")
@click.option("--action", "index", type=int, required=True, help="The action's number (1, 2, …).")
@click.option("--result", required=True, help="What was done (实施结果).")
@click.option("--on", "done_on", metavar="YYYY-MM-DD", help="When (default: today).")
@json_option
@pass_app
def done_cmd(app: App, number: str, index: int, result: str, done_on: str | None, as_json: bool) -> None:
    """Record an action as done; with every action done the report goes to 效果验证.

    \b
    Example:
      qms ncr done NC-2026-0001 --action 1 --result "规程已修订并培训" --as sun
    """
    _echo(service.complete_action(app, number, index, result, done_on), as_json)


@ncr.command("verify")
@click.argument("number")
@click.option("--result", required=True, help="What the check found (有效性验证结论).")
@click.option("--not-effective", is_flag=True, help="The actions did not work: back to cause analysis.")
@password_option
@json_option
@pass_app
def verify_cmd(app: App, number: str, result: str, not_effective: bool, password_stdin: bool, as_json: bool) -> None:
    """Check the actions' effectiveness and sign; you must neither have raised the report nor own an action.

    \b
    Example:
      qms ncr verify NC-2026-0001 --result "连续两个月期间核查记录完整，未再超差" --as zhou
    """
    password = "" if not_effective else read_password(password_stdin, "Password (to sign the effectiveness check)")
    _echo(service.verify(app, number, result, password, effective=not not_effective), as_json)


@ncr.command("register")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Write the register as PDF to this file.")
@json_option
@pass_app
def register_cmd(app: App, output: Path, as_json: bool) -> None:
    """Write the nonconformity register (不合格报告台账) with the open CAPA list as a PDF.

    \b
    Example:
      qms ncr register -o ncr-register.pdf
    """
    from qms.api import target_file, write_pdf

    written = write_pdf(app, register_page(app), target_file(output, "ncr-register"), action="ncr.register")
    if as_json:
        echo_json({"path": str(written.path), "pages": written.pages})
        return
    click.echo(f"{written.path}: {written.pages} page(s)")


def register_page(app: App) -> api.Page:
    """The register as a controlled report page."""
    from qms_ncr.layout import register_html

    now = api.now()
    return api.report_page(register_html(api.find_records(app, form=FORM), now), ref=f"{PROCEDURE}/{now:%Y-%m-%d}",
                           title="不合格报告台账", title_en="Nonconformity Register", organisation=api.organisation(app),
                           generated_at=api.stamp(), generated_by=app.actor_name or "", procedure=PROCEDURE)


__all__ = ["ncr", "register_page"]
