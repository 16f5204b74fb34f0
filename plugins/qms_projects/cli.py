"""``qms projects``: templates, registering projects, gate reviews, acceptances, payments, status and the dossier PDF."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qms import api
from qms.api import (
    echo_json,
    json_option,
    pass_app,
    password_option,
    read_password,
    record_query,
    UsageError,
)

from qms_projects import dossier, figures, service
from qms_projects import forms as f
from qms_projects import project_templates as tpl

if TYPE_CHECKING:
    from qms.api import App  # annotations only: importing the App opens the store's modules at start-up


@click.group()
def projects() -> None:
    """Projects (项目运作管理, QP-8.3-01): templates, stage gates, acceptance, change control, status, dossier.

    Gate reviews, acceptances, rectification orders, accident reports, change requests and the
    close-out are records (QR-8.3-02 … QR-8.3-07) moved with `qms record move`; these commands
    fill in what a template already knows.

    \b
    Example:
      qms projects status
    """


@projects.command("templates")
@json_option
@pass_app
def templates_cmd(app: App, as_json: bool) -> None:
    """List the project templates (shipped, and the workspace's project-templates/) with their stages.

    \b
    Example:
      qms projects templates
    """
    found = tpl.list_templates(app.workspace.root)
    if as_json:
        echo_json(found)
        return
    for t in found:
        click.echo(f"{t['id']:<22} {t['edition']:<5} {t['title']} {t['title_en']}")
        for i, s in enumerate(t["stages"], start=1):
            limit = s.get("limit", "")
            extra = "".join(f" / {c['limit']} if {c['field']}" for c in s.get("limit_if", []))
            click.echo(f"    {i:>2}. {s['title']} {s['title_en']}  [lead {s['lead']}{'; ' + limit + extra if limit else ''}]")
            if s.get("acceptance_steps"):
                click.echo("        验收 acceptance: " + ", ".join(f"{a['title']} {a['title_en']}" for a in s["acceptance_steps"]))


def _sets(items: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--set {item!r}: write FIELD=VALUE, e.g. --set received_at=2026-09-29T09:30:00")
        out[key] = {"true": True, "false": False}.get(value, value)
    return out


@projects.command("new")
@click.option("--template", "template_id", required=True, help="Template id (see `qms projects templates`).")
@click.option("--name", required=True, help="项目名称 Project name.")
@click.option("--customer", required=True, help="客户 Customer.")
@click.option("--manager", required=True, help="项目经理/负责人 (a workspace user).")
@click.option("--team", multiple=True, metavar="POST=USER[:QUALIFICATION]", help="A team member (repeatable).")
@click.option("--scope", help="Baseline scope.")
@click.option("--start", metavar="YYYY-MM-DD", help="Baseline planned start.")
@click.option("--finish", metavar="YYYY-MM-DD", help="Baseline planned finish.")
@click.option("--budget", type=float, help="Baseline budget (CNY).")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Another register field, e.g. received_at=… (repeatable).")
@json_option
@pass_app
def new_cmd(app: App, template_id: str, name: str, customer: str, manager: str, team: tuple[str, ...], scope: str | None,
            start: str | None, finish: str | None, budget: float | None, sets: tuple[str, ...], as_json: bool) -> None:
    """Register a project (项目登记表 QR-8.3-01) on a template; it keeps that template's edition.

    \b
    Example:
      qms projects new --template fit-out --name "滨江花园 3-201 装修" --customer 刘先生 --manager guo \\
        --team foreman=guo --team supervisor=ma --team designer=lin --team eng_manager=deng --team customer=刘先生 \\
        --scope 全包装修 --start 2026-12-07 --finish 2027-03-20 --budget 168000 \\
        --set briefing_at=2026-12-07T09:00:00 --as guo
    """
    template = tpl.load(app.workspace.root, template_id)
    baseline = {k: v for k, v in (("scope", scope), ("start", start), ("finish", finish), ("budget", budget)) if v is not None}
    record = service.register(app, template_id, name=name, customer=customer, manager=manager,
                              team=service.parse_team(template, team), baseline=baseline or None, fields=_sets(sets))
    if as_json:
        echo_json(record)
        return
    click.echo(f"{record['number']}: {name} ({template['title']} {template['edition']}) registered; "
               f"approve its baseline with `qms record move {record['number']} active`")


@projects.command("gate")
@click.argument("number")
@click.option("--provided", multiple=True, metavar="DELIVERABLE[=REF]", help="A deliverable handed in (repeatable).")
@click.option("--decision", type=click.Choice(["通过", "有条件通过", "暂停", "终止"]), help="The proposed decision.")
@click.option("--opinion", default="", help="评审意见 Review opinion.")
@click.option("--condition", "conditions", multiple=True, metavar="TEXT|OWNER|YYYY-MM-DD", help="A condition of a conditional pass.")
@json_option
@pass_app
def gate_cmd(app: App, number: str, provided: tuple[str, ...], decision: str | None, opinion: str,
             conditions: tuple[str, ...], as_json: bool) -> None:
    """File the gate review (QR-8.3-02) of project NUMBER's current stage with its deliverable checklist.

    Then submit it (`qms record move PS-… review`), have every required post sign
    (`qms record move PS-… review` again, signed); the last signature decides the gate.

    \b
    Example:
      qms projects gate XM-2026-0002 --provided original_records=YS-031 --provided site_confirmation=QR-12 \\
        --decision 通过 --as wu
    """
    given = {}
    for item in provided:
        key, _, ref = item.partition("=")
        given[key] = ref
    parsed = []
    for c in conditions:
        parts = c.split("|")
        if len(parts) != 3:
            raise UsageError(f"--condition {c!r}: write TEXT|OWNER|YYYY-MM-DD")
        parsed.append({"text": parts[0], "owner": parts[1], "due": parts[2]})
    record = service.open_gate(app, number, provided=given, decision=decision, opinion=opinion, conditions=parsed)
    if as_json:
        echo_json(record)
        return
    click.echo(f"{record['number']}: gate review of {number} stage {record['data']['stage_title']} filed")


@projects.command("accept")
@click.argument("number")
@click.option("--step", required=True,
              help="工序 The work step: one of the stage's acceptance steps (see `qms projects templates`).")
@click.option("--grade", required=True, type=click.Choice(["不合格", "合格", "良好", "优等"]))
@click.option("--inspector", required=True, help="验收人.")
@click.option("--findings", default="", help="发现的问题.")
@click.option("--treatment", default="", help="现场处理意见 (required for 不合格).")
@click.option("--responsible", default="", help="整改责任人 (for 不合格).")
@click.option("--rectify-by", metavar="YYYY-MM-DDTHH:MM:SS", help="整改期限 (for 不合格).")
@password_option
@json_option
@pass_app
def accept_cmd(app: App, number: str, step: str, grade: str, inspector: str, findings: str, treatment: str,
               responsible: str, rectify_by: str | None, password_stdin: bool, as_json: bool) -> None:
    """Record and sign the acceptance (QR-8.3-03) of a work step in the current stage; 不合格 opens a 整改通知单.

    \b
    Example:
      qms projects accept XM-2026-0003 --step 卫生间闭水试验（48小时） --grade 不合格 --inspector 马监理 \\
        --findings 渗漏 --treatment 返工 --responsible 郭工长 --rectify-by 2026-12-10T18:00:00 --as ma
    """
    # A step of another stage is refused before the signer is asked for a password.
    service.check_step(app, number, step)
    password = read_password(password_stdin, "Password to sign 签名 (验收签署)")
    result = service.accept(app, number, step=step, grade=grade, inspector=inspector, password=password,
                            findings=findings, treatment=treatment, responsible=responsible, rectify_by=rectify_by)
    if as_json:
        echo_json(result)
        return
    click.echo(f"{result['acceptance']['number']}: {step} {grade} (signed)")
    if result["rectification"]:
        click.echo(f"{result['rectification']['number']}: rectification order issued, due {rectify_by}")


@projects.command("pay")
@click.argument("number")
@click.argument("payment")
@click.option("--amount", required=True, type=float, help="Amount received (CNY).")
@click.option("--on", "received_on", metavar="YYYY-MM-DD", help="Received on (default today).")
@api.json_option
@pass_app
def pay_cmd(app: App, number: str, payment: str, amount: float, received_on: str | None, as_json: bool) -> None:
    """Record a payment tied to a gate (中期款 midterm, 尾款 final …) as received.

    \b
    Example:
      qms projects pay XM-2026-0003 midterm --amount 48000 --on 2026-11-28 --as guo
    """
    recorded = service.record_payment(app, number, payment, amount, received_on or api.now().date().isoformat())
    if as_json:
        api.echo_json(recorded)
        return
    click.echo(f"{number}: payment {payment} {amount:,.2f} recorded")


@projects.command("condition")
@click.argument("number")
@click.argument("index", type=int)
@click.option("--how", required=True, help="How the condition was met.")
@api.json_option
@pass_app
def condition_cmd(app: App, number: str, index: int, how: str, as_json: bool) -> None:
    """Close gate condition INDEX (1-based, as `qms projects status` lists them) of project NUMBER.

    \b
    Example:
      qms projects condition XM-2026-0003 1 --how "检测报告已补交 report handed in" --as guo
    """
    closed = service.close_condition(app, number, index, how)
    if as_json:
        api.echo_json(closed)
        return
    click.echo(f"{number}: condition {index} closed")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@projects.command("status")
@json_option
@pass_app
def status_cmd(app: App, as_json: bool) -> None:
    """Each project's stage, lead, next gate and due date, overdue nodes; gate pass rate; grade distribution.

    Node limits are counted in working days on the Chinese calendar (holidays and adjusted working
    weekends) plus the [calendar] lists of qms.toml.

    \b
    Example:
      qms projects status --json
    """
    data = figures.status(record_query(app), api.now(), app.calendar)
    if as_json:
        echo_json(data)
        return
    for p in data["projects"]:
        due = (p["next_gate_due"] or "—")[:16].replace("T", " ")
        click.echo(f"{p['number']}  {p['name']}  [{p['status']}]")
        click.echo(f"    阶段 stage {p['stage_index']}/{p['stages']} {p['stage_title']} · 牵头 lead {p['lead'] or '—'} · "
                   f"下一关口 next gate due {due}" + (f" ({p['limit']})" if p["limit"] else ""))
        r = p["rollup"]
        if r["total"]:
            click.echo(f"    验收 acceptance: {r['total']} steps, 合格率 {_pct(r['pass_rate'])}, 优良率 {_pct(r['excellent_rate'])}"
                       + (f", final grade {p['final_grade']}" if p["final_grade"] else ""))
        for item in p["overdue"]:
            click.echo(f"    逾期 OVERDUE since {item['due'][:16].replace('T', ' ')}: {item['title']} ({item['ref']})")
    g = data["gates"]
    click.echo(f"关口 gates: {g['decided']} decided {json.dumps(g['by_decision'], ensure_ascii=False)}; "
               f"通过率 pass rate {_pct(g['pass_rate'])}; 一次通过率 first-time {_pct(g['first_pass_rate'])}")
    s = data["grades"]["steps"]
    click.echo(f"验收等级 grades: {json.dumps(s['counts'], ensure_ascii=False)}; final {json.dumps(data['grades']['final'], ensure_ascii=False)}")
    for note in data["notes"]:
        click.echo(f"note: {note}")


@projects.command("pdf")
@click.argument("number")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="The PDF file (default ./NUMBER-dossier.pdf).")
@json_option
@pass_app
def pdf_cmd(app: App, number: str, output: Path | None, as_json: bool) -> None:
    """Render project NUMBER's dossier as PDF: register entry, every gate with signatures, acceptance, changes, close-out.

    \b
    Example:
      qms projects pdf XM-2026-0001 -o XM-2026-0001.pdf
    """
    from qms.api import target_file, write_pdf

    api.get_record(app, number)
    target = target_file(output, f"{number}-dossier")
    data, pages, title = dossier.pdf(app, number)
    written = write_pdf(app, None, target, action="projects.dossier", data=data, pages=pages, title=title)
    if as_json:
        echo_json(written.as_dict())
    else:
        click.echo(written.line())
