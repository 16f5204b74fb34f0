"""``qms property``: the property-services commands that work across records, and the status report.

Filing a request, changing fields and moving single records use the core's ``qms record``
commands; the commands here are the steps that create or close a second record (dispatching a
repair, handing a complaint over, return visits, pass renewal and refund) and the status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from qms import api
from qms.api import QMSGroup, UsageError, echo_json, json_option, pass_app
from qms_property import config, intake, passes, repairs
from qms_property.forms import PASS, REPAIR, SATISFACTION_LEVELS

if TYPE_CHECKING:
    # Annotations only: importing the App opens the store's modules at start-up. For the same reason
    # parse_sets and read_data are reached through ``api.`` when a command runs.
    from qms.api import App


def _data(app: App, form_number: str, source: str | None, sets: tuple[str, ...]) -> dict[str, Any]:
    form = api.current_form(app, form_number)
    data = api.read_data(source, form) if source else {}
    data.update(api.parse_sets(form, sets))
    return data


def _say(as_json: bool, data: Any, line: str) -> None:
    if as_json:
        echo_json(data)
    else:
        click.echo(line)


_DATA = click.option("--data", "source", metavar="FILE|-", help="JSON or YAML file with field values (- for stdin).")
_SET = click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="A field value (repeatable).")


@click.group("property", cls=QMSGroup)
def property_group() -> None:
    """物业服务 Property services (QP-8.5-01): requests, repairs, return visits, vehicle passes.

    Register a request with `qms record new QR-8.5-01`; these commands take it on from there.

    \b
    Example:
      qms property status
      qms property request dispatch FW-2026-0001 --class A --technician 张师傅 --as qian
    """


# -- requests -----------------------------------------------------------------------------------


@property_group.group("request", cls=QMSGroup)
def request_group() -> None:
    """服务请求 Service requests (QR-8.5-01): dispatch a repair or hand a complaint over.

    \b
    Example:
      qms property request handoff FW-2026-0002 --as qian
    """


@request_group.command("dispatch")
@click.argument("number")
@click.option("--class", "service_class", type=click.Choice(["A", "B", "C", "D"]), required=True,
              help="A 有偿 chargeable, B 维保合同 contract, C 保修期内免费 warranty, D 内部/设施 internal.")
@click.option("--technician", help="Dispatch to this technician at once (records the first response now).")
@click.option("--dispatcher", help="Who dispatched (维修班长).")
@_SET
@json_option
@pass_app
def request_dispatch(app: App, number: str, service_class: str, technician: str | None, dispatcher: str | None,
                     sets: tuple[str, ...], as_json: bool) -> None:
    """Open the repair order (QR-8.5-02) of a repair request; limits come from [property] in qms.toml.

    \b
    Example:
      qms property request dispatch FW-2026-0001 --class C --set warranty_until=2027-06-30 --technician 张师傅 --as qian
    """
    extra = api.parse_sets(api.current_form(app, REPAIR), sets)
    order = intake.dispatch(app, number, service_class, technician=technician, dispatcher=dispatcher,
                            extra=extra)
    data = order["data"]
    _say(as_json, order, f"{order['number']}: repair order for {number} ({order['state']}); respond by "
                         f"{data.get('response_due', '—')}, arrive by {data.get('arrival_due', '—')}")


@request_group.command("handoff")
@click.argument("number")
@_SET
@json_option
@pass_app
def request_handoff(app: App, number: str, sets: tuple[str, ...], as_json: bool) -> None:
    """Hand an owner complaint to the complaints procedure: files its QR-8.2-01 report, linked both ways.

    Extra fields the complaint report needs can be given with --set.

    \b
    Example:
      qms property request handoff FW-2026-0002 --as qian
    """
    from qms_property.forms import COMPLAINT

    extra = api.parse_sets(api.current_form(app, COMPLAINT), sets)
    complaint = intake.handoff(app, number, extra=extra)
    _say(as_json, complaint, f"{number} → {complaint['number']} ({complaint['form']}, {complaint['state']}); "
                             f"{number} closes when the complaint closes")


# -- repairs ------------------------------------------------------------------------------------


@property_group.group("repair", cls=QMSGroup)
def repair_group() -> None:
    """维修派工单 Repair orders (QR-8.5-02) and return visits (QR-8.5-03).

    \b
    Example:
      qms property repair visit PG-2026-0001 --method 电话 --satisfaction 满意 --resolved --as qian
    """


@repair_group.command("new")
@_DATA
@_SET
@json_option
@pass_app
def repair_new(app: App, source: str | None, sets: tuple[str, ...], as_json: bool) -> None:
    """File a repair order without a service request (e.g. class D facilities work), with the configured limits.

    \b
    Example:
      qms property repair new --set reported_at=2026-11-02T08:00:00 --set customer_name=工程部 \\
        --set building=A栋 --set site="地库排水泵异响" --set urgency=一般 --set service_class=D --as qian
    """
    data = _data(app, REPAIR, source, sets)
    if not data:
        raise UsageError("give the order's fields with --data FILE or --set FIELD=VALUE")
    data.setdefault("reported_at", api.stamp())
    order = repairs.open_order(app, data)
    _say(as_json, order, f"{order['number']}: registered; respond by {order['data'].get('response_due')}, "
                         f"arrive by {order['data'].get('arrival_due')}")


@repair_group.command("complete")
@click.argument("number")
@_DATA
@_SET
@json_option
@pass_app
def repair_complete(app: App, number: str, source: str | None, sets: tuple[str, ...], as_json: bool) -> None:
    """Record the work, materials, charge and the service voucher, and complete the order.

    The voucher is the customer's signature (voucher_signed_by, voucher_signed_at) or a recorded
    refusal (voucher_refused=true, voucher_refusal_reason). The return visit falls due after
    [property] visit_within.

    \b
    Example:
      qms property repair complete PG-2026-0001 --set work_done="更换角阀" --set charge=35 \\
        --set voucher_signed_by=王女士 --set voucher_signed_at=2026-11-02T10:30:00 --as qian
    """
    order = repairs.complete(app, number, _data(app, REPAIR, source, sets))
    _say(as_json, order, f"{number}: completed; return visit due by {order['data'].get('visit_due')}")


@repair_group.command("visit")
@click.argument("number")
@click.option("--method", type=click.Choice(["电话", "上门", "微信", "短信"]), required=True, help="How the visit was made.")
@click.option("--satisfaction", type=click.Choice(list(SATISFACTION_LEVELS)), required=True)
@click.option("--resolved/--unresolved", required=True, help="Whether the customer confirms the problem solved.")
@click.option("--feedback", default="", help="What the customer said.")
@click.option("--at", "visited_at", metavar="DATETIME", help="When (default now).")
@json_option
@pass_app
def repair_visit(app: App, number: str, method: str, satisfaction: str, resolved: bool, feedback: str,
                 visited_at: str | None, as_json: bool) -> None:
    """Record the return visit of a completed repair order (QR-8.5-03).

    Resolved: the visit and the order (and its request) close. Unresolved: the visit is escalated
    to the service-centre director ([property] director) and the order waits for the repeat visit.

    \b
    Example:
      qms property repair visit PG-2026-0001 --method 电话 --satisfaction 满意 --resolved --as qian
    """
    user = app.actor("record.file", "record return visits")
    result = repairs.visit(app, number, method=method, satisfaction=satisfaction, resolved=resolved, feedback=feedback,
                           visitor=str(user.get("full_name") or user["name"]), visited_at=visited_at)
    wh, order = result["visit"], result["order"]
    _say(as_json, result, f"{wh['number']}: {wh['state']}; {number} is {order['state']}"
                          + ("" if resolved else f" — escalated to {wh['data'].get('escalated_to')}"))
    if not as_json:
        for effect in result["effects"]:
            if not effect.get("applied"):
                click.echo(f"  {effect.get('effect')} {effect.get('record', '')} NOT applied: {effect.get('error')}")


@repair_group.command("revisit")
@click.argument("number")
@click.option("--action", "director_action", required=True, help="What the service-centre director coordinated.")
@click.option("--office-report", required=True, help="The result reported to the management office (管理处).")
@click.option("--satisfaction", type=click.Choice(list(SATISFACTION_LEVELS)), required=True)
@click.option("--at", "revisit_at", metavar="DATETIME", help="When the repeat visit was made (default now).")
@json_option
@pass_app
def repair_revisit(app: App, number: str, director_action: str, office_report: str, satisfaction: str,
                   revisit_at: str | None, as_json: bool) -> None:
    """Close an escalated return visit after the director's coordination and a repeat visit.

    \b
    Example:
      qms property repair revisit WH-2026-0002 --action "更换供应商配件" --office-report "已解决" --satisfaction 满意 --as qian
    """
    result = repairs.revisit(app, number, director_action=director_action, office_report=office_report,
                             satisfaction=satisfaction, revisit_at=revisit_at)
    _say(as_json, result, f"{number}: closed; {result['order']['number']} is {result['order']['state']}")


# -- passes -------------------------------------------------------------------------------------


@property_group.group("pass", cls=QMSGroup)
def pass_group() -> None:
    """园区车辆通行证 Park vehicle passes (QR-8.5-04): issue, renew, return, refund, report lost.

    \b
    Example:
      qms property pass issue --set applicant=某某物流 --set vehicle_category=外部车辆 --set handling_dept=采购部 \\
        --set letter_reason=送货 --set period_until=2026-12-31 --set documents=驾驶证 --set plate=沪A12345 --receipt SJ-001 --as qian
    """


@pass_group.command("issue")
@_DATA
@_SET
@click.option("--receipt", help="The deposit receipt number (external vehicles).")
@json_option
@pass_app
def pass_issue(app: App, source: str | None, sets: tuple[str, ...], receipt: str | None, as_json: bool) -> None:
    """Issue a pass: yellow with the deposit and an expiry date for external vehicles, light green and free otherwise.

    One copy of an ID card, driving licence or vehicle licence is required (documents=驾驶证).

    \b
    Example:
      qms property pass issue --set applicant=张三 --set vehicle_category=集团员工 --set letter_reason=通勤 \\
        --set documents=身份证 --set plate=沪B54321 --as qian
    """
    record = passes.issue(app, _data(app, PASS, source, sets), receipt=receipt)
    data = record["data"]
    _say(as_json, record, f"{record['number']}: {data['colour']} pass for {data['plate']}, "
                          f"{'valid until ' + data['valid_until'] if data.get('valid_until') else 'no expiry'}, "
                          f"deposit {float(data.get('deposit') or 0):g} 元")


@pass_group.command("renew")
@click.argument("number")
@click.option("--until", required=True, metavar="DATE", help="The end of the new period of use (contact letter).")
@click.option("--reason", help="The reason in the new contact letter (default: as before).")
@json_option
@pass_app
def pass_renew(app: App, number: str, until: str, reason: str | None, as_json: bool) -> None:
    """Exchange an external pass for a new one; no new deposit, the old one moves to the new pass.

    \b
    Example:
      qms property pass renew TX-2026-0003 --until 2027-06-30 --as qian
    """
    record = passes.renew(app, number, until=until, reason=reason)
    _say(as_json, record, f"{record['number']}: renews {number}, valid until {record['data']['valid_until']}, "
                          f"deposit {float(record['data'].get('deposit_carried') or 0):g} 元 carried over")


@pass_group.command("return")
@click.argument("number")
@json_option
@pass_app
def pass_return(app: App, number: str, as_json: bool) -> None:
    """Record a pass handed back (a pass without deposit is closed at once).

    \b
    Example:
      qms property pass return TX-2026-0003 --as qian
    """
    record = passes.hand_back(app, number)
    _say(as_json, record, f"{number}: {record['state']}")


@pass_group.command("refund")
@click.argument("number")
@click.option("--voucher", required=True, help="财务部's refund voucher number.")
@json_option
@pass_app
def pass_refund(app: App, number: str, voucher: str, as_json: bool) -> None:
    """Refund the deposit of a returned pass through 财务部; once, and only against the returned pass.

    \b
    Example:
      qms property pass refund TX-2026-0002 --voucher CW-2026-118 --as qian
    """
    record = passes.refund(app, number, voucher=voucher)
    _say(as_json, record, f"{number}: deposit {record['data']['refund_amount']:g} 元 refunded (voucher {voucher})")


@pass_group.command("lost")
@click.argument("number")
@click.option("--note", required=True, help="The loss report (挂失说明).")
@json_option
@pass_app
def pass_lost(app: App, number: str, note: str, as_json: bool) -> None:
    """Record a pass lost: the pass is void and its deposit is not refunded.

    \b
    Example:
      qms property pass lost TX-2026-0003 --note "司机报告遗失" --as qian
    """
    record = passes.report_lost(app, number, note=note)
    _say(as_json, record, f"{number}: reported lost; the pass is void")


# -- status -------------------------------------------------------------------------------------


@property_group.command("status")
@json_option
@pass_app
def property_status(app: App, as_json: bool) -> None:
    """Open requests by type and building, overdue repairs, times, satisfaction, passes and deposits.

    \b
    Example:
      qms property status --json
    """
    from qms.api import record_query

    from qms_property.report import status

    cfg = config.of(app)
    st = status(record_query(app), api.now(), target=cfg.line_answer_target, calendar=app.calendar)
    if as_json:
        echo_json(st)
        return
    for line in status_lines(st):
        click.echo(line)


def _fmt(value: Any, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def status_lines(st: dict[str, Any]) -> list[str]:
    """The status as lines of text."""
    req, rep, vis, pas = st["requests"], st["repairs"], st["visits"], st["passes"]
    lines = [f"物业服务状态 Property services status at {st['now']}",
             f"未关闭请求 Open requests: {req['open']}  "
             + "  ".join(f"{k} {v}" for k, v in req["open_by_type"].items())]
    for row in req["open_by_building"]:
        lines.append(f"  {row['building']}: " + "  ".join(f"{k} {row[k]}" for k in ("咨询", "投诉", "报修", "其他"))
                     + f"  (total {row['total']})")
    line = req["line"]
    rate = "—" if line["answer_rate"] is None else f"{line['answer_rate'] * 100:.1f}%"
    lines.append(f"服务热线接通率 Service-line answer rate: {rate} ({line['answered']}/{line['calls']} registered calls; "
                 f"target {line['target'] * 100:.0f}%{'' if line['meets_target'] else ' — NOT MET 未达标'})")
    lines.append(f"维修 Repairs: {rep['total']} ({rep['open']} open), by class "
                 + ", ".join(f"{k} {v}" for k, v in rep["by_class"].items()))
    lines.append(f"逾期维修 Repairs overdue: {len(rep['overdue'])}"
                 + "".join(f"\n  {o['number']} {o['building']} {o['urgency']}: {', '.join(o['deadlines'])} due {o['due']}"
                           for o in rep["overdue"]))
    lines.append(f"平均到场 Mean time to arrive: {_fmt(rep['mean_minutes_to_arrive'], ' min')}; "
                 f"平均关闭 mean time to close: {_fmt(rep['mean_hours_to_close'], ' h')}")
    lines.append(f"超时 Late: {len(rep['late_responses'])} 首次响应 late responses: "
                 f"{', '.join(rep['late_responses']) or 'none'}; {len(rep['late_arrivals'])} 到场 late arrivals: "
                 f"{', '.join(rep['late_arrivals']) or 'none'}")
    sat = "—" if vis["satisfied_rate"] is None else f"{vis['satisfied_rate'] * 100:.0f}%"
    lines.append(f"回访满意度 Return-visit satisfaction: {sat} satisfied of {vis['visits']} visits ("
                 + ", ".join(f"{k} {v}" for k, v in vis["satisfaction"].items()) + f"); escalated {vis['escalated']}")
    lines.append(f"通行证 Passes issued: {pas['issued']} ("
                 + ", ".join(f"{k} {v}" for k, v in pas["issued_by_colour"].items()) + f"); out now {pas['out']}; "
                 f"expired {', '.join(pas['expired']) or 'none'}; lost {', '.join(pas['lost']) or 'none'}")
    lines.append(f"未退押金 Deposits outstanding: {pas['deposits_outstanding']:g} 元 "
                 f"({', '.join(pas['deposits_outstanding_passes']) or 'none'}); refunded {pas['deposits_refunded']:g} 元; "
                 f"forfeited (lost) {pas['deposits_forfeited']:g} 元")
    return lines
