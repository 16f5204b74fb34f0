"""QP-7.1-01 equipment control: numbering, purchase approval, due dates, automatic 停用, impact list,
refused references, scrapping order, deferral, figures and the ``qms equipment`` commands.

Everything runs through the real engines (records, validation, due) on a real workspace in
``tmp_path``, with the equipment plugin as the only procedure plugin.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from qms_equipment import calibration as cal
from qms_equipment import due as equipment_due
from qms_equipment import register, service
from qms_equipment.figures import figures

from qms import due, records
from qms.app import App
from qms.cli import make_cli
from qms.errors import Refused, UsageError, ValidationFailed
from qms.recordquery import record_query
from tests.plugins.equipment_kit import (
    PASSWORD,
    USAGE_FORM,
    as_user,
    at,
    calibrated,
    calibration,
    instrument,
    machine,
    make_app,
    registered,
)


@pytest.fixture
def app(tmp_path: Path) -> App:
    return make_app(tmp_path)


def _problems(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return "\n".join(exc.value.problems)


def _card(app: App, number: str) -> dict[str, Any]:
    return service.card(app, number)


def _use(app: App, number: str, day: str, item: str = "钢板") -> dict[str, Any]:
    """File another procedure's record naming the instrument as used on ``day``."""
    with at(f"{day}T10:00:00"):
        return records.file(as_user(app, "li"), USAGE_FORM, {"item": item, "inspected_on": day, "instrument": number})


def cli(app: App, *args: str, input: str | None = None, now: str = "2026-11-02T09:00:00") -> Any:
    with at(now):
        return CliRunner().invoke(make_cli(app.host), ["--workspace", str(app.workspace.root), "--as", "sun", *args],
                                  input=input, catch_exceptions=False)


# -- numbering ------------------------------------------------------------------------------------


def test_numbers_are_unit_code_plus_sequence_and_attachments_share_the_main_number(app: App) -> None:
    a = registered(app, instrument())
    b = registered(app, instrument(name="数字万用表", model="UT61E"))
    m = registered(app, machine())
    frame = registered(app, machine(name="搅拌机上料斗", attachment_of=m["data"]["equipment_no"]))
    assert [a["data"]["equipment_no"], b["data"]["equipment_no"], m["data"]["equipment_no"]] == ["102001", "102002", "101001"]
    assert frame["data"]["equipment_no"] == "101001" and frame["data"]["attachment_of"] == m["number"]
    # The next number counts every card ever given in the unit, the attachment does not take one.
    assert register.next_number(record_query(app), "101") == "101002"
    # The register resolves the shared number to the main unit and lists the attachment after it.
    assert service.card(app, "101001")["number"] == m["number"]
    rows = register.rows(record_query(app), date(2026, 3, 1))
    assert [(r["equipment_no"], bool(r["attachment_of"])) for r in rows][:2] == [("101001", False), ("101001", True)]


def test_numbers_are_never_given_twice_and_must_match_the_unit(app: App) -> None:
    registered(app, instrument())
    sun = as_user(app, "sun")
    with at("2026-01-08"), pytest.raises(ValidationFailed) as exc:
        records.file(sun, register.FORM_CARD, instrument(equipment_no="102001"))
    assert "102001 is already the number of 数显卡尺" in _problems(exc)
    with at("2026-01-08"), pytest.raises(ValidationFailed) as exc:
        records.file(sun, register.FORM_CARD, instrument(equipment_no="101009"))
    assert "must start with the unit code 102" in _problems(exc)
    main = registered(app, machine())
    with at("2026-01-08"), pytest.raises(ValidationFailed) as exc:
        records.file(sun, register.FORM_CARD, machine(equipment_no="101002", attachment_of=main["number"]))
    assert "an attachment carries its main unit's number 101001" in _problems(exc)
    with pytest.raises(UsageError, match="3 digits"):
        register.next_number(record_query(app), "12")
    assert len(register.cards(record_query(app))) == 2  # nothing stored by the refusals


# -- purchase approval and acceptance ----------------------------------------------------------------


@pytest.mark.parametrize(("price", "state"), [
    (1999.99, "in_use"), (2000, "awaiting_approval"), (2000.01, "awaiting_approval"), (680000, "awaiting_approval"),
])
def test_purchases_of_2000_and_above_wait_for_the_approval_of_物资管理部(app: App, price: float, state: str) -> None:
    # 二千元以上 includes the bound: a purchase of exactly ¥2,000 needs the (signed) approval.
    data = machine(route="购置", price=price, acceptance_purchasing="郑采购", acceptance_technical="冯技术")
    assert registered(app, data)["state"] == state
    with at("2026-01-08"), pytest.raises(ValidationFailed) as exc:
        service.register_equipment(as_user(app, "sun"), machine(route="购置", acceptance_purchasing="郑采购",
                                                                acceptance_technical="冯技术"))
    assert "is required for purchased equipment (购置)" in _problems(exc)


def test_leased_equipment_needs_no_purchase_approval_but_purchases_need_the_joint_acceptance(app: App) -> None:
    assert registered(app, machine(route="租赁", price=90000))
    with at("2026-01-08"), pytest.raises(ValidationFailed) as exc:
        service.register_equipment(as_user(app, "sun"), machine(route="购置", price=1500))
    assert "accepted jointly by 设备科, the user, 采购部 purchasing" in _problems(exc)
    with at("2026-01-08"), pytest.raises(ValidationFailed) as exc:
        service.register_equipment(as_user(app, "sun"), machine(acceptance_result="不合格"))
    assert "only equipment accepted at the joint unpacking inspection is registered" in _problems(exc)


# -- due dates, reminders, automatic 停用 -------------------------------------------------------------


@pytest.mark.parametrize(("day", "months", "due_on"), [
    ("2026-01-09", 12, "2027-01-09"), ("2026-05-20", 6, "2026-11-20"), ("2026-01-31", 1, "2026-02-28"),
    ("2024-02-29", 12, "2025-02-28"),
])
def test_next_due_is_the_actual_calibration_date_plus_the_cycle(day: str, months: int, due_on: str) -> None:
    assert cal.next_due(date.fromisoformat(day), months).isoformat() == due_on


def test_next_due_follows_the_calibration_record_and_cannot_be_typed(app: App) -> None:
    number = registered(app, instrument(cal_cycle_months=6))["data"]["equipment_no"]
    rec = calibrated(app, number, "2026-05-20")
    assert rec["state"] == "closed" and cal.due_of(rec) == date(2026, 11, 20)
    with at("2026-05-21"), pytest.raises(ValidationFailed) as exc:
        service.calibrate(as_user(app, "li"), number, calibration("2026-05-21", next_due="2027-05-21"), PASSWORD)
    assert "next_due: is not a field of form QR-7.1-03" in _problems(exc)
    with at("2026-05-21"), pytest.raises(ValidationFailed) as exc:
        service.calibrate(as_user(app, "li"), number, calibration("2026-06-01"), PASSWORD)
    assert "actual calibration date and cannot be in the future" in _problems(exc)


def test_reminder_opens_the_configured_days_before_and_the_instrument_stops_on_the_due_date(app: App) -> None:
    number = registered(app, instrument(cal_cycle_months=6, reminder_days=10))["data"]["equipment_no"]
    calibrated(app, number, "2026-05-20")  # due 2026-11-20, reminder from 2026-11-10

    def items(moment: str) -> list[dict[str, Any]]:
        return [i for i in due.due_items(app, datetime.fromisoformat(moment)).items if i.get("kind") == "calibration"]

    assert items("2026-11-09T23:00:00") == []
    item = items("2026-11-10T08:00:00")[0]
    assert item["ref"] == number and item["due"] == "2026-11-20T00:00:00" and not item["overdue"]
    assert "联络单" in item["title"] and item["dept"] == "品质部"
    q = record_query(app)
    assert register.rows(q, date(2026, 11, 19))[0]["status"] == "在用"
    row = register.rows(q, date(2026, 11, 20))[0]
    assert row["status"] == "停用" and row["differs"] and "校准到期未校准" in row["status_reason"] and row["label"] == "停用"
    assert items("2026-11-20T00:00:00")[0]["overdue"]


def test_enforce_stores_the_computed_stop_as_a_logged_transition_and_a_pass_lifts_it(app: App) -> None:
    number = registered(app, instrument(cal_cycle_months=6))["data"]["equipment_no"]
    card_no = _card(app, number)["number"]
    calibrated(app, number, "2026-05-20")
    with at("2026-11-19"):
        assert service.enforce(as_user(app, "sun")) == []
    with at("2026-11-20"):
        moved = service.enforce(as_user(app, "sun"))
        assert service.enforce(as_user(app, "sun")) == []  # applied once
    assert [m["equipment_no"] for m in moved] == [number]
    card = _card(app, number)
    assert card["state"] == "stopped" and "校准到期未校准" in card["history"][-1]["note"]
    trail = records.audit_trail(app, card_no)
    assert trail[-1]["action"] == "record.move" and trail[-1]["actor"] == "sun" and "校准到期未校准" in trail[-1]["reason"]
    calibrated(app, number, "2026-11-21")
    card = _card(app, number)
    assert card["state"] == "in_use" and "calibration passed" in card["history"][-1]["note"]


def test_an_instrument_never_calibrated_is_stopped_and_due_at_once(app: App) -> None:
    number = registered(app, instrument())["data"]["equipment_no"]
    row = register.rows(record_query(app), date(2026, 1, 9))[0]
    assert row["status"] == "停用" and "未经校准" in row["status_reason"]
    items = equipment_due.calibration_items(record_query(app), datetime(2026, 1, 9, 9))
    assert items[0]["ref"] == number and items[0]["overdue"]


# -- failed calibration and the impact list --------------------------------------------------------


def test_a_failed_calibration_stops_the_instrument_at_once_and_lists_every_record_since_the_last_good_one(app: App) -> None:
    number = registered(app, instrument(cal_cycle_months=12))["data"]["equipment_no"]
    machine_no = registered(app, machine())["data"]["equipment_no"]
    calibrated(app, number, "2026-01-09")
    before = _use(app, number, "2026-03-01")
    calibrated(app, number, "2026-04-01")  # the last good calibration
    used = [_use(app, number, "2026-05-10"), _use(app, number, "2026-06-20", "铝板")]
    with at("2026-07-01"):
        plan = service.plan_maintenance(as_user(app, "sun"), machine_no, "一级保养", "2026-07-01")
        service.complete_maintenance(as_user(app, "sun"), plan["number"], {
            "performed_date": "2026-07-01", "performer": "王师傅", "result": "正常", "instruments_used": [number]})
    failed = calibrated(app, number, "2026-08-01", "不合格")
    expected = [used[0]["number"], used[1]["number"], plan["number"]]
    assert failed["data"]["impact_records"] == expected
    assert before["number"] not in failed["data"]["impact_records"]
    assert failed["state"] == "confirmed" and failed["signatures"][0]["meaning"] == "校准确认 calibration confirmed"
    assert _card(app, number)["state"] == "stopped"
    found = service.impact(app, number)
    assert [h["number"] for h in found["records"]] == expected and found["since"] == "2026-04-01"
    assert {h["form"] for h in found["records"]} == {USAGE_FORM, register.FORM_MAINTENANCE}
    # 品质部 assesses before the record closes.
    with at("2026-08-02"), pytest.raises(Refused, match="assessed every record on its impact list"):
        records.move(as_user(app, "li"), failed["number"], "closed")
    with at("2026-08-02"):
        closed = service.assess(as_user(app, "li"), failed["number"], "三项复测合格，无影响", "li")
    assert closed["state"] == "closed"


# -- refused references ---------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "allowed"), [("在用", True), ("备用", True), ("闲置", True), ("维修", False),
                                                   ("封存", False), ("停用", False)])
def test_only_usable_equipment_may_be_named_as_used_in_a_new_record(app: App, status: str, allowed: bool) -> None:
    number = registered(app, instrument())["data"]["equipment_no"]
    calibrated(app, number, "2026-01-09")
    with at("2026-02-01"):
        service.set_status(as_user(app, "sun"), number, status, "测试 test") if status != "在用" else None
    if allowed:
        assert _use(app, number, "2026-02-02")["data"]["instrument"] == number
    else:
        with pytest.raises(ValidationFailed) as exc:
            _use(app, number, "2026-02-02")
        assert f"equipment {number} 数显卡尺 is {status}" in _problems(exc)
        assert records.list_records(app, USAGE_FORM) == []


def test_references_to_overdue_scrapped_or_unknown_equipment_are_refused_but_old_records_stay_valid(app: App) -> None:
    number = registered(app, instrument(cal_cycle_months=6))["data"]["equipment_no"]
    calibrated(app, number, "2026-01-09")  # due 2026-07-09
    old = _use(app, number, "2026-07-08")
    with pytest.raises(ValidationFailed, match="校准到期未校准"):
        _use(app, number, "2026-07-09")  # computed 停用, not yet enforced
    with pytest.raises(ValidationFailed, match="not in the equipment register"):
        _use(app, "109999", "2026-07-08")
    with at("2026-07-10"):
        changed = records.update(as_user(app, "li"), old["number"], {"item": "钢板（更正）"})
    assert changed["data"]["instrument"] == number


def test_the_status_change_needs_a_reason_and_scrapping_goes_through_the_application(app: App) -> None:
    number = registered(app, machine())["data"]["equipment_no"]
    with pytest.raises(UsageError, match="needs a reason"):
        service.set_status(as_user(app, "sun"), number, "封存", " ")
    with pytest.raises(UsageError, match="scrapping application"):
        service.set_status(as_user(app, "sun"), number, "报废", "老化")
    with pytest.raises(Refused, match="missing fields: state scrapped requires scrap_ref"):
        records.move(as_user(app, "sun"), _card(app, number)["number"], "scrapped", note="直接报废")


# -- scrapping order --------------------------------------------------------------------------------


def _approved(app: App, number: str, **over: Any) -> str:
    sun = as_user(app, "sun")
    with at("2026-10-12"):
        scrap = service.appraise(sun, number, {"service_years": 12, "damage": "线圈老化", "residual_value": 300.0,
                                               "replacement_value": 5600.0, "appraisal_opinion": "建议报废",
                                               "appraised_by": "孙设备", "replacement_planned": True, **over})
        service.advance(sun, scrap["number"], "applied", {"applicant": "吴项目", "reason": "触电隐患"})
        with pytest.raises(Refused, match="needs one of: 物资管理部, admin"):
            service.advance(as_user(app, "wang"), scrap["number"], "approved", password=PASSWORD)
        service.advance(as_user(app, "xu"), scrap["number"], "approved", password=PASSWORD)
    return str(scrap["number"])


def test_scrapping_is_refused_before_the_replacement_has_arrived(app: App) -> None:
    old = registered(app, machine(name="交流电焊机"))["data"]["equipment_no"]
    bf = _approved(app, old)
    with at("2026-10-13"), pytest.raises(Refused, match="the replacement has not arrived"):
        service.advance(as_user(app, "sun"), bf, "scrapped")
    assert _card(app, old)["state"] == "in_use"
    with at("2026-10-20"), pytest.raises(ValidationFailed, match="not in the register"):
        service.advance(as_user(app, "sun"), bf, "replacement_arrived",
                        {"replacement_no": "101099", "replacement_arrived_on": "2026-10-20"})
    new = registered(app, machine(name="交流电焊机（新）"), "2026-10-20")["data"]["equipment_no"]
    with at("2026-10-20"):
        service.advance(as_user(app, "sun"), bf, "replacement_arrived",
                        {"replacement_no": new, "replacement_arrived_on": "2026-10-20"})
        service.advance(as_user(app, "sun"), bf, "scrapped")
    card = _card(app, old)
    assert card["state"] == "scrapped" and card["closed"] and card["data"]["scrap_ref"] == bf
    with pytest.raises(ValidationFailed, match="报废"):
        _use(app, old, "2026-10-21")
    with at("2026-10-21"), pytest.raises(ValidationFailed, match="is scrapped; no new records"):
        service.plan_maintenance(as_user(app, "sun"), old, "一级保养", "2026-10-25")


def test_without_a_planned_replacement_scrapping_needs_that_stated_with_a_reason(app: App) -> None:
    old = registered(app, machine())["data"]["equipment_no"]
    with at("2026-10-12"), pytest.raises(ValidationFailed, match="is required when no replacement is planned"):
        service.appraise(as_user(app, "sun"), old, {"service_years": 9, "damage": "x", "residual_value": 0,
                                                    "replacement_value": 0, "appraisal_opinion": "报废",
                                                    "appraised_by": "孙设备", "replacement_planned": False})
    bf = _approved(app, old, replacement_planned=False, no_replacement_reason="项目结束，不再需要")
    with at("2026-10-13"):
        service.advance(as_user(app, "sun"), bf, "scrapped")
    assert _card(app, old)["state"] == "scrapped"


# -- maintenance -----------------------------------------------------------------------------------


def test_deferred_maintenance_is_replanned_within_one_quarter_and_stays_due(app: App) -> None:
    number = registered(app, machine())["data"]["equipment_no"]
    sun = as_user(app, "sun")
    with at("2026-10-09"):
        plan = service.plan_maintenance(sun, number, "三级保养", "2026-10-12", "2026年10月保养计划")
        with pytest.raises(ValidationFailed, match="re-planned within one quarter: by 2027-01-12"):
            service.defer_maintenance(sun, plan["number"], "生产任务紧张", "2027-01-13")
        deferred = service.defer_maintenance(sun, plan["number"], "生产任务紧张", "2027-01-12")
    assert deferred["state"] == "deferred"
    items = equipment_due.maintenance_items(record_query(app), datetime(2027, 1, 13, 9))
    assert items[0]["ref"] == plan["number"] and items[0]["overdue"] and items[0]["due"].startswith("2027-01-12")


# -- repair, figures and effects ----------------------------------------------------------------------


def test_breakdown_repair_moves_the_equipment_and_counts_as_downtime(app: App) -> None:
    number = registered(app, machine())["data"]["equipment_no"]
    registered(app, instrument())
    wu = as_user(app, "sun")
    with at("2026-09-18T10:40:00"):
        wx = service.notify_repair(wu, number, {"kind": "故障维修", "reported_at": "2026-09-18T10:40:00",
                                                "reported_by": "吴项目", "stopped_at": "2026-09-18T10:30:00", "fault": "电机异响"})
    assert _card(app, number)["state"] == "repair"
    with at("2026-09-19T17:00:00"):
        with pytest.raises(Refused, match="passed test run"):
            service.complete_repair(wu, wx["number"], {"repairer": "王", "cause": "轴承", "work_done": "换轴承",
                                                       "restored_at": "2026-09-19T16:00:00", "test_run": "不合格"})
        service.complete_repair(wu, wx["number"], {"repairer": "王", "cause": "轴承", "work_done": "换轴承",
                                                   "restored_at": "2026-09-19T16:00:00", "test_run": "合格"})
    assert _card(app, number)["state"] == "in_use"
    found = {f["id"]: f["data"] for f in figures(record_query(app), datetime(2026, 9, 20))}
    assert found["equipment.downtime"] == {"labels": ["项目部"], "values": [29.5], "unit": "h", "total": 29.5}
    # The never-calibrated caliper is not in good condition: one of two.
    assert found["equipment.intact_rate"]["value"] == 50.0
    assert found["equipment.overdue"]["calibration"] == 1


def test_on_time_rate_counts_late_calibrations_and_overdue_instruments(app: App) -> None:
    a = registered(app, instrument(cal_cycle_months=6))["data"]["equipment_no"]
    b = registered(app, instrument(cal_cycle_months=6, name="压力表"))["data"]["equipment_no"]
    calibrated(app, a, "2026-01-09")
    calibrated(app, b, "2026-01-09")
    calibrated(app, a, "2026-07-09")  # on the due date: on time
    calibrated(app, b, "2026-07-15")  # late
    found = {f["id"]: f["data"] for f in figures(record_query(app), datetime(2027, 1, 16))}
    # a is due 2027-01-09 and overdue on 2027-01-16; b is due 2027-01-15: both overdue.
    assert found["equipment.calibration_on_time"] == {"value": 25.0, "unit": "%", "on_time": 1, "total": 4, "overdue_now": 2}


# -- CLI ----------------------------------------------------------------------------------------------


def test_cli_register_list_status_due_and_impact(app: App) -> None:
    r = cli(app, "equipment", "register", "--unit", "102", "--set", "name=数显卡尺", "--set", "category=计量器具",
            "--set", "measuring=true", "--set", "cal_mode=外校", "--set", "cal_cycle_months=6",
            "--set", "cal_provider=市计量院", "--set", "dept=品质部", "--set", "administrator=李品质", "--set", "route=租赁",
            "--set", "acceptance_date=2026-01-08", "--set", "acceptance_result=合格", "--set", "acceptance_equipment=孙",
            "--set", "acceptance_user=李", now="2026-01-08T09:00:00")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("102001 数显卡尺: card SB-2026-0001")
    r = cli(app, "equipment", "calibrate", "102001", "--date", "2026-05-20", "--result", "合格", "--password-stdin",
            "--set", "as_found=在允差内", "--set", "as_left=在允差内", "--set", "calibrated_by=li",
            "--set", "certificate_no=JL-1", "--set", "provider_accreditation=CNAS L0000", input=PASSWORD + "\n",
            now="2026-05-20T16:00:00")
    assert r.exit_code == 0, r.output
    assert "next due 2026-11-20" in r.output
    r = cli(app, "equipment", "due", "--json", now="2026-11-20T08:00:00")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["overdue"] == 1 and data["by_dept"]["品质部"][0]["status"] == "停用"
    r = cli(app, "equipment", "list", now="2026-11-20T08:00:00")
    assert "102001  SB-2026-0001  停用*" in r.output
    r = cli(app, "equipment", "status", "102001", "封存", now="2026-11-20T08:00:00")
    assert r.exit_code == 2 and "--reason" in r.output
    r = cli(app, "equipment", "impact", "102001")
    assert r.exit_code == 2 and "has no failed calibration" in r.output
    r = cli(app, "equipment", "card", "109999")
    assert r.exit_code == 2 and "no equipment '109999' in the register" in r.output


@pytest.mark.slow
def test_card_and_labels_pdfs_carry_the_history_and_the_labels(app: App, tmp_path: Path) -> None:
    number = registered(app, instrument(cal_cycle_months=6))["data"]["equipment_no"]
    calibrated(app, number, "2026-01-09")
    calibrated(app, number, "2026-05-20", "准用", limitation="仅 0–100 mm")
    other = registered(app, instrument(name="钢卷尺"))["data"]["equipment_no"]
    out = tmp_path / "card.pdf"
    r = cli(app, "equipment", "card", number, "-o", str(out), now="2026-11-02T09:00:00")
    assert r.exit_code == 0, r.output
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    for expected in ("设备卡片", number, "校准记录", "2026-11-20", "准用", "JL-2026-05-20", "状态变化"):
        assert expected in text, expected
    labels = tmp_path / "labels.pdf"
    r = cli(app, "equipment", "labels", "-o", str(labels), now="2026-11-02T09:00:00")
    assert r.exit_code == 0, r.output
    text = PdfReader(io.BytesIO(labels.read_bytes())).pages[0].extract_text()
    assert "准用" in text and "停用" in text and number in text and other in text and "2026-11-20" in text


def test_an_investigated_accident_found_major_notifies_物资管理部_from_that_save(app: App) -> None:
    number = registered(app, machine())["data"]["equipment_no"]
    sun = as_user(app, "sun")
    with at("2026-09-28T11:00:00"):
        accident = service.report_accident(sun, number, {
            "occurred_at": "2026-09-28T09:20:00", "place": "钢筋棚", "severity": "一般", "description": "刀片崩口",
            "reported_by": "操作工 赵师傅"})
        service.advance(sun, accident["number"], "investigated", {
            "investigated_by_dept": "设备科", "cause": "送料过快", "measures": "加装压料挡板"})
        assert [e for e in records.audit_trail(app, accident["number"]) if e["action"] == "record.notify"] == []
        records.update(sun, accident["number"], {"severity": "重大", "investigated_by_dept": "物资管理部"})
    notices = [e for e in records.audit_trail(app, accident["number"]) if e["action"] == "record.notify"]
    assert len(notices) == 1 and notices[0]["detail"]["to"] == "物资管理部" and "重大机械事故" in notices[0]["detail"]["message"]
