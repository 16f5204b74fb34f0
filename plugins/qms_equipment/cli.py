"""``qms equipment``: the register, status changes, calibration, due list, cards, labels and figures.

Maintenance, repairs, accidents and scrapping applications are records like any other: file and
move them with ``qms record new/update/move`` on forms QR-7.1-02 … QR-7.1-06 (each needs the
equipment's ``card`` and ``equipment_no``, shown by ``qms equipment list``).
"""

from __future__ import annotations

from collections import defaultdict
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

from qms_equipment import due, register, service, status

if TYPE_CHECKING:
    from qms.api import App  # annotations only: importing the App opens the store's modules at start-up

_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _data(app: App, form_number: str, data_source: str | None, sets: tuple[str, ...]) -> dict[str, Any]:
    from qms.api import parse_sets, read_data

    form = api.current_form(app, form_number)
    data = read_data(data_source, form) if data_source else {}
    data.update(parse_sets(form, sets))
    return data


def _write_pdf(app: App, page: Any, target: Path, as_json: bool) -> None:
    """Render ``page`` to ``target``; a file inside the workspace is logged so `qms verify` checks it."""
    from qms.api import target_file, write_pdf  # here, not at the top: the renderer costs every start of qms

    written = write_pdf(app, page, target_file(target, "equipment"), action="equipment.pdf")
    if as_json:
        echo_json(written.as_dict())
    else:
        click.echo(written.line())


@click.group()
def equipment() -> None:
    """Equipment control (设备管理 QP-7.1-01): register, status, calibration, due list, cards and labels.

    \b
    Example:
      qms equipment due
    """


@equipment.command("register")
@click.option("--unit", "unit_code", metavar="CODE", help="3-digit unit code; the next number of that unit is given.")
@click.option("--attachment-of", metavar="NUMBER", help="Main unit (equipment number or card); the attachment shares its number.")
@click.option("--data", "data_source", metavar="FILE|-", help="JSON or YAML file with the card's fields.")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="A field of the card (repeatable).")
@click.option("--status", "state", default="在用", show_default=True, help="Status at registration: 在用, 备用, 闲置 or 封存.")
@json_option
@pass_app
def register_cmd(app: App, unit_code: str | None, attachment_of: str | None, data_source: str | None,
                 sets: tuple[str, ...], state: str, as_json: bool) -> None:
    """Register accepted equipment: file its card (设备卡片) with the next 6-digit number of its unit.

    The card's fields come from a file (name, category, dept, administrator, route, the joint
    acceptance, and for measuring equipment its calibration mode and cycle) or --set.

    \b
    Examples:
      qms equipment register --unit 102 --data meter.yaml --as sun
      qms equipment register --unit 102 --data meter.yaml --set name=游标卡尺 --set cal_mode=外校 \\
        --set cal_provider=市计量测试研究院 --as sun
    """
    data = _data(app, register.FORM_CARD, data_source, sets)
    if unit_code:
        data["unit_code"] = unit_code
    if attachment_of:
        data["attachment_of"] = attachment_of
    if not (data.get("unit_code") or data.get("equipment_no") or data.get("attachment_of")):
        raise UsageError("give the unit: --unit 102 (or --attachment-of NUMBER for an attachment)")
    filed = service.register_equipment(app, data, state=state)
    if as_json:
        echo_json(filed)
    else:
        click.echo(f"{filed['data']['equipment_no']} {filed['data']['name']}: card {filed['number']}, "
                   f"{status.STATES[filed['state']]}")


@equipment.command("approve-purchase")
@click.argument("number")
@click.option("--note", default="", help="A remark kept with the approval in the card's history.")
@password_option
@json_option
@pass_app
def approve_purchase_cmd(app: App, number: str, note: str, password_stdin: bool, as_json: bool) -> None:
    """Sign the approval of a purchase of ¥2,000 or more (采购批准); the equipment goes into use (在用).

    Only a user of 物资管理部 signs it, with their password, and not the one who registered the card.
    Until then the card stays 待批准 and the equipment may not be used.

    \b
    Example:
      qms equipment approve-purchase 101007 --as xu
    """
    found = service.awaiting_approval(app, number)  # refused before the password is asked
    password = read_password(password_stdin, "Password (to sign the purchase approval)")
    approved = service.approve_purchase(app, found["number"], password, note)
    if as_json:
        echo_json(approved)
        return
    sig = approved["signatures"][-1]
    click.echo(f"{approved['data']['equipment_no']} {approved['data']['name']}: 采购批准 purchase approved, signed by "
               f"{sig.get('full_name') or sig['name']} ({sig['name']}, {api.signer_title(sig)}) at {api.show_time(sig['at'])}; "
               f"{status.STATES[approved['state']]}")


@equipment.command("list")
@click.option("--dept", help="Only this using department.")
@click.option("--status", "state", help="Only this status in effect (e.g. 停用).")
@json_option
@pass_app
def list_cmd(app: App, dept: str | None, state: str | None, as_json: bool) -> None:
    """The equipment register (设备台账) with the status in effect and calibration dates.

    A status in effect that differs from the stored one (e.g. 停用 because a calibration is due) is
    marked with *; `qms equipment enforce` stores it.

    \b
    Example:
      qms equipment list --status 停用
    """
    rows = register.rows(record_query(app), service.today())
    if dept:
        rows = [r for r in rows if r["dept"] == dept]
    if state:
        wanted = status.state_id(state)
        if wanted is None:
            raise UsageError(f"unknown status {state!r}; use one of {', '.join(status.ZH)}")
        rows = [r for r in rows if r["state"] == wanted]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        mark = "*" if r["differs"] else " "
        name = ("  └ " if r["attachment_of"] else "") + str(r["name"])
        cal = f"  校准 {r['last_calibration'] or '—'} → {r['next_due'] or '—'} [{r['label']}]" if r["measuring"] else ""
        click.echo(f"{r['equipment_no']}  {r['card']:<13} {r['status']}{mark} {name}  {r['dept']}{cal}")
    click.echo(f"{len(rows)} piece(s) of equipment" + ("; * status in effect differs from the stored one "
                                                       "(`qms equipment enforce` stores it)" if any(r["differs"] for r in rows) else ""))


@equipment.command("status")
@click.argument("number")
@click.argument("new_status", metavar="STATUS")
@click.option("--reason", required=True, help="Why the status changes (kept in the card's history).")
@api.json_option
@pass_app
def status_cmd(app: App, number: str, new_status: str, reason: str, as_json: bool) -> None:
    """Change an equipment's status (在用 备用 闲置 维修 封存 停用) with a reason.

    \b
    Example:
      qms equipment status 102003 封存 --reason "项目结束，封存待用" --as sun
    """
    moved = service.set_status(app, number, new_status, reason)
    if as_json:
        api.echo_json(moved)
        return
    click.echo(f"{moved['data']['equipment_no']} {moved['data']['name']}: {status.STATES[moved['state']]}")


@equipment.command("calibrate")
@click.argument("number")
@click.option("--date", "calibration_date", required=True, metavar="YYYY-MM-DD", help="The actual calibration date.")
@click.option("--result", type=click.Choice(["合格", "准用", "不合格"]), required=True, help="The calibration result.")
@click.option("--data", "data_source", metavar="FILE|-", help="JSON or YAML file with further fields.")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="Further fields: as_found, as_left, calibrated_by, certificate_no, provider, … (repeatable).")
@password_option
@json_option
@pass_app
def calibrate_cmd(app: App, number: str, calibration_date: str, result: str, data_source: str | None,
                  sets: tuple[str, ...], password_stdin: bool, as_json: bool) -> None:
    """Record a calibration and confirm it with your signature; the next due date is computed from it.

    A failed calibration stops the instrument at once and stores its impact list.

    External calibration (外校) needs the accredited body's accreditation number and the
    certificate number (the provider defaults to the card's); internal calibration (内校) the
    calibration procedure followed.

    \b
    Examples:
      qms equipment calibrate 102003 --date 2026-11-25 --result 合格 --set as_found=在允差内 \\
        --set as_left=在允差内 --set calibrated_by=li --set provider_accreditation=CNAS-L0000 \\
        --set certificate_no=JL2026-1234 --as li
      qms equipment calibrate 102005 --date 2026-11-25 --result 合格 --set as_found=在允差内 \\
        --set as_left=在允差内 --set calibrated_by=sun --set procedure_ref="JJG 4 钢卷尺内校规程" --as sun
    """
    data = _data(app, register.FORM_CALIBRATION, data_source, sets)
    data.update({"calibration_date": calibration_date, "result": result})
    password = read_password(password_stdin, "Password (to sign the calibration)")
    filed = service.calibrate(app, number, data, password)
    if as_json:
        echo_json(filed)
        return
    from qms_equipment.calibration import due_of

    due = due_of(filed) if result != "不合格" else None
    click.echo(f"{filed['number']}: {filed['data']['equipment_no']} {result}"
               + (f", next due {due}" if due else ", 停用 — impact list: "
                  + (", ".join(filed["data"].get("impact_records") or []) or "none")))


@equipment.command("impact")
@click.argument("number")
@json_option
@pass_app
def impact_cmd(app: App, number: str, as_json: bool) -> None:
    """The out-of-tolerance impact list: records of any form that used the instrument since its last good calibration.

    \b
    Example:
      qms equipment impact 102002
    """
    found = service.impact(app, number)
    if as_json:
        echo_json(found)
        return
    click.echo(f"{found['equipment_no']} {found['name']}: failed {found['failed']} on {found['failed_on']}; "
               f"last good calibration {found['last_good'] or 'none'} ({found['since'] or 'whole life'})")
    for h in found["records"]:
        click.echo(f"  {h['used_on']}  {h['number']:<14} {h['form']} {h['title']}  [{h['field']}]  {h['dept']}")
    click.echo(f"{len(found['records'])} record(s) to assess")


@equipment.command("due")
@click.option("--dept", help="Only this using department.")
@json_option
@pass_app
def due_cmd(app: App, dept: str | None, as_json: bool) -> None:
    """Calibrations and maintenance due or overdue, by using department.

    A calibration reminder (联络单) appears the card's reminder_days (default 30) before the due date;
    from the due date the instrument is 停用.

    \b
    Example:
      qms equipment due --json
    """
    now = api.now()
    items = due.items(record_query(app), now)
    if dept:
        items = [i for i in items if i["dept"] == dept]
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        grouped[str(item["dept"])].append(item)
    if as_json:
        echo_json({"now": now.isoformat(), "by_dept": {d: grouped[d] for d in sorted(grouped)},
                   "overdue": sum(1 for i in items if i["overdue"]), "total": len(items)})
        return
    for name in sorted(grouped):
        click.echo(f"{name}:")
        for i in grouped[name]:
            flag = "逾期 OVERDUE" if i["overdue"] else "到期 due    "
            extra = f"  [{i['status']}]" if i["kind"] == "calibration" else ""
            click.echo(f"  {flag} {i['due'][:10]}  {i['kind']:<11} {i['ref']:<13} {i['title']}{extra}")
    click.echo(f"{len(items)} item(s), {sum(1 for i in items if i['overdue'])} overdue")


@equipment.command("enforce")
@json_option
@pass_app
def enforce_cmd(app: App, as_json: bool) -> None:
    """Store the 停用 of every instrument whose calibration is due, failed or missing (logged transitions).

    \b
    Example:
      qms equipment enforce --as sun
    """
    moved = service.enforce(app)
    if as_json:
        echo_json(moved)
        return
    for m in moved:
        click.echo(f"{m['equipment_no']} {m['name']}: {status.zh(m['from'])} → 停用 ({m['reason']})")
    click.echo(f"{len(moved)} piece(s) of equipment stopped")


@equipment.command("card")
@click.argument("number")
@click.option("-o", "--output", type=_OUT, help="Write the card with its history as PDF to this file.")
@json_option
@pass_app
def card_cmd(app: App, number: str, output: Path | None, as_json: bool) -> None:
    """The equipment card with its status, maintenance, repair and calibration history.

    \b
    Example:
      qms equipment card 102001 -o 102001.pdf
    """
    history = service.history(app, number)
    if output is not None:
        from qms_equipment.pages import card_page

        _write_pdf(app, card_page(app, history), output, as_json)
        return
    if as_json:
        echo_json(history)
        return
    row, data = history["row"], history["card"]["data"]
    click.echo(f"{row['equipment_no']} {data['name']} {data.get('model', '')}  card {row['card']}")
    click.echo(f"  status 状态: {status.STATES[row['state']]}" + (f" ({row['status_reason']})" if row["status_reason"] else ""))
    click.echo(f"  dept 使用部门: {data['dept']}  administrator 设备管理员: {data['administrator']}  route 来源: {data['route']}")
    if history["calibration"]:
        cal = history["calibration"]
        click.echo(f"  calibration 校准: last {cal['last_date'] or '—'} {cal['last_result'] or ''}, next due {cal['next_due'] or '—'}")
    for a in history["attachments"]:
        click.echo(f"  attachment 附属: {a['number']} {a['data']['name']}")
    for form, found in history["records"].items():
        for r in found:
            click.echo(f"  {r['number']:<14} {form} {r['state']}")


@equipment.command("labels")
@click.option("-o", "--output", type=_OUT, help="The PDF file (default ./equipment-labels.pdf).")
@click.option("--dept", help="Only this using department.")
@json_option
@pass_app
def labels_cmd(app: App, output: Path | None, dept: str | None, as_json: bool) -> None:
    """Print status labels (合格 / 准用 / 停用, number, last and next calibration date) on an A4 sheet.

    \b
    Example:
      qms equipment labels -o labels.pdf
    """
    from qms_equipment.pages import labels_page

    rows = [r for r in register.rows(record_query(app), service.today())
            if r["measuring"] and r["stored_state"] != "scrapped" and (not dept or r["dept"] == dept)]
    if not rows:
        raise UsageError("no measuring equipment to label" + (f" in {dept}" if dept else "") + "; register some first")
    _write_pdf(app, labels_page(app, rows), output or Path.cwd() / "equipment-labels.pdf", as_json)


@equipment.command("figures")
@json_option
@pass_app
def figures_cmd(app: App, as_json: bool) -> None:
    """完好率, on-time calibration rate, overdue count and breakdown downtime (the dashboard's figures).

    \b
    Example:
      qms equipment figures --json
    """
    from qms_equipment.figures import figures

    found = figures(record_query(app), api.now())
    if as_json:
        echo_json(found)
        return
    for f in found:
        d = f["data"]
        if f["kind"] == "number":
            click.echo(f"{f['title']}: {d['value'] if d['value'] is not None else '—'}{d.get('unit', '')}")
        else:
            click.echo(f"{f['title']}: " + ", ".join(f"{k} {v}" for k, v in zip(d["labels"], d["values"], strict=True)))


__all__ = ["equipment"]
