"""QP-8.5-01 property services: every rule and time limit of the issue through the real engines."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from property_kit import (
    NOW,
    PASSWORD,
    add_complaint_handlers,
    arrive_and_complete,
    complaint_request,
    external_pass,
    make_app,
    request,
)
from qms_property import config, intake, passes, repairs
from qms_property.effects import after
from qms_property.report import status

from qms import records
from qms.app import App
from qms.cli import build
from qms.due import due_items
from qms.errors import ConfigError, Refused, ValidationFailed
from qms.recordquery import record_query


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("QMS_NOW", NOW)
    return make_app(tmp_path)


def at(monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    monkeypatch.setenv("QMS_NOW", moment)


def due_of(app: App, ref: str, now: str) -> dict[str, dict]:
    return {i["deadline"]: i for i in due_items(app, datetime.fromisoformat(now)).items if i["ref"] == ref}


# -- configuration ---------------------------------------------------------------------------------


def test_limits_default_to_the_procedure_and_read_qms_toml() -> None:
    assert config.from_raw({}).for_urgency("紧急") == {"response": "15min", "arrival": "30min", "visit": "3wd"}
    cfg = config.from_raw({"property": {"visit_within": "5wd", "limits": {"normal": {"arrival": "8h"}}}})
    assert cfg.for_urgency("一般") == {"response": "2h", "arrival": "8h", "visit": "5wd"}
    with pytest.raises(ConfigError, match=r"\[property.limits.urgent\] arrival .* '30 minutes'"):
        config.from_raw({"property": {"limits": {"urgent": {"arrival": "30 minutes"}}}})
    with pytest.raises(ConfigError, match="unknown urgency"):
        config.from_raw({"property": {"limits": {"critical": {}}}})
    with pytest.raises(ConfigError, match="line_answer_target"):
        config.from_raw({"property": {"line_answer_target": 90}})


# -- service requests ------------------------------------------------------------------------------


def test_request_rules_name_every_problem_and_store_nothing(app: App) -> None:
    with pytest.raises(ValidationFailed) as err:
        records.file(app, "QR-8.5-01", request(requester_kind=None, requester_name=None, call_answered=None,
                                               urgency=None))
    text = str(err.value) + "\n".join(err.value.problems)
    for field in ("requester_kind", "requester_name", "call_answered", "urgency"):
        assert field in text
    with pytest.raises(ValidationFailed, match="not a sub-item of 物业管理"):
        records.file(app, "QR-8.5-01", complaint_request(complaint_subcategory="渗漏"))
    assert records.list_records(app, "QR-8.5-01") == []
    # Found on patrol: nobody asked, so no requester is needed.
    patrol = records.file(app, "QR-8.5-01", request(channel="巡查发现", call_answered=None, requester_kind=None,
                                                    requester_name=None, request_type="其他", urgency=None))
    assert patrol["number"] == "FW-2026-0001"


def test_enquiry_closes_only_with_an_answer_and_repairs_and_complaints_never_by_hand(app: App) -> None:
    ask = records.file(app, "QR-8.5-01", request(request_type="咨询", urgency=None, description="物业费怎么交"))
    with pytest.raises(Refused, match="no answer yet"):
        records.move(app, ask["number"], "closed")
    records.update(app, ask["number"], {"answered_at": "2026-11-02T08:45:00", "answer": "可在前台或线上缴纳"})
    assert records.move(app, ask["number"], "closed")["record"]["closed"]
    fix = records.file(app, "QR-8.5-01", request())
    with pytest.raises(Refused, match="dispatch it"):
        records.move(app, fix["number"], "closed")
    with pytest.raises(Refused, match="only a complaint"):
        records.move(app, fix["number"], "handed_over")
    intake.dispatch(app, fix["number"], "A")
    with pytest.raises(Refused, match="closes with its linked record"):
        records.move(app, fix["number"], "closed")


def test_service_line_request_is_due_the_same_day_and_the_answer_rate_counts_registered_calls(app: App) -> None:
    first = records.file(app, "QR-8.5-01", request(request_type="咨询", urgency=None))
    items = due_of(app, first["number"], "2026-11-02T23:00:00")
    assert items["request.same_day"]["due"] == "2026-11-02T23:59:59"
    assert not items["request.same_day"]["overdue"]
    assert due_of(app, first["number"], "2026-11-03T00:00:00")["request.same_day"]["overdue"]
    records.update(app, first["number"], {"escalated_at": "2026-11-02T10:00:00", "escalated_to": "客服中心主任"})
    assert "request.same_day" not in due_of(app, first["number"], "2026-11-03T00:00:00")
    # Walk-in requests are not on the line: no same-day item, not in the rate.
    walk_in = records.file(app, "QR-8.5-01", request(channel="上门", call_answered=None, request_type="咨询", urgency=None))
    assert due_of(app, walk_in["number"], "2026-11-03T00:00:00") == {}
    for i in range(8):
        records.file(app, "QR-8.5-01", request(request_type="其他", urgency=None, description=f"来电 {i}"))
    missed = records.file(app, "QR-8.5-01", request(call_answered=False, request_type="其他", urgency=None))
    line = status(record_query(app), datetime.fromisoformat(NOW))["requests"]["line"]
    assert (line["calls"], line["answered"], line["answer_rate"], line["meets_target"]) == (10, 9, 0.9, True)
    assert line["handled_same_day"] == 1
    records.file(app, "QR-8.5-01", request(call_answered=False, request_type="其他", urgency=None))
    line = status(record_query(app), datetime.fromisoformat(NOW))["requests"]["line"]
    assert line["answer_rate"] == round(9 / 11, 4) and not line["meets_target"]
    assert missed["data"]["call_answered"] is False


# -- repairs ---------------------------------------------------------------------------------------


def test_dispatch_opens_an_order_with_the_limits_of_qms_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, NOW)
    app = make_app(tmp_path, '[property]\nvisit_within = "2wd"\n[property.limits.urgent]\nresponse = "10min"\n'
                             'arrival = "45min"\n')
    fw = records.file(app, "QR-8.5-01", request())
    order = intake.dispatch(app, fw["number"], "A", technician="张师傅", dispatcher="维修班长刘",
                            extra={"response_late_reason": "维修班长在另一现场"})
    data = order["data"]
    assert order["number"] == "PG-2026-0001" and order["state"] == "dispatched"
    assert data["limits"] == {"response": "10min", "arrival": "45min", "visit": "2wd"}
    assert (data["reported_at"], data["response_due"], data["arrival_due"]) == (
        "2026-11-02T08:40:00", "2026-11-02T08:50:00", "2026-11-02T09:25:00")
    assert (data["customer_name"], data["building"], data["unit"], data["request"]) == ("王女士", "A栋", "1203", fw["number"])
    request_after = records.get(app, fw["number"])
    assert request_after["state"] == "dispatched" and request_after["data"]["repair_order"] == order["number"]
    assert request_after["data"]["answered_at"] == NOW
    with pytest.raises(Refused, match="only a registered or escalated request"):
        intake.dispatch(app, fw["number"], "A")
    ask = records.file(app, "QR-8.5-01", request(request_type="咨询", urgency=None))
    with pytest.raises(Refused, match="not 报修"):
        intake.dispatch(app, ask["number"], "A")


def test_response_and_arrival_limits_are_due_items_and_an_urgent_repair_goes_overdue(app: App) -> None:
    fw = records.file(app, "QR-8.5-01", request())
    order = intake.dispatch(app, fw["number"], "A")["number"]
    items = due_of(app, order, "2026-11-02T09:00:00")
    assert items["repair.response"]["due"] == "2026-11-02T08:55:00" and items["repair.response"]["overdue"]
    assert items["repair.arrival"]["due"] == "2026-11-02T09:10:00" and not items["repair.arrival"]["overdue"]
    assert due_of(app, order, "2026-11-02T09:11:00")["repair.arrival"]["overdue"]
    records.update(app, order, {"technician": "张师傅", "responded_at": "2026-11-02T08:50:00"})
    records.move(app, order, "dispatched")
    assert set(due_of(app, order, "2026-11-02T09:11:00")) == {"repair.arrival"}
    st = status(record_query(app), datetime.fromisoformat("2026-11-02T09:11:00"))["repairs"]
    assert [o["number"] for o in st["overdue"]] == [order]
    # A normal repair has 24 hours to arrive.
    normal = intake.dispatch(app, records.file(app, "QR-8.5-01", request(urgency="一般"))["number"], "B",
                             extra={"contract_no": "WB-2026-07"})["number"]
    assert due_of(app, normal, NOW)["repair.arrival"]["due"] == "2026-11-03T08:40:00"
    records.update(app, order, {"arrived_at": "2026-11-02T09:20:00", "arrival_late_reason": "电梯停运"})
    records.move(app, order, "arrived")
    st = status(record_query(app), datetime.fromisoformat("2026-11-02T09:30:00"))["repairs"]
    assert st["late_arrivals"] == [order] and st["overdue"] == []
    assert st["mean_minutes_to_arrive"] == 40.0


def test_a_late_first_response_needs_a_reason_and_records_how_late_it_was(app: App) -> None:
    fw = records.file(app, "QR-8.5-01", request())["number"]  # 紧急, received 08:40: respond by 08:55
    before = records.get(app, fw)
    with pytest.raises(ValidationFailed) as refused:
        intake.dispatch(app, fw, "A", technician="张师傅")  # at 09:00
    assert "5 min after the 15min limit" in str(refused.value) and "--set response_late_reason=" in str(refused.value)
    assert records.list_records(app, "QR-8.5-02") == [] and records.get(app, fw) == before
    order = intake.dispatch(app, fw, "A", technician="张师傅", extra={"response_late_reason": "维修班长在另一报修现场"})
    assert order["data"]["response_late_minutes"] == 5 and order["data"]["response_late_reason"] == "维修班长在另一报修现场"
    assert any(e["action"] == "record.update" and "首次响应超时" in e.get("reason", "")
               for e in records.audit_trail(app, order["number"]))


def test_a_response_or_arrival_on_the_limit_is_on_time(app: App) -> None:
    fw = records.file(app, "QR-8.5-01", request())["number"]
    order = intake.dispatch(app, fw, "A")["number"]
    records.update(app, order, {"technician": "张师傅", "responded_at": "2026-11-02T08:55:00"})
    records.update(app, order, {"arrived_at": "2026-11-02T09:10:00"})
    data = records.get(app, order)["data"]
    assert not {"response_late_minutes", "arrival_late_minutes", "response_late_reason", "arrival_late_reason"} & set(data)


def test_a_late_arrival_needs_a_reason_and_a_corrected_time_clears_the_lateness(app: App) -> None:
    fw = records.file(app, "QR-8.5-01", request())["number"]
    order = intake.dispatch(app, fw, "A")["number"]  # arrive by 09:10
    with pytest.raises(ValidationFailed, match="arrival_late_reason") as refused:
        records.update(app, order, {"arrived_at": "2026-11-02T09:12:30"})
    assert "3 min after the 30min limit" in str(refused.value)
    records.update(app, order, {"arrived_at": "2026-11-02T09:12:30", "arrival_late_reason": "电梯检修，走楼梯上 12 层"})
    assert records.get(app, order)["data"]["arrival_late_minutes"] == 3
    records.update(app, order, {"arrived_at": "2026-11-02T09:08:00"}, note="到场时间登记有误 time corrected")
    assert "arrival_late_minutes" not in records.get(app, order)["data"]


def test_the_status_counts_late_responses_as_well_as_late_arrivals(app: App) -> None:
    fw = records.file(app, "QR-8.5-01", request())["number"]
    late = intake.dispatch(app, fw, "A", technician="张师傅", extra={"response_late_reason": "另一现场"})["number"]
    records.update(app, late, {"arrived_at": "2026-11-02T09:05:00"})
    timely = intake.dispatch(app, records.file(app, "QR-8.5-01", request(urgency="一般"))["number"], "B",
                             extra={"contract_no": "WB-2026-07"})["number"]
    records.update(app, timely, {"technician": "李师傅", "responded_at": "2026-11-02T09:00:00"})
    records.update(app, timely, {"arrived_at": "2026-11-03T09:00:00", "arrival_late_reason": "缺配件，次日到场"})
    st = status(record_query(app), datetime.fromisoformat("2026-11-03T10:00:00"))["repairs"]
    assert st["late_responses"] == [late] and st["late_arrivals"] == [timely]
    from qms_property.cli import status_lines
    from qms_property.figures import figures

    lines = "\n".join(status_lines(status(record_query(app), datetime.fromisoformat("2026-11-03T10:00:00"))))
    assert f"late responses: {late}" in lines and f"late arrivals: {timely}" in lines
    found = {f["id"]: f["data"] for f in figures(status(record_query(app), datetime.fromisoformat("2026-11-03T10:00:00")))}
    assert found["property.late_repairs"]["value"] == 2
    assert found["property.late_repairs"]["responses"] == [late] and found["property.late_repairs"]["arrivals"] == [timely]


def _order(app: App, service_class: str = "A", **extra: object) -> str:
    """A dispatched order; dispatched at 09:00, its first response is 5 minutes late, with the reason."""
    fw = records.file(app, "QR-8.5-01", request())
    return intake.dispatch(app, fw["number"], service_class, technician="张师傅",
                           extra={"response_late_reason": "维修班长在另一现场", **extra})["number"]


def test_charging_follows_the_service_class(app: App) -> None:
    with pytest.raises(ValidationFailed, match="give its number"):
        _order(app, "B")
    with pytest.raises(ValidationFailed, match="end of the warranty period"):
        _order(app, "C")
    with pytest.raises(ValidationFailed, match="before the repair was reported"):
        _order(app, "C", warranty_until="2026-10-31")
    warranty = _order(app, "C", warranty_until="2027-06-30")
    with pytest.raises(Refused, match="charge must be 0"):
        arrive_and_complete(app, warranty, arrived="2026-11-02T09:00:00", completed="2026-11-02T09:00:00", charge=20)
    internal = _order(app, "D")
    with pytest.raises(ValidationFailed, match="not charged"):
        records.update(app, internal, {"charge": 5})
    paid = _order(app, "A")
    with pytest.raises(Refused, match="record the charge"):
        arrive_and_complete(app, paid, arrived="2026-11-02T09:00:00", completed="2026-11-02T09:00:00")
    assert records.get(app, paid)["state"] == "arrived"
    with pytest.raises(Refused, match="tell the customer the charge"):
        repairs.complete(app, paid, {"work_done": "换阀", "voucher_signed_by": "王女士",
                                     "voucher_signed_at": NOW, "charge": 35})
    done = repairs.complete(app, paid, {"work_done": "换阀", "voucher_signed_by": "王女士", "voucher_signed_at": NOW,
                                        "charge": 35, "charge_notified": True,
                                        "materials": [{"name": "角阀", "qty": 1, "unit": "个", "unit_price": 25}]})
    assert done["state"] == "completed" and done["data"]["visit_due"] == "2026-11-05T09:00:00"
    assert repairs.complete(app, warranty, {"work_done": "换阀", "voucher_signed_by": "王女士", "voucher_signed_at": NOW,
                                            "charge": 0})["state"] == "completed"


def test_an_order_completes_only_with_the_customers_signature_or_a_recorded_refusal(app: App) -> None:
    order = _order(app)
    records.update(app, order, {"arrived_at": NOW})
    records.move(app, order, "arrived")
    fields = {"work_done": "换阀", "charge": 0, "completed_at": NOW}
    with pytest.raises(Refused, match="neither the customer's signature"):
        repairs.complete(app, order, fields)
    with pytest.raises(Refused, match="reason for refusing"):
        repairs.complete(app, order, {**fields, "voucher_refused": True})
    with pytest.raises(Refused, match="signed by the customer or refused, not both"):
        repairs.complete(app, order, {**fields, "voucher_refused": True, "voucher_refusal_reason": "不满意收费",
                                      "voucher_signed_by": "王女士", "voucher_signed_at": NOW})
    # Through the generic move too: the veto holds whichever way the record is moved.
    records.update(app, order, fields)
    with pytest.raises(Refused, match="neither the customer's signature"):
        records.move(app, order, "completed")
    done = repairs.complete(app, order, {"voucher_refused": True, "voucher_refusal_reason": "客户认为收费过高，拒绝签字"})
    assert done["state"] == "completed"


def test_a_resolved_timely_visit_closes_the_order_and_its_request(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    order = _order(app)
    arrive_and_complete(app, order, arrived="2026-11-02T09:05:00", completed="2026-11-02T10:00:00", charge=0)
    fw = records.get(app, order)["data"]["request"]
    assert due_of(app, order, NOW)["repair.visit"]["due"] == "2026-11-05T10:00:00"
    with pytest.raises(Refused, match="no return visit yet"):
        records.move(app, order, "closed")
    at(monkeypatch, "2026-11-04T15:00:00")
    result = repairs.visit(app, order, method="电话", satisfaction="非常满意", resolved=True)
    assert result["visit"]["state"] == "closed" and result["order"]["state"] == "closed"
    assert result["order"]["data"]["return_visit"] == result["visit"]["number"]
    closed_request = records.get(app, fw)
    assert closed_request["closed"] and "回访" in closed_request["data"]["result"]
    st = status(record_query(app), datetime.fromisoformat("2026-11-04T15:00:00"))
    assert st["visits"]["satisfaction"]["非常满意"] == 1 and st["visits"]["satisfied_rate"] == 1.0
    assert st["repairs"]["mean_hours_to_close"] == round((datetime(2026, 11, 4, 15) - datetime(2026, 11, 2, 8, 40)).total_seconds() / 3600, 1)


def test_a_late_return_visit_does_not_close_the_order(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    order = _order(app)
    arrive_and_complete(app, order, arrived="2026-11-02T09:05:00", completed="2026-11-02T10:00:00", charge=0)
    assert due_of(app, order, "2026-11-06T09:00:00")["repair.visit"]["overdue"]
    at(monkeypatch, "2026-11-06T09:00:00")  # 3 working days after Monday 10:00 is Thursday 10:00
    result = repairs.visit(app, order, method="电话", satisfaction="满意", resolved=True)
    failed = [e for e in result["effects"] if not e["applied"]]
    assert failed and "later than the 3wd limit" in failed[0]["error"]
    assert result["order"]["state"] == "completed"


def test_an_unresolved_visit_escalates_to_the_director_and_closes_after_the_repeat_visit(app: App) -> None:
    order = _order(app)
    arrive_and_complete(app, order, arrived="2026-11-02T09:05:00", completed="2026-11-02T09:30:00", charge=0)
    with pytest.raises(Refused, match="before PG-2026-0001 was completed"):
        repairs.visit(app, order, method="上门", satisfaction="不满意", resolved=False, visited_at="2026-11-02T09:10:00")
    assert records.list_records(app, "QR-8.5-03") == []
    result = repairs.visit(app, order, method="上门", satisfaction="不满意", resolved=False, feedback="仍有渗水",
                           visited_at="2026-11-03T10:00:00")
    wh = result["visit"]
    assert wh["state"] == "escalated" and wh["data"]["escalated_to"] == "客服中心主任"
    assert all(e["applied"] for e in result["effects"]), result["effects"]
    notify = [e for e in result["effects"] if e["effect"] == "notify"]
    assert notify and notify[0]["to"] == "客服中心主任" and notify[0]["applied"]
    assert result["order"]["state"] == "completed" and result["order"]["data"]["visit_resolved"] is False
    with pytest.raises(Refused, match="found the problem unresolved"):
        records.move(app, order, "closed")
    with pytest.raises(Refused, match="repeat visit"):
        repairs.visit(app, order, method="电话", satisfaction="满意", resolved=True)
    with pytest.raises(Refused, match="repeat visit has not confirmed"):
        records.move(app, wh["number"], "closed")
    done = repairs.revisit(app, wh["number"], director_action="协调供应商更换阀芯", office_report="已报管理处，已解决",
                           satisfaction="满意", revisit_at="2026-11-04T10:00:00")
    assert done["visit"]["state"] == "closed" and done["order"]["state"] == "closed"
    assert done["order"]["data"]["satisfaction"] == "满意"
    trail = [e for e in records.audit_trail(app, wh["number"]) if e.get("action") == "record.notify"]
    assert trail and "客服中心主任" in str(trail[0])


# -- owner complaints handed to the complaints plugin --------------------------------------------


def test_a_complaint_is_handed_to_qr_8_2_01_linked_both_ways_and_closes_the_request(app: App) -> None:
    fw = records.file(app, "QR-8.5-01", complaint_request())
    ks = intake.handoff(app, fw["number"])
    assert ks["form"] == "QR-8.2-01" and ks["number"].startswith("KS-")
    assert (ks["data"]["category"], ks["data"]["sub_category"]) == ("物业管理", "保洁")
    assert (ks["data"]["channel"], ks["data"]["transferred_via"]) == ("转交", "物业公司")
    assert ks["data"]["received_at"] == "2026-11-02T08:40:00"
    # Visible from both: the request names the complaint, the complaint names the request.
    request_after = records.get(app, fw["number"])
    assert request_after["state"] == "handed_over" and request_after["data"]["complaint_record"] == ks["number"]
    assert fw["number"] in ks["data"]["content"] and fw["number"] in ks["history"][0]["note"]
    with pytest.raises(Refused, match="only a registered or escalated request"):
        intake.handoff(app, fw["number"])
    # The complaints procedure takes it to closure; the request closes with it.
    add_complaint_handlers(app)
    app.actor_name = "zhao"
    number = ks["number"]
    records.update(app, number, {"nature": "非质量"})
    records.move(app, number, "registered")
    records.update(app, number, {"host_dept": "业务部", "responsible_dept": "物业管理部", "responsible_person": "钱物业"})
    records.move(app, number, "assigned")
    records.move(app, number, "investigating")
    records.update(app, number, {"investigation_result": "保洁排班漏了 B 栋 5 层", "responsibility": "客户原因",
                                 "reply_text": "已调整排班，每日两次清扫"})
    records.move(app, number, "reply_drafted")
    app.actor_name = "wang"
    records.move(app, number, "reply_approved", password=PASSWORD)
    app.actor_name = "zhao"
    records.update(app, number, {"replied_at": NOW, "reply_method": "电话"})
    records.move(app, number, "replied")
    records.update(app, number, {"closed_at": "2026-11-02"})
    moved = records.move(app, number, "closed")
    assert all(e["applied"] for e in moved["effects"] if e.get("record") == fw["number"])
    assert records.get(app, fw["number"])["closed"]
    assert number in records.get(app, fw["number"])["data"]["result"]


def test_a_handoff_the_complaint_form_refuses_stores_nothing(app: App) -> None:
    fw = records.file(app, "QR-8.5-01", complaint_request())
    with pytest.raises(ValidationFailed):
        intake.handoff(app, fw["number"], extra={"quantity": -1})
    assert records.list_records(app, "QR-8.2-01") == []
    assert records.get(app, fw["number"])["state"] == "registered"


def test_the_complaint_effect_finds_the_request_from_the_filing_note() -> None:
    ks = {"form": "QR-8.2-01", "number": "KS-2026-0009", "state": "closed", "closed": True, "data": {},
          "history": [{"note": "由服务请求 FW-2026-0004 转交 handed over from service request FW-2026-0004 (QP-8.5-01 §5.4)"}]}
    assert [(e["effect"], e["record"]) for e in after(ks, "replied")] == [("update", "FW-2026-0004"), ("move", "FW-2026-0004")]
    assert after({**ks, "closed": False, "state": "replied"}, "reply_approved") == []


# -- vehicle passes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("document", ["身份证", "驾驶证", "机动车行驶证"])
def test_one_of_the_three_documents_is_enough(app: App, document: str) -> None:
    issued = passes.issue(app, external_pass(documents=[document]), receipt="SJ-0001")
    assert issued["state"] == "issued" and issued["data"]["documents"] == [document]


def test_a_pass_without_any_of_the_three_documents_is_refused_and_nothing_is_stored(app: App) -> None:
    for documents in ([], None):
        with pytest.raises(ValidationFailed, match="one of the three is required"):
            passes.issue(app, external_pass(documents=documents), receipt="SJ-0001")
    with pytest.raises(ValidationFailed, match="one of the three is required"):
        records.file(app, "QR-8.5-04", external_pass(documents=[]))
    with pytest.raises(ValidationFailed, match="must be one of"):
        records.file(app, "QR-8.5-04", external_pass(documents=["护照"]))
    assert records.list_records(app, "QR-8.5-04") == []


def test_external_pass_is_yellow_with_deposit_and_expiry_employee_pass_green_free_and_open_ended(app: App) -> None:
    ext = passes.issue(app, external_pass(plate="沪a·12345"), receipt="SJ-0001")
    assert {k: ext["data"][k] for k in ("colour", "deposit", "valid_until", "plate")} == {
        "colour": "黄色", "deposit": 50, "valid_until": "2026-12-31", "plate": "沪A12345"}
    with pytest.raises(Refused, match="pays the deposit"):
        passes.issue(app, external_pass(), receipt=None)
    with pytest.raises(ValidationFailed, match="period of use"):
        passes.issue(app, external_pass(period_until=None), receipt="SJ-0002")
    staff = passes.issue(app, {"applicant": "张三", "vehicle_category": "集团员工", "letter_reason": "上下班",
                               "documents": ["身份证"], "plate": "沪B54321"})
    assert staff["data"]["colour"] == "浅绿色" and "valid_until" not in staff["data"] and "deposit" not in staff["data"]
    with pytest.raises(ValidationFailed, match="no period of use"):
        passes.issue(app, {"applicant": "客人", "vehicle_category": "客人", "letter_reason": "来访", "documents": ["身份证"],
                           "plate": "沪C11111", "period_until": "2026-12-31"})
    with pytest.raises(ValidationFailed, match="yellow pass always carries its expiry"):
        records.file(app, "QR-8.5-04", external_pass(colour="黄色", period_until=None, handling_dept="采购部"))
    with pytest.raises(ValidationFailed, match="is 浅绿色, not 黄色"):
        records.file(app, "QR-8.5-04", {**external_pass(vehicle_category="集团员工", period_until=None), "colour": "黄色"})
    st = status(record_query(app), datetime.fromisoformat(NOW))["passes"]
    assert st["issued"] == 2 and st["issued_by_colour"] == {"浅绿色": 1, "黄色": 1} and st["deposits_outstanding"] == 50


def test_the_deposit_is_set_in_qms_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, NOW)
    app = make_app(tmp_path, "[property]\npass_deposit = 80\n")
    assert passes.issue(app, external_pass(), receipt="SJ-9")["data"]["deposit"] == 80


def test_renewal_exchanges_the_pass_without_a_new_deposit_and_the_deposit_is_refunded_once(app: App) -> None:
    old = passes.issue(app, external_pass(), receipt="SJ-0001")["number"]
    new = passes.renew(app, old, until="2027-06-30")
    assert (new["data"]["deposit"], new["data"]["deposit_carried"], new["data"]["renewal_of"]) == (0, 50, old)
    assert (new["data"]["period_from"], new["data"]["valid_until"], new["data"]["colour"]) == ("2027-01-01", "2027-06-30", "黄色")
    old_after = records.get(app, old)
    assert old_after["state"] == "renewed" and old_after["data"]["renewed_by"] == new["number"]
    assert old_after["data"]["deposit_transferred"] == 50
    st = status(record_query(app), datetime.fromisoformat(NOW))["passes"]
    assert st["deposits_outstanding"] == 50 and st["deposits_outstanding_passes"] == [new["number"]]
    with pytest.raises(Refused, match="only a pass that is out"):
        passes.renew(app, old, until="2027-12-31")
    with pytest.raises(Refused, match="moved to"):
        passes.refund(app, old, voucher="CW-1")
    with pytest.raises(Refused, match="has not been handed back"):
        passes.refund(app, new["number"], voucher="CW-1")
    passes.hand_back(app, new["number"])
    refunded = passes.refund(app, new["number"], voucher="CW-2026-118")
    assert refunded["state"] == "refunded" and refunded["data"]["refund_amount"] == 50 and refunded["closed"]
    with pytest.raises(Refused, match="already refunded .* only once"):
        passes.refund(app, new["number"], voucher="CW-2026-119")
    st = status(record_query(app), datetime.fromisoformat(NOW))["passes"]
    assert (st["deposits_outstanding"], st["deposits_refunded"]) == (0, 50)


def test_a_renewal_deposit_and_refund_amount_are_checked_on_the_record(app: App) -> None:
    with pytest.raises(ValidationFailed, match="without a new deposit"):
        records.file(app, "QR-8.5-04", external_pass(renewal_of="TX-2026-0001", deposit=50))
    applied = records.file(app, "QR-8.5-04", external_pass(renewal_of="TX-2026-0001", colour="黄色",
                                                           valid_until="2026-12-31", issued_at=NOW))
    with pytest.raises(Refused, match="old pass must be handed in first"):
        records.move(app, applied["number"], "issued")
    ext = passes.issue(app, external_pass(), receipt="SJ-0001")["number"]
    passes.hand_back(app, ext)
    with pytest.raises(ValidationFailed, match=r"deposit held on this pass \(50 元\), not 20"):
        records.update(app, ext, {"refund_amount": 20})
    with pytest.raises(Refused, match="refund it through 财务部 first"):
        records.move(app, ext, "closed")


def test_returned_pass_without_deposit_closes_and_lost_pass_forfeits_its_deposit(app: App) -> None:
    staff = passes.issue(app, {"applicant": "张三", "vehicle_category": "集团员工", "letter_reason": "上下班",
                               "documents": ["身份证"], "plate": "沪B54321"})
    assert passes.hand_back(app, staff["number"])["state"] == "closed"
    lost = passes.issue(app, external_pass(plate="沪D22222"), receipt="SJ-0003")["number"]
    assert passes.report_lost(app, lost, note="司机报告遗失")["state"] == "lost"
    with pytest.raises(Refused, match="reported lost"):
        passes.refund(app, lost, voucher="CW-3")
    st = status(record_query(app), datetime.fromisoformat(NOW))["passes"]
    assert st["lost"] == [lost] and st["deposits_forfeited"] == 50 and st["deposits_outstanding"] == 0


def test_a_pass_past_its_period_is_a_due_item(app: App) -> None:
    number = passes.issue(app, external_pass(period_until="2026-11-30"), receipt="SJ-0001")["number"]
    item = due_of(app, number, "2026-11-30T12:00:00")["pass.expiry"]
    assert item["due"] == "2026-11-30T23:59:59" and not item["overdue"] and item["dept"] == "采购部"
    assert due_of(app, number, "2026-12-01T08:00:00")["pass.expiry"]["overdue"]
    st = status(record_query(app), datetime.fromisoformat("2026-12-01T08:00:00"))["passes"]
    assert st["expired"] == [number]
    passes.renew(app, number, until="2027-05-31")
    assert due_of(app, number, "2026-12-01T08:00:00") == {}


# -- PDFs, figures and the command line --------------------------------------------------------------


@pytest.mark.slow
def test_repair_order_pdf_carries_the_service_voucher_and_the_pass_pdf_a_printable_card(app: App) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    from qms.render.pdf import render_pdf
    from qms.render.sources import record_page_of

    order = _order(app)
    arrive_and_complete(app, order, arrived="2026-11-02T09:05:00", completed="2026-11-02T09:40:00", charge=35,
                        charge_notified=True, materials=[{"name": "角阀", "qty": 1, "unit": "个", "unit_price": 18}],
                        work_done="更换角阀 <script>x</script>")
    card = passes.issue(app, external_pass(), receipt="SJ-0001")
    texts = {}
    for number in (order, card["number"]):
        pdf = render_pdf(record_page_of(app, records.get(app, number)))
        reader = PdfReader(BytesIO(pdf.data))
        texts[number] = "".join(page.extract_text() for page in reader.pages)
        fonts = {str(f.get("/BaseFont")) for p in reader.pages for f in (p["/Resources"].get("/Font") or {}).values()}
        assert any("CJK" in f for f in fonts)
    voucher = texts[order]
    for expected in ("服务凭证", "Service voucher", "王女士", "35.00 元", "18.00", "A 有偿", "<script>x</script>"):
        assert expected in voucher
    card_text = texts[card["number"]]
    for expected in ("园区车辆通行证", "沪A12345", "黄色", "有效期至 Valid until 2026-12-31", card["number"], "50.00 元"):
        assert expected in card_text


def test_figures_reach_the_dashboard_through_the_host(app: App) -> None:
    records.file(app, "QR-8.5-01", request(request_type="咨询", urgency=None))
    passes.issue(app, external_pass(), receipt="SJ-0001")
    figures = {f["id"]: f for f in app.host.figures(record_query(app), datetime.fromisoformat(NOW), app.calendar, app.workspace.config.raw)}
    assert figures["property.line_answer_rate"]["data"]["value"] == 100.0
    assert figures["property.line_answer_rate"]["data"]["unit"] == "%"
    assert figures["property.deposits_outstanding"]["data"]["value"] == 50
    assert figures["property.open_requests"]["data"] == [{"building": "A栋", "咨询": 1, "投诉": 0, "报修": 0, "其他": 0, "total": 1}]
    assert {f["kind"] for f in figures.values()} <= {"bar", "number", "table"}


def _cli(app: App, *args: str, input: str | None = None) -> Result:

    argv = ["--workspace", str(app.workspace.root), "--as", "qian", *args]
    return CliRunner().invoke(build(argv), argv, input=input, catch_exceptions=False)


def test_the_property_commands(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    fw = records.file(app, "QR-8.5-01", request())["number"]
    # Dispatched at 09:00, the first response is 5 minutes past its 08:55 limit: one line naming the field to give.
    result = _cli(app, "property", "request", "dispatch", fw, "--class", "A", "--technician", "张师傅")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "--set response_late_reason=" in result.output and "Traceback" not in result.output
    assert records.list_records(app, "QR-8.5-02") == []
    result = _cli(app, "property", "request", "dispatch", fw, "--class", "A", "--technician", "张师傅",
                  "--set", "response_late_reason=维修班长在另一现场")
    assert result.exit_code == 0, result.output
    assert "PG-2026-0001" in result.output and "arrive by 2026-11-02T09:10:00" in result.output
    assert records.get(app, "PG-2026-0001")["data"]["response_late_minutes"] == 5
    result = _cli(app, "property", "status", "--json")
    st = json.loads(result.output)
    assert st["repairs"]["open"] == 1 and st["requests"]["open_by_type"]["报修"] == 1
    result = _cli(app, "property", "status")
    assert "服务热线接通率 Service-line answer rate: 100.0%" in result.output
    # Bad input: one line, exit 1, nothing stored.
    result = _cli(app, "property", "pass", "issue", "--set", "applicant=某物流", "--set", "vehicle_category=外部车辆",
                  "--set", "handling_dept=采购部", "--set", "letter_reason=送货", "--set", "period_until=2026-12-31",
                  "--set", "plate=沪A12345", "--receipt", "SJ-1")
    assert result.exit_code == 1 and "one of the three is required" in result.output
    assert records.list_records(app, "QR-8.5-04") == []
    result = _cli(app, "property", "pass", "issue", "--set", "applicant=某物流", "--set", "vehicle_category=外部车辆",
                  "--set", "handling_dept=采购部", "--set", "letter_reason=送货", "--set", "period_until=2026-12-31",
                  "--set", "documents=驾驶证", "--set", "plate=沪A12345", "--receipt", "SJ-1")
    assert result.exit_code == 0 and "黄色 pass for 沪A12345, valid until 2026-12-31, deposit 50 元" in result.output
    assert _cli(app, "property", "pass", "return", "TX-2026-0001").exit_code == 0
    assert _cli(app, "property", "pass", "refund", "TX-2026-0001", "--voucher", "CW-1").exit_code == 0
    again = _cli(app, "property", "pass", "refund", "TX-2026-0001", "--voucher", "CW-2")
    assert again.exit_code == 1 and "only once" in again.output and len(again.output.strip().splitlines()) == 1
    ks = _cli(app, "property", "request", "handoff", records.file(app, "QR-8.5-01", complaint_request())["number"])
    assert ks.exit_code == 0 and "KS-2026-0001" in ks.output


def test_the_request_may_name_only_a_complaint_that_exists(app: App) -> None:
    fw = records.file(app, "QR-8.5-01", complaint_request())
    with pytest.raises(ValidationFailed, match="no complaint KS-2026-0042"):
        records.update(app, fw["number"], {"complaint_record": "KS-2026-0042"})
