"""The demo's equipment step: a year of equipment control in two units, in time order.

Unit 101 (项目部, construction machinery) and unit 102 (品质部, measuring instruments) register
eleven pieces of equipment plus the tower crane's tie-in frame, which carries the crane's number;
the purchases of ¥2,000 or more wait in 待批准 until xu (物资管理部) signs their approval, and one
bought at the end of October still waits at the demo clock.
The year brings maintenance to plan (one deferred within the quarter, one left overdue), a daily
check, a mixer breakdown repaired, an ordinary accident, calibrations — on time, late, 准用, one
internal calibration of the multimeter that fails, stopping it at once and listing the records
that used it since its last good calibration — an attempt to use the failed multimeter that is
refused, and a welder scrapped in the right order (refused first, because its replacement had
not arrived). At the demo clock the steel tape's calibration is overdue; ``enforce`` stores its
停用. Cards of every main unit and the label sheet are rendered into ``records/pdf/equipment/``.

Every action runs as the demo user who would take it, at its own time (``QMS_NOW`` is set per
action and restored afterwards), so every run gives the same records and numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any


from qms.api import frozen_at, record_query, Refused, ValidationFailed

from qms_equipment import register, service
from qms_equipment.rules import APPROVAL_LIMIT

if TYPE_CHECKING:
    from qms.api import App
    from qms.api import DemoStep
    from qms.api import DemoContext

END = "2026-11-02T09:00:00"
APPROVER = ("xu", "approver", "物资管理部", "徐物资", "物资管理部经理")

ACCEPT = {"acceptance_result": "合格", "acceptance_equipment": "孙设备", "acceptance_purchasing": "郑采购",
          "acceptance_technical": "冯技术"}


def _machine(name: str, category: str, model: str, route: str, price: float | None, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"unit_code": "101", "unit_name": "第一项目部", "name": name, "category": category, "model": model,
                            "route": route, "dept": "项目部", "administrator": "吴项目", "location": "城东项目工地",
                            "acceptance_date": "2026-01-08", "acceptance_user": "吴项目", "measuring": False,
                            "commissioned_on": "2026-01-10", **ACCEPT, **more}
    if price is not None:
        data["price"] = price
    if route == "购置" and price and price >= APPROVAL_LIMIT:
        data.setdefault("purchase_request", f"CG-2025-{int(price) % 997:03d}")
    return {k: v for k, v in data.items() if v is not None}  # None: a field left out (not yet in service)


def _instrument(name: str, model: str, rng: str, accuracy: str, mode: str, cycle: int, price: float, **more: Any) -> dict[str, Any]:
    data = {"unit_code": "102", "unit_name": "质检试验室", "name": name, "category": "计量器具", "model": model, "route": "购置",
            "price": price, "dept": "品质部", "administrator": "李品质", "location": "质检试验室",
            "acceptance_date": "2026-01-08", "acceptance_user": "李品质", "measuring": True, "measuring_range": rng,
            "accuracy": accuracy, "cal_mode": mode, "cal_cycle_months": cycle, **ACCEPT, **more}
    if mode == "外校":
        data["cal_provider"] = "市计量测试研究院"
    return data


EXTERNAL = {"as_found": "在允差内", "as_left": "在允差内", "calibrated_by": "li", "provider": "市计量测试研究院",
            "provider_accreditation": "CNAS L0000（示例 example）"}
INTERNAL = {"as_found": "在允差内", "as_left": "在允差内", "calibrated_by": "sun", "procedure_ref": "JJG 315 / 内校规程 NJ-02",
            "standard_used": ["102006"]}




def _as(ctx: DemoContext, name: str) -> App:
    return ctx.app.acting_as(name)


def step_equipment(ctx: DemoContext) -> None:
    """Equipment: register, maintain, repair, calibrate (one failure with its impact list), scrap; cards and labels."""
    from qms.api import DEMO_PASSWORD

    name, role, dept, full, post = APPROVER
    ctx.app.users.add(name, role, dept, DEMO_PASSWORD, actor="admin", full_name=full, post=post)
    sun, li, wu = _as(ctx, "sun"), _as(ctx, "li"), _as(ctx, "wu")
    no: dict[str, str] = {}

    with frozen_at("2026-01-08T15:00:00"):
        for key, data in (
            ("crane", _machine("塔式起重机", "起重运输设备", "TQ1300/70", "购置", 680000.0, manufacturer="某建机厂",
                               serial_no="TQ-25-0117", specification="额定起重力矩 1300 kN·m")),
            ("mixer", _machine("混凝土搅拌机", "机械设备", "JS500", "购置", 38000.0, serial_no="JS5-2511-08")),
            ("cutter", _machine("钢筋切断机", "加工设备", "GQ40", "调拨", 4200.0)),
            ("welder", _machine("交流电焊机", "加工设备", "BX1-500", "自有", 3100.0, commissioned_on="2014-05-06")),
            ("genset", _machine("柴油发电机组", "动力设备", "50GF", "租赁", None, remarks="租赁期 2026-01 至 2026-12")),
            ("caliper", _instrument("数显卡尺", "SC-150", "0–150 mm", "0.01 mm", "外校", 12, 680.0)),
            ("meter", _instrument("数字万用表", "UT61E", "DC 0–1000 V", "±0.1 %", "内校", 6, 1650.0)),
            ("gauge", _instrument("压力表", "Y-100", "0–1.6 MPa", "1.6 级", "外校", 6, 320.0)),
            ("wrench", _instrument("扭力扳手", "TW-340", "68–340 N·m", "±4 %", "外校", 6, 2000.0)),
            ("tape", _instrument("钢卷尺", "5 m", "0–5 m", "Ⅱ级", "内校", 9, 45.0)),
            ("calibrator", _instrument("多功能校准器", "5522A", "DC/AC V, I, Ω", "±0.005 %", "外校", 12, 260000.0)),
        ):
            no[key] = service.register_equipment(sun, data)["data"]["equipment_no"]
        frame = service.register_equipment(sun, {**_machine("塔机附着装置", "起重运输设备", "FZ-1300", "购置", 1800.0),
                                                 "attachment_of": no["crane"]})
    ctx.say(f"equipment: {len(no)} pieces in units 101 and 102 ({', '.join(sorted(no.values()))}) and an attachment; "
            f"the tower crane's tie-in frame {frame['number']} carries the crane's number {no['crane']}")
    xu = _as(ctx, "xu")
    with frozen_at("2026-01-08T17:00:00"):
        waiting = [c for c in register.cards(record_query(ctx.app)) if c["state"] == "awaiting_approval"]
        for found in waiting:
            service.approve_purchase(xu, found["number"], DEMO_PASSWORD, "同意采购 purchase approved")
    ctx.say(f"purchase approval: {', '.join(c['data']['equipment_no'] for c in waiting)} (¥{APPROVAL_LIMIT:,} or more) "
            f"waited in 待批准 until xu (物资管理部) signed the approval; then in use")

    def cal(app: App, key: str, day: str, result: str, base: dict[str, Any], **more: Any) -> dict[str, Any]:
        with frozen_at(f"{day}T16:00:00"):
            return service.calibrate(app, no[key], {"calibration_date": day, "result": result, **base, **more}, DEMO_PASSWORD)

    cal(li, "calibrator", "2026-01-09", "合格", EXTERNAL, certificate_no="JL26-00931", standard_used=[])
    for key in ("caliper", "gauge", "wrench"):
        cal(li, key, "2026-01-09", "合格", EXTERNAL, certificate_no=f"JL26-0{len(key)}011")
    cal(sun, "tape", "2026-01-10", "合格", {**INTERNAL, "standard_used": [], "procedure_ref": "JJG 4 钢卷尺内校规程"})
    cal(sun, "meter", "2026-02-12", "合格", INTERNAL)
    cal(li, "gauge", "2026-05-20", "准用", EXTERNAL, certificate_no="JL26-05120", limitation="仅限 0–1.0 MPa 使用")

    with frozen_at("2026-06-15T17:00:00"):
        planned = service.plan_maintenance(wu, no["crane"], "二级保养", "2026-06-15", "2026年6月保养计划")
        service.complete_maintenance(wu, planned["number"], {
            "performed_date": "2026-06-15", "performer": "维修班 王师傅", "result": "正常", "instruments_used": [no["meter"]],
            "items": "回转机构、起升机构润滑；电气绝缘检测", "supervisor": "吴项目"})
    cal(li, "wrench", "2026-07-15", "合格", EXTERNAL, certificate_no="JL26-07311")  # six days late: due 2026-07-09
    cal(sun, "meter", "2026-08-10", "合格", INTERNAL)

    with frozen_at("2026-09-05T17:00:00"):
        planned = service.plan_maintenance(wu, no["mixer"], "一级保养", "2026-09-05", "2026年9月保养计划")
        service.complete_maintenance(wu, planned["number"], {
            "performed_date": "2026-09-05", "performer": "操作工 刘师傅", "result": "正常",
            "instruments_used": [no["meter"], no["caliper"]], "items": "清理搅拌筒，检查电机绝缘和叶片间隙"})
    with frozen_at("2026-09-18T10:40:00"):
        repair = service.notify_repair(wu, no["mixer"], {"kind": "故障维修", "reported_at": "2026-09-18T10:40:00",
                                                          "reported_by": "吴项目", "stopped_at": "2026-09-18T10:30:00",
                                                          "fault": "搅拌筒不转，电机异响", "notice_no": "TZ-2026-031"})
    with frozen_at("2026-09-19T16:30:00"):
        service.complete_repair(wu, repair["number"], {
            "repairer": "维修班 王师傅", "cause": "减速机轴承损坏", "work_done": "更换减速机轴承，测电机绝缘",
            "parts": "轴承 6310 ×2", "restored_at": "2026-09-19T16:00:00", "test_run": "合格", "return_status": "在用",
            "instruments_used": [no["meter"]]})
    with frozen_at("2026-09-28T11:00:00"):
        accident = service.report_accident(wu, no["cutter"], {
            "occurred_at": "2026-09-28T09:20:00", "place": "城东项目工地钢筋棚", "severity": "一般",
            "description": "送料时钢筋弹出，刀片崩口，无人员受伤", "reported_by": "操作工 赵师傅", "damage": "刀片崩口",
            "loss": 800.0, "immediate_action": "立即停机，隔离现场"})
    with frozen_at("2026-09-30T15:00:00"):
        service.advance(sun, accident["number"], "investigated", {
            "investigated_by_dept": "设备科", "cause": "送料过快，未使用压料装置", "measures": "重新培训操作工，加装压料挡板"})
        service.advance(sun, accident["number"], "closed", {"filed_with": "物资管理部"}, note="结果报物资管理部备案")

    with frozen_at("2026-10-09T10:00:00"):
        planned = service.plan_maintenance(sun, no["crane"], "三级保养", "2026-10-12", "2026年10月保养计划")
        service.defer_maintenance(sun, planned["number"], "主体结构施工高峰，设备状况良好，经设备科同意推迟", "2026-12-20")
        service.plan_maintenance(wu, no["cutter"], "一级保养", "2026-10-28", "2026年10月保养计划")
        service.plan_maintenance(wu, no["genset"], "二级保养", "2026-11-20", "2026年11月保养计划")
    with frozen_at("2026-10-12T09:00:00"):
        scrap = service.appraise(sun, no["welder"], {
            "service_years": 12, "damage": "线圈老化，绝缘电阻 0.3 MΩ，焊接电流不稳", "residual_value": 300.0,
            "replacement_value": 5600.0, "appraisal_opinion": "已无修复价值，建议报废并更新", "appraised_by": "孙设备",
            "replacement_planned": True})
        service.advance(wu, scrap["number"], "applied", {"applicant": "吴项目", "reason": "老化严重，存在触电隐患"})
        service.advance(xu, scrap["number"], "approved", note="同意报废，更新 BX1-500", password=DEMO_PASSWORD)
        try:
            service.advance(sun, scrap["number"], "scrapped")
        except Refused as exc:
            ctx.say(f"refused: scrapping {no['welder']} before its replacement arrived — {str(exc)[:110]}…")
    with frozen_at("2026-10-20T14:00:00"):
        new = service.register_equipment(sun, _machine("交流电焊机", "加工设备", "BX1-500", "购置", 5600.0,
                                                       acceptance_date="2026-10-20", commissioned_on="2026-10-20"))
    with frozen_at("2026-10-20T15:00:00"):
        service.approve_purchase(xu, new["number"], DEMO_PASSWORD, "同意采购，更新 BX1-500")
        service.advance(sun, scrap["number"], "replacement_arrived",
                           {"replacement_no": new["data"]["equipment_no"], "replacement_arrived_on": "2026-10-20"})
        service.advance(sun, scrap["number"], "scrapped", note="替换设备已到位，报废")
    with frozen_at("2026-10-23T10:00:00"):
        service.advance(sun, scrap["number"], "disposed", {
            "disposal_method": "变卖", "disposal_date": "2026-10-23", "disposal_value": 300.0,
            "disposal_note": "售予废旧物资回收站，收据 HS-1023"})
    ctx.say(f"scrapping: {scrap['number']} {no['welder']} appraised, applied, approved by xu (物资管理部), replacement "
            f"{new['data']['equipment_no']} arrived, scrapped and disposed")

    with frozen_at("2026-10-26T15:00:00"):
        failed = service.calibrate(sun, no["meter"], {"calibration_date": "2026-10-26", "result": "不合格", **INTERNAL,
                                                      "as_found": "超差", "as_left": "超差",
                                                      "as_found_note": "DC 500 V 点示值误差 +0.6 %，超出 ±0.1 %"},
                                   DEMO_PASSWORD)
    impact = service.impact(ctx.app, no["meter"])
    ctx.say(f"calibration: {failed['number']} failed for {no['meter']} 数字万用表 → 停用 at once; impact list since "
            f"{impact['since']}: {', '.join(h['number'] for h in impact['records'])}")
    with frozen_at("2026-10-27T10:00:00"):
        service.assess(li, failed["number"], "逐项复核：两项保养的绝缘测量结果另用校准器复测合格；维修记录的绝缘测量复测合格。无产品受影响。",
                       "li")
    with frozen_at("2026-10-30T08:30:00"):
        try:
            service.daily_check(wu, no["mixer"], {"shift": "早班", "performer": "刘师傅", "result": "正常",
                                                  "instruments_used": [no["meter"]], "items": "班前点检"})
        except ValidationFailed as exc:
            ctx.say(f"refused: a daily check naming the failed multimeter {no['meter']} — {exc.problems[0][:90]}…")
        service.daily_check(wu, no["mixer"], {"shift": "早班", "performer": "刘师傅", "result": "正常", "items": "班前点检"})

    with frozen_at("2026-10-31T16:00:00"):
        service.set_status(wu, no["genset"], "备用", "主体封顶，发电机组转为备用")
        bender = service.register_equipment(sun, _machine("钢筋弯曲机", "加工设备", "GW40", "购置", 6800.0,
                                                          acceptance_date="2026-10-31", commissioned_on=None))
    ctx.say(f"purchase approval: {bender['data']['equipment_no']} 钢筋弯曲机 (¥6,800) registered {bender['number']}, "
            f"待批准 until 物资管理部 signs (`qms equipment approve-purchase {bender['data']['equipment_no']} --as xu`)")
    with frozen_at(END):
        stopped = service.enforce(sun)
    ctx.say("enforce: " + (", ".join(f"{m['equipment_no']} {m['name']} → 停用 ({m['reason'][:24]}…)" for m in stopped) or "none"))
    _render(ctx, sorted({*no.values(), new["data"]["equipment_no"], bender["data"]["equipment_no"]}))


def _render(ctx: DemoContext, numbers: list[str]) -> None:
    """Render the cards and the label sheet into records/pdf/equipment/ (logged for verify)."""
    from qms.api import record_query
    from qms.api import Job, default_out, render_all

    from qms_equipment.pages import card_page, labels_page

    app = _as(ctx, "sun")
    with frozen_at(END):
        jobs = [Job(f"equipment/card_{n}.pdf", card_page(app, service.history(app, n)), "report") for n in numbers]
        rows = [r for r in register.rows(record_query(app), service.today()) if r["measuring"] and r["stored_state"] != "scrapped"]
        jobs.append(Job("equipment/labels.pdf", labels_page(app, rows), "report"))
        report = render_all(app, actor="sun", out=default_out(app), collected=jobs)
    ctx.say(f"equipment pdf: {len(jobs) - 1} cards and one label sheet ({len(rows)} labels), {report.pages} pages, "
            f"in records/pdf/equipment/" + (f"; {len(report.failed)} FAILED: {report.failed[0]}" if report.failed else ""))


__all__ = ["step_equipment"]


def steps() -> list[DemoStep]:
    """This procedure's step of ``qms demo`` (entry point ``qms.demo``): after the documents are issued."""
    return [(30, step_equipment)]
