"""``qms complaints``: the monthly analysis, automatic escalation, follow-up visits, severity and categories."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qms import api
from qms.api import echo_json, json_option, pass_app, UsageError

from qms_complaints import categories, due, service, severity
from qms_complaints.forms import COMPLAINT, VISIT

if TYPE_CHECKING:
    from qms.api import App  # annotations only: importing the App opens the store's modules at start-up


@click.group()
def complaints() -> None:
    """Customer complaints (客户投诉, QP-8.2-01): monthly analysis, escalation, follow-up visits.

    Complaints themselves are records on QR-8.2-01 (`qms record new QR-8.2-01`); these commands
    add what is particular to complaint handling.

    \b
    Example:
      qms complaints report --month 2026-11 -o complaints-2026-11.pdf
    """


@complaints.command("report")
@click.option("--month", required=True, metavar="YYYY-MM", help="The calendar month to analyse.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report as PDF to this file.")
@json_option
@pass_app
def report_cmd(app: App, month: str, output: Path | None, as_json: bool) -> None:
    """The monthly complaint analysis for the management review (管理评审).

    Counts by category, severity and department; mean and 90th-percentile time to close; the share
    of hand-offs within 30 minutes and of returned-goods analyses within 7 working days; the open
    and overdue list; recurring causes. With -o the report is written as a PDF with charts.

    \b
    Example:
      qms complaints report --month 2026-11 -o complaints-2026-11.pdf
    """
    data = service.monthly_report(app, month)
    if output is not None:
        from qms.api import target_file, write_pdf

        written = write_pdf(app, service.report_page(app, data, app.actor_name or ""),
                            target_file(output, f"complaints-{month}"), action="complaints.report")
        data = {**data, "pdf": {"file": str(written.path), "pages": written.pages, "sha256": written.sha256}}
    if as_json:
        echo_json(data)
        return
    _print_report(data)


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def _print_report(data: dict[str, Any]) -> None:
    t = data["time_to_close"]
    click.echo(f"客户投诉月度分析 Complaint analysis {data['month']} (as of {data['as_of'][:16].replace('T', ' ')})")
    click.echo(f"  received {data['received']}, closed {data['closed']}, open {data['open']}, overdue {data['overdue']}")
    for key, name in (("by_category", "category"), ("by_severity", "severity"), ("by_dept", "department")):
        click.echo(f"  by {name}: " + (", ".join(f"{b['label']} {b['value']}" for b in data[key]) or "—"))
    mean = "—" if t["mean_days"] is None else f"{t['mean_days']:.2f} d"
    p90 = "—" if t["p90_days"] is None else f"{t['p90_days']:.2f} d"
    click.echo(f"  time to close: mean {mean}, p90 {p90} ({t['count']} closed)")
    click.echo(f"  hand-offs within 30 min: {_pct(data['handoff']['both']['share'])}; "
               f"analyses within 7 working days: {_pct(data['analysis']['share'])}")
    for row in data["open_list"]:
        flag = "  逾期 " + "; ".join(row["overdue"]) if row["overdue"] else ""
        click.echo(f"  open {row['number']} {row['level']} {row['state']} {row['customer']}{flag}")
    for row in data["recurring_causes"]:
        click.echo(f"  recurring cause {row['cause']} ×{row['count']}: {', '.join(row['complaints'])}")
    if "pdf" in data:
        click.echo(f"{data['pdf']['file']}: {data['pdf']['pages']} page(s), sha256 {data['pdf']['sha256']}")


@complaints.command("escalate")
@json_option
@pass_app
def escalate_cmd(app: App, as_json: bool) -> None:
    """Escalate open complaints past 2 months (company's reasons) to 特殊重大 and notify the general manager.

    Also announces any complaint whose level in force (重大 and above) the general manager has not
    been told of. Safe to run repeatedly, e.g. every hour from cron.

    \b
    Example:
      qms --as li complaints escalate
    """
    app.actor("record.move", "escalate complaints")
    done = service.escalate(app)
    if as_json:
        echo_json(done)
        return
    if not done:
        click.echo("nothing to escalate 无需升级")
    for item in done:
        notes = [e.get("message", "") for e in item["effects"] if e.get("effect") == "notify"]
        click.echo(f"{item['number']}: " + ("; ".join(notes) or "updated"))


@complaints.command("visit")
@click.argument("number")
@click.option("--method", required=True, type=click.Choice(["电话沟通", "上门拜访", "微信服务", "短信业务"]), help="How the customer was visited.")
@click.option("--satisfaction", required=True, type=click.Choice(["满意", "基本满意", "不满意"]), help="The customer's satisfaction.")
@click.option("--at", "visited_at", metavar="DATETIME", help="When (YYYY-MM-DDTHH:MM:SS; default now).")
@click.option("--feedback", default="", help="The customer's comments.")
@click.option("--reason", default="", help="Why the customer is dissatisfied (required with 不满意).")
@click.option("--alternatives-told", is_flag=True, help="The customer was told of other routes to a solution.")
@click.option("--interviewee", default="", help="Whom you spoke with.")
@json_option
@pass_app
def visit_cmd(app: App, number: str, method: str, satisfaction: str, visited_at: str | None, feedback: str, reason: str,
              alternatives_told: bool, interviewee: str, as_json: bool) -> None:
    """File a follow-up visit (客户回访记录, QR-8.2-02) for the closed complaint NUMBER.

    \b
    Example:
      qms --as zhao complaints visit KS-2026-0007 --method 电话沟通 --satisfaction 满意
    """
    actor = app.actor("record.file", f"file {VISIT} records")
    data: dict[str, Any] = {"complaint": number, "visited_at": visited_at or api.stamp(), "method": method,
                            "visitor": actor.get("full_name") or actor["name"], "satisfaction": satisfaction}
    for key, value in (("feedback", feedback), ("dissatisfaction_reason", reason), ("interviewee", interviewee)):
        if value:
            data[key] = value
    if alternatives_told:
        data["alternatives_told"] = True
    filed = service.file_visit(app, data)
    if as_json:
        echo_json(filed)
    else:
        click.echo(f"filed {filed['number']} (客户回访记录) for {number}: {satisfaction}")


@complaints.command("show")
@click.argument("number")
@json_option
@pass_app
def show_cmd(app: App, number: str, as_json: bool) -> None:
    """A complaint's severity (level in force, computed level, triggers), open time limits and follow-up visits.

    \b
    Example:
      qms complaints show KS-2026-0001
    """

    record = api.get_record(app, number)
    if record["form"] != COMPLAINT:
        raise UsageError(f"{number} is a {record['form']} record, not a complaint ({COMPLAINT})")
    now = api.now()
    found = severity.assess(record["data"], None if record["closed"] else now)
    items = [] if record["closed"] else due.open_items(record, now, app.calendar)
    out = {"number": number, "state": record["state"], "level": severity.higher(found.level, record["data"].get("severity")),
           "computed": found.level, "triggers": [{"level": lvl, "trigger": text} for lvl, text in found.triggers],
           "due": items, "visits": [{"number": v["number"], "satisfaction": v["data"].get("satisfaction"),
                                     "visited_at": v["data"].get("visited_at")} for v in service.visits_of(app, number)]}
    if as_json:
        echo_json(out)
        return
    click.echo(f"{number} {record['state']}: level {severity.label(out['level'])} (computed {found.level})")
    for lvl, text in found.triggers:
        click.echo(f"  {lvl}: {text}")
    for item in items:
        click.echo(f"  due {item['due'][:16]} {'逾期 OVERDUE ' if item['overdue'] else ''}{item['title']}")
    for v in out["visits"]:
        click.echo(f"  visit {v['number']} {v['visited_at'][:16]} {v['satisfaction']}")


@complaints.command("categories")
@json_option
@pass_app
def categories_cmd(app: App, as_json: bool) -> None:
    """The complaint categories and sub-categories of the form in force (configured in forms/QR-8.2-01.yaml).

    \b
    Example:
      qms complaints categories
    """
    found = categories.from_form(api.current_form(app, COMPLAINT))
    if as_json:
        echo_json(found)
        return
    for name, subs in found.items():
        click.echo(f"{name}: {'、'.join(subs) if subs else '—'}")


__all__ = ["complaints"]
