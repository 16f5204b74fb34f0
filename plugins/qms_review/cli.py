"""``qms review``: file a management review with its inputs gathered from the system, its outputs, the 总经理's approval."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from qms import api
from qms.api import echo_json, echo_table, json_option, pass_app, password_option, read_password

from qms_review import inputs, service
from qms_review.workflow import APPROVER_POST, FORM

if TYPE_CHECKING:
    from qms.api import App  # annotations only: importing the App opens the store's modules at start-up


@click.group(cls=api.QMSGroup)
def review() -> None:
    """Management review (管理评审, QP-9.3-01): inputs gathered from the system, outputs tracked to done.

    A review is a record on QR-9.3-01 管理评审报告 (GP-…). Its inputs (ISO 9001 9.3.2) are the
    figures of every procedure for the review period, gathered when it is filed (and again with
    `gather` until the meeting); the outputs (9.3.3) get an owner and a due date and show in
    `qms due` until done; the 总经理 approves it with a password signature. `qms record pdf GP-…`
    prints the minutes with the figures as charts.

    \b
    Examples:
      qms --as zhou review new --from 2026-11-01 --to 2026-11-30 --planned 2026-12-10T09:00
      qms review show GP-2026-0002
    """


@review.command("new")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="First day of the period reviewed.")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Last day of the period reviewed.")
@click.option("--planned", metavar="DATETIME", help="When the meeting is planned (YYYY-MM-DDTHH:MM).")
@json_option
@pass_app
def new_cmd(app: App, start: str, end: str, planned: str | None, as_json: bool) -> None:
    """File a management review for a period, its 9.3.2 inputs gathered from every procedure now.

    \b
    Example:
      qms --as zhou review new --from 2026-11-01 --to 2026-11-30
    """
    app.actor("record.file", f"file {FORM} records")  # refused before any figure is gathered
    record = service.new_review(app, api.require_date(start, "--from"), api.require_date(end, "--to"), planned)
    if as_json:
        echo_json(record)
        return
    click.echo(f"filed {record['number']} (管理评审报告) for {start} — {end}")
    _print_inputs(record)


@review.command("gather")
@click.argument("number")
@json_option
@pass_app
def gather_cmd(app: App, number: str, as_json: bool) -> None:
    """Gather a draft review's inputs again (before the meeting; afterwards they are kept as seen).

    \b
    Example:
      qms --as zhou review gather GP-2026-0002
    """
    record = service.regather(app, number)
    if as_json:
        echo_json(record)
        return
    click.echo(f"{number}: inputs gathered again at {api.show_time(record['data']['gathered_at'])}")
    _print_inputs(record)


def _print_inputs(record: dict[str, Any]) -> None:
    for h in record["data"].get("inputs") or []:
        what = h["note"] if h.get("empty") else "; ".join(f["title"] for f in h["figures"])
        click.echo(f"  {h['clause']} {h['title']}: {what}")
    for s in record["data"].get("sources") or []:
        if s.get("error"):
            click.echo(f"  source {s['plugin']} failed: {s['error']}")


@review.command("show")
@click.argument("number")
@json_option
@pass_app
def show_cmd(app: App, number: str, as_json: bool) -> None:
    """A review's state, inputs by 9.3.2 heading, conclusion and outputs with their status.

    \b
    Example:
      qms review show GP-2026-0002
    """
    record = service.review(app, number)
    today = api.now().date()
    data = record["data"]
    outputs = [{**o, "status": inputs.output_status(o, today)} for o in data.get("outputs") or []]
    if as_json:
        echo_json({"number": number, "state": record["state"], "period": [data["period_start"], data["period_end"]],
                   "previous_review": data.get("previous_review"), "gathered_at": data["gathered_at"],
                   "inputs": [{"clause": h["clause"], "title": h["title"], "figures": [f["id"] for f in h["figures"]],
                               "empty": h.get("empty", False)} for h in data["inputs"]],
                   "conclusion": data.get("conclusion"), "outputs": outputs})
        return
    click.echo(f"{number} {record['state']}: {data['period_start']} — {data['period_end']}"
               + (f", previous {data['previous_review']}" if data.get("previous_review") else ""))
    _print_inputs(record)
    if data.get("conclusion"):
        click.echo(f"  结论 conclusion: {data['conclusion']}")
    echo_table(["序号 No.", "类别 Kind", "措施 Action", "负责人 Owner", "期限 Due", "完成 Done", "状态 Status"],
               [[o["no"], o["kind"], o["action"], o["owner"], o["due"], o.get("done_at") or "", o["status"]]
                for o in outputs], empty="无输出 No outputs")


@review.command("list")
@json_option
@pass_app
def list_cmd(app: App, as_json: bool) -> None:
    """Management reviews with their period, state and open outputs.

    \b
    Example:
      qms review list
    """
    today = api.now().date()
    rows = [{"number": r["number"], "state": r["state"], "period_start": r["data"]["period_start"],
             "period_end": r["data"]["period_end"], "held_at": r["data"].get("held_at", ""),
             "outputs": len(r["data"].get("outputs") or []), "open": len(service.open_outputs(r, today))}
            for r in api.find_records(app, form=FORM)]
    if as_json:
        echo_json(rows)
        return
    echo_table(["编号 No.", "状态 State", "期间自 From", "期间至 To", "召开 Held", "输出 Outputs", "未完成 Open"],
               [[r["number"], r["state"], r["period_start"], r["period_end"], str(r["held_at"])[:16], r["outputs"],
                 r["open"]] for r in rows], empty="无管理评审 No management reviews")


@review.command("output")
@click.argument("number")
@click.option("--kind", required=True, type=click.Choice(list(service.KINDS)),
              help="改进机会 improvement, 体系变更 change to the QMS, 资源需求 resource need.")
@click.option("--action", required=True, help="The decision or action.")
@click.option("--owner", required=True, metavar="USER", help="Who carries it out (a workspace user name).")
@click.option("--dept", default="", help="The department responsible.")
@click.option("--due", metavar="YYYY-MM-DD", help="Due date (a working day).")
@click.option("--within", metavar="LIMIT", help="Due within this many working days of the meeting, e.g. 20wd.")
@json_option
@pass_app
def output_cmd(app: App, number: str, kind: str, action: str, owner: str, dept: str, due: str | None,
               within: str | None, as_json: bool) -> None:
    """Add an output decided at the meeting to a held review; it shows in `qms due` until done.

    \b
    Example:
      qms --as zhou review output GP-2026-0002 --kind 资源需求 --action "增购一台压力表" --owner sun --within 20wd
    """
    app.actor("record.file", "change records")
    record = service.review(app, number)
    when = service.due_date(app, record, due, within)
    updated = service.add_output(app, number, kind, action, owner, dept, when)
    added = updated["data"]["outputs"][-1]
    if as_json:
        echo_json(added)
        return
    click.echo(f"{number} output {added['no']} ({kind}) → {owner}, due {when}")


@review.command("done")
@click.argument("number")
@click.argument("no", type=int)
@click.option("--result", required=True, help="What was done.")
@click.option("--on", metavar="YYYY-MM-DD", help="When it was done (default today).")
@json_option
@pass_app
def done_cmd(app: App, number: str, no: int, result: str, on: str | None, as_json: bool) -> None:
    """Record output NO of a review as done; when all are done the review can be closed.

    \b
    Example:
      qms --as sun review done GP-2026-0002 1 --result "已采购并校准 bought and calibrated"
    """
    record = service.complete_output(app, number, no, result, on)
    if as_json:
        echo_json(record["data"]["outputs"][no - 1])
        return
    left = len(service.open_outputs(record, api.now().date()))
    click.echo(f"{number} output {no} done; {left} open" + ("" if left else
               f"; close the review with `qms record move {number} closed`"))


@review.command("approve")
@click.argument("number")
@click.option("--note", default="", help="A note on the approval.")
@password_option
@json_option
@pass_app
def approve_cmd(app: App, number: str, note: str, password_stdin: bool, as_json: bool) -> None:
    """Approve a held review: the 总经理 signs it with their password (no one else may).

    \b
    Example:
      qms --as wang review approve GP-2026-0002
    """
    actor = app.actor("record.move", "approve management reviews")
    record = service.review(app, number)
    if actor.get("post") != APPROVER_POST:
        held = f"post {actor['post']}" if actor.get("post") else "no post"
        raise api.Refused(f"{number}: a management review is approved by the {APPROVER_POST} only; "
                          f"{actor['name']} has {held} (the 总经理 signs with `qms --as NAME review approve {number}`)")
    if record["state"] != "held":
        raise api.Refused(f"{number} is {record['state']}; only a held review (meeting, attendees and conclusion "
                          f"recorded) is approved")
    password = read_password(password_stdin, "Password to sign 签名 (批准 management review approved)")
    moved = api.move_record(app, number, "approved", note=note, password=password)
    if as_json:
        echo_json(moved["record"])
        return
    click.echo(f"{number} approved 已批准 by {actor.get('full_name') or actor['name']} ({APPROVER_POST})")


__all__ = ["review"]
