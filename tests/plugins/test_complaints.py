"""QP-8.2-01 customer complaints: severity, validation, both branches, closing rules, time limits, escalation, visits.

Everything runs through the real engines (records, due, validation) on a real workspace in
``tmp_path``, with the complaints plugin as the only procedure plugin.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from qms_complaints import categories, rules, severity
from qms_complaints import due as complaint_due
from qms_complaints.forms import REPLY_APPROVAL, VERIFICATION

from qms import due, forms, records, validation
from qms.app import App
from qms.errors import Refused, ValidationFailed
from qms.dates import WorkCalendar
from qms.workspace import Workspace
from tests.plugins.complaints_kit import (
    CAUSES,
    CUSTOMER,
    INTERNAL,
    as_user,
    at,
    complaint,
    file,
    make_app,
    step,
    to_investigating,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prepared workspace with users, copied for each test."""
    return make_app(tmp_path_factory.mktemp("template")).workspace.root


@pytest.fixture
def app(tmp_path: Path, template: Path) -> App:
    return make_app(tmp_path, template)


# -- severity -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "level"), [(9999.99, "一般"), (10000, "特殊重大"), (10000.01, "特殊重大"), (25000, "特殊重大")])
def test_amount_of_ten_thousand_and_above_is_special_major(amount: float, level: str) -> None:
    # 以上 includes the bound: ¥10,000 itself counts.
    assert severity.assess({"amount_involved": amount}).level == level


def test_an_amount_of_exactly_ten_thousand_is_special_major_from_intake(app: App) -> None:
    number = file(app, amount_involved=10000)
    data = records.get(app, number)["data"]
    assert data["severity"] == "特殊重大" and data["gm_notified_level"] == "特殊重大"
    assert "¥10,000.00" in _notices(app, number)[0]["detail"]["message"]


@pytest.mark.parametrize(("count", "level"), [(1, "一般"), (9, "一般"), (10, "特殊重大"), (12, "特殊重大")])
def test_collective_complaint_counts_from_ten(count: int, level: str) -> None:
    assert severity.assess({"complainant_count": count}).level == level


def test_two_months_open_means_strictly_later_than_two_calendar_months() -> None:
    data = {"received_at": "2026-09-02T09:00:00"}
    assert severity.assess(data, datetime(2026, 11, 2, 9, 0, 0)).level == "一般"
    assert severity.assess(data, datetime(2026, 11, 2, 9, 0, 1)).level == "特殊重大"
    # The customer's own delay does not count against the company.
    assert severity.assess({**data, "delay_customer_caused": True}, datetime(2027, 1, 1)).level == "一般"
    # A month without the same day ends on its last day: 31 August + 2 months is 31 October.
    assert severity.escalation_due({"received_at": "2026-08-31T10:00:00"}) == datetime(2026, 10, 31, 10, 0)


@pytest.mark.parametrize("flag", ["compensation_claimed", "safety_involved", "referred_by_authority", "repeated_repairs"])
def test_major_triggers(flag: str) -> None:
    found = severity.assess({flag: True})
    assert found.level == "重大" and len(found.triggers) == 1


@pytest.mark.parametrize("flag", ["legal_action", "media_exposure"])
def test_special_major_flags(flag: str) -> None:
    assert severity.assess({flag: True, "compensation_claimed": True}).level == "特殊重大"


def test_a_person_may_raise_the_level_with_a_reason_but_never_lower_it(app: App) -> None:
    zhao = as_user(app, "zhao")
    with pytest.raises(ValidationFailed) as lowered:
        records.file(zhao, "QR-8.2-01", complaint(compensation_claimed=True, severity="一般"))
    assert "一般 is below the computed level 重大" in str(lowered.value.problems)
    with pytest.raises(ValidationFailed) as unexplained:
        records.file(zhao, "QR-8.2-01", complaint(severity="重大"))
    assert any("severity_reason" in p for p in unexplained.value.problems)
    assert records.list_records(app, "QR-8.2-01") == []  # nothing stored by the refused filings
    raised = records.file(zhao, "QR-8.2-01", complaint(severity="重大", severity_reason="客户为大客户，已扬言投诉到媒体"))
    assert severity.effective(raised["data"]) == "重大"


def test_new_facts_raise_the_level_in_force_and_notify_the_general_manager_at_once(app: App) -> None:
    number = file(app, severity="一般")
    with at("2026-10-12T09:06:00"):
        records.update(as_user(app, "zhao"), number, {"complainant_count": 11})
    data = records.get(app, number)["data"]
    assert data["severity"] == "特殊重大" and severity.effective(data) == "特殊重大"
    assert data["gm_notified_level"] == "特殊重大" and data["gm_notified_at"] == "2026-10-12T09:06:00"
    assert [n["detail"]["message"].split()[1] for n in _notices(app, number)] == ["特殊重大"]


def test_a_severe_complaint_shows_its_level_and_notifies_the_general_manager_at_intake(app: App) -> None:
    with at("2026-10-12T09:05:00"):
        filed = records.file(as_user(app, "zhao"), "QR-8.2-01", complaint(complainant_count=10))
    # The record handed back and the one stored both show the level at once, in state received.
    assert filed["state"] == "received" and filed["data"]["severity"] == "特殊重大"
    stored = records.get(app, filed["number"])
    assert stored["data"]["severity"] == "特殊重大" and stored["data"]["gm_notified_level"] == "特殊重大"
    notes = _notices(app, filed["number"])
    assert len(notes) == 1 and notes[0]["detail"]["to"] == "总经理" and "10 人集体投诉" in notes[0]["detail"]["message"]
    actions = [e["action"] for e in records.audit_trail(app, filed["number"])]
    # The second notice is the nonconformity a 特殊重大 complaint raises, told to 质量管理部 (no NCR plugin here).
    assert actions == ["record.file", "record.update", "record.notify", "record.notify"]
    # A general complaint gets no notice and no level written for it.
    plain = file(app)
    assert _notices(app, plain) == [] and "severity" not in records.get(app, plain)["data"]


# -- form validation ----------------------------------------------------------------------------


def test_category_lists_are_read_from_the_form_and_include_the_property_categories(app: App) -> None:
    found = categories.from_form(forms.current_form(app, "QR-8.2-01"))
    assert found["补件"] == ["缺件", "错件", "坏件"]
    assert found["整件质量问题"] == ["色差", "变形", "变色", "手工差", "爆裂", "不美观"]
    assert {"渗漏", "粉刷", "安装", "污损"} <= set(found["物业质量"])
    assert {"保安", "保洁", "绿化", "维修", "服务"} <= set(found["物业管理"])
    assert found["退货"] == [] and found["其他"] == []
    for name in ("合同问题", "规划设计配套", "服务问题", "服务"):
        assert found[name]


def test_every_property_sub_category_is_accepted_and_a_mismatch_is_one_line(app: App) -> None:
    from qms_property.forms import COMPLAINT_CATEGORIES

    form = forms.current_form(app, "QR-8.2-01")
    for category, subs in COMPLAINT_CATEGORIES.items():
        for sub in subs:
            data = complaint(category=category, sub_category=sub, channel="转交", transferred_via="物业公司")
            assert validation.problems(app, form, data) == [], (category, sub)
    wrong = validation.problems(app, form, complaint(category="补件", sub_category="色差"))
    assert wrong == ["sub_category (子类别 Sub-category): must be one of 缺件, 错件, 坏件, not '色差'"]
    missing = validation.problems(app, form, complaint(channel="转交", sub_category=None))
    assert len(missing) == 2 and any("transferred_via" in p for p in missing) and any("sub_category" in p for p in missing)


def test_dates_must_not_come_before_receipt(app: App) -> None:
    form = forms.current_form(app, "QR-8.2-01")
    found = validation.problems(app, form, complaint(closed_at="2026-10-11", replied_at="2026-10-11T10:00:00",
                                                     goods_returned=True, return_method="快递",
                                                     goods_received_at="2026-10-13T10:00:00",
                                                     analysis_completed_at="2026-10-12T10:00:00"))
    assert len(found) == 3
    assert any(p.startswith("closed_at (结案日期 Closing date): the complaint cannot close before") for p in found)
    assert any(p.startswith("replied_at") for p in found)
    assert any("before the returned goods arrived" in p for p in found)


# -- lateness -----------------------------------------------------------------------------------


def test_registration_on_the_30th_minute_is_on_time_and_leaves_no_lateness(app: App) -> None:
    number = file(app)  # received 09:00
    step(app, number, "zhao", "2026-10-12T09:30:00", "registered")
    data = records.get(app, number)["data"]
    assert "register_late_minutes" not in data and "register_late_reason" not in data


def test_a_late_registration_needs_a_reason_and_records_how_late_it_was(app: App) -> None:
    number = file(app)  # received 09:00, due registered by 09:30
    before = records.get(app, number)
    with pytest.raises(Refused) as refused:
        step(app, number, "zhao", "2026-10-12T09:31:00", "registered")
    message = str(refused.value)
    assert "\n" not in message and "--set register_late_reason=" in message and "30-minute" in message
    assert records.get(app, number) == before  # nothing changed by the refusal
    step(app, number, "zhao", "2026-10-12T09:42:00", "registered", {"register_late_reason": "周一早会，接线员离席"})
    data = records.get(app, number)["data"]
    assert data["register_late_minutes"] == 12 and data["register_late_reason"] == "周一早会，接线员离席"
    trail = records.audit_trail(app, number)
    assert any(e["action"] == "record.update" and "登记超时" in e.get("reason", "") for e in trail)


def test_a_late_assignment_needs_a_reason_and_records_how_late_it_was(app: App) -> None:
    number = file(app)
    step(app, number, "zhao", "2026-10-12T09:10:00", "registered")  # due assigned by 09:40
    who = {"responsible_dept": "生产部", "responsible_person": "张生产"}
    with pytest.raises(Refused, match="--set assign_late_reason="):
        step(app, number, "zhao", "2026-10-12T09:41:00", "assigned", who)
    step(app, number, "zhao", "2026-10-12T09:41:00", "assigned", {"assign_late_reason": "等待生产部确认责任人"})
    assert records.get(app, number)["data"]["assign_late_minutes"] == 1


# -- routing, notification and the customer-caused branch --------------------------------------


def _notices(app: App, number: str) -> list[dict[str, Any]]:
    # The general manager's notices; a 特殊重大 complaint's nonconformity note to 质量管理部 (no NCR plugin here) is not one.
    return [e for e in records.audit_trail(app, number)
            if e.get("action") == "record.notify" and "nonconformity" not in (e.get("detail") or {})]


def test_registration_routes_by_nature_and_a_major_complaint_notifies_the_general_manager(app: App) -> None:
    quality = file(app, compensation_claimed=True)
    other = file(app, nature="非质量", category="服务问题", sub_category="员工工作态度")
    step(app, quality, "zhao", "2026-10-12T09:10:00", "registered")
    step(app, other, "zhao", "2026-10-12T09:10:00", "registered")
    assert records.get(app, quality)["data"]["host_dept"] == "品质部"
    assert records.get(app, other)["data"]["host_dept"] == "业务部"
    notes = _notices(app, quality)
    assert len(notes) == 1 and notes[0]["detail"]["to"] == "总经理" and "重大" in notes[0]["detail"]["message"]
    assert records.get(app, quality)["data"]["gm_notified_level"] == "重大"
    assert _notices(app, other) == []
    # Raised to 特殊重大 later: the general manager is told again when the fact is recorded, once.
    with at("2026-10-12T09:15:00"):
        records.update(as_user(app, "zhao"), quality, {"complainant_count": 10})
    assert [n["detail"]["message"].split()[1] for n in _notices(app, quality)] == ["重大", "特殊重大"]
    step(app, quality, "zhao", "2026-10-12T09:20:00", "assigned", {"responsible_dept": "生产部", "responsible_person": "张"})
    step(app, quality, "li", "2026-10-12T09:30:00", "investigating")
    assert [n["detail"]["message"].split()[1] for n in _notices(app, quality)] == ["重大", "特殊重大"]


def test_customer_caused_branch_needs_the_approval_of_management(app: App) -> None:
    number = file(app)
    to_investigating(app, number)
    with pytest.raises(Refused, match="internal causes go to cause_analysis"):
        step(app, number, "li", "2026-10-13T09:00:00", "reply_drafted", {**CUSTOMER, "responsibility": "公司内部"})
    step(app, number, "li", "2026-10-13T09:00:00", "reply_drafted", {"responsibility": "客户原因"})
    with pytest.raises(Refused, match="needs one of: approver"):
        step(app, number, "zhao", "2026-10-13T10:00:00", "reply_approved", sign=True)
    with pytest.raises(Refused, match="signed act"):
        step(app, number, "chen", "2026-10-13T10:00:00", "reply_approved")
    step(app, number, "chen", "2026-10-13T10:00:00", "reply_approved", sign=True)
    record = records.get(app, number)
    assert [s["name"] for s in record["signatures"] if s["meaning"] == REPLY_APPROVAL] == ["chen"]
    assert record["data"]["reply_approved_sha256"] == rules.text_sha256(CUSTOMER["reply_text"])
    step(app, number, "zhao", "2026-10-13T11:00:00", "replied", {"replied_at": "2026-10-13T10:55:00", "reply_method": "电话"})
    # The reply text changed after approval: closing is refused on that approval.
    with at("2026-10-13T11:30:00"):
        records.update(as_user(app, "zhao"), number, {"reply_text": "另一个答复", "closed_at": "2026-10-13"})
    with pytest.raises(Refused, match="reply_text was changed after it was approved"):
        step(app, number, "li", "2026-10-13T12:00:00", "closed")
    with at("2026-10-13T12:01:00"):
        records.update(as_user(app, "zhao"), number, {"reply_text": CUSTOMER["reply_text"]})
    closed = step(app, number, "li", "2026-10-13T12:05:00", "closed")["record"]
    assert closed["closed"] and closed["state"] == "closed"


# -- the internal branch ------------------------------------------------------------------------


def test_internal_branch_verification_by_someone_owning_no_action(app: App) -> None:
    number = file(app)
    to_investigating(app, number)
    step(app, number, "li", "2026-10-12T15:00:00", "cause_analysis", INTERNAL)
    with pytest.raises(Refused, match="missing fields: state corrective_action requires main_causes"):
        step(app, number, "sun", "2026-10-13T09:00:00", "corrective_action")
    step(app, number, "sun", "2026-10-13T09:00:00", "corrective_action", CAUSES)
    with pytest.raises(Refused) as refused:
        step(app, number, "li", "2026-10-20T09:00:00", "verified", {"verification_result": "有效"}, sign=True)
    assert "action 1 (校准温控器) owned by sun is not done" in str(refused.value)
    done = [{**CAUSES["actions"][0], "done_at": "2026-10-19"}]
    with at("2026-10-20T09:01:00"):
        records.update(as_user(app, "sun"), number, {"actions": done})
    # sun owns the action: he may not verify it, even with the quality department's permission.
    app.users.add("sun2", "quality_officer", "品质部", "demo-pass-2026", actor="admin")
    with at("2026-10-20T09:02:00"):
        records.update(as_user(app, "li"), number, {"actions": [{**done[0], "owner": "sun2"}]})
    with pytest.raises(Refused, match="sun2 owns a corrective action and may not verify"):
        step(app, number, "sun2", "2026-10-20T09:05:00", "verified", sign=True)
    step(app, number, "li", "2026-10-20T09:10:00", "verified", sign=True)
    assert [s["name"] for s in records.get(app, number)["signatures"] if s["meaning"] == VERIFICATION] == ["li"]
    with pytest.raises(Refused, match="no closing date: set closed_at"):
        step(app, number, "li", "2026-10-21T09:00:00", "closed")
    step(app, number, "li", "2026-10-21T09:05:00", "closed", {"closed_at": "2026-10-21"})
    assert records.get(app, number)["closed"]


def test_returned_goods_must_be_analysed_before_the_investigation_ends(app: App) -> None:
    number = file(app, goods_returned=True, return_method="快递")
    to_investigating(app, number)
    with pytest.raises(Refused) as refused:
        step(app, number, "li", "2026-10-13T09:00:00", "cause_analysis", INTERNAL)
    reasons = str(refused.value)
    assert "goods_received_at" in reasons and "analysis_result" in reasons


def _envelope(data: dict[str, Any], signatures: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"number": "KS-2026-0001", "form": "QR-8.2-01", "state": "replied",
            "data": {"received_at": "2026-10-12T09:00:00", **data}, "signatures": signatures or []}


def test_each_failed_closing_rule_is_one_line() -> None:
    lines = rules.closing_problems(_envelope({"responsibility": "客户原因", "closed_at": "2026-10-11"}))
    assert lines == [
        "no investigation result: record investigation_result before closing",
        "customer-caused: the reply has no approval signature of 管理者代表 or 总经理; move it to reply_approved first",
        "customer-caused: the reply to the customer is not recorded: set replied_at and reply_method",
        "closing date 2026-10-11 is before the receipt date 2026-10-12; correct closed_at",
    ]
    internal = rules.closing_problems(_envelope({"responsibility": "公司内部", "investigation_result": "x"}))
    assert internal == [
        "internal: no main causes: record main_causes (and secondary_causes where there are any)",
        "internal: no corrective or preventive action: add at least one to actions",
        "internal: the effectiveness verification is not signed; move it to verified first",
        "no closing date: set closed_at",
    ]
    by_owner = rules.closing_problems(_envelope({**INTERNAL, **CAUSES, "closed_at": "2026-10-12"},
                                                [{"meaning": VERIFICATION, "name": "sun"}]))
    assert by_owner == ["internal: the verification was signed by an action owner (sun); someone who owns no action must verify"]
    assert rules.closing_problems(_envelope({**INTERNAL, **CAUSES, "closed_at": "2026-10-12"},
                                            [{"meaning": VERIFICATION, "name": "li"}])) == []
    assert rules.closing_problems(_envelope({"investigation_result": "x", "closed_at": "2026-10-12"})) == [
        "no responsibility decided: set responsibility to 客户原因 or 公司内部"]


# -- time limits --------------------------------------------------------------------------------


def _items(app: App, now: str, ref: str) -> dict[str, dict[str, Any]]:
    found = due.due_items(app, datetime.fromisoformat(now)).items
    return {str(i.get("deadline")): i for i in found if i["ref"] == ref}


def test_registration_and_assignment_within_thirty_minutes(app: App) -> None:
    number = file(app)
    items = _items(app, "2026-10-12T09:30:00", number)
    assert items["register"]["due"] == "2026-10-12T09:30:00" and not items["register"]["overdue"]
    assert _items(app, "2026-10-12T09:30:01", number)["register"]["overdue"]
    step(app, number, "zhao", "2026-10-12T09:40:00", "registered", {"register_late_reason": "接线员同时处理另一来电"})
    items = _items(app, "2026-10-12T10:10:00", number)
    assert "register" not in items
    assert items["assign"]["due"] == "2026-10-12T10:10:00" and not items["assign"]["overdue"]
    assert _items(app, "2026-10-12T10:10:01", number)["assign"]["overdue"]


def test_returned_goods_analysis_over_the_national_day_holiday(app: App) -> None:
    # Goods arrive on Tuesday 29 September; 1–7 October are off, Saturday 10 October is a working day.
    number = file(app, "2026-09-29T09:05:00", received_at="2026-09-29T09:00:00", goods_returned=True, return_method="物流")
    to_investigating(app, number, "2026-09-29")
    with at("2026-09-29T10:05:00"):
        records.update(as_user(app, "li"), number, {"goods_received_at": "2026-09-29T10:00:00"})
    item = _items(app, "2026-10-14T10:00:00", number)["analysis"]
    assert item["due"] == "2026-10-14T10:00:00" and not item["overdue"]
    assert _items(app, "2026-10-14T10:00:01", number)["analysis"]["overdue"]
    assert complaint_due.analysis_due({"goods_returned": True, "goods_received_at": "2026-09-30T16:00:00"},
                                      WorkCalendar()) == datetime(2026, 10, 15, 16, 0)
    with at("2026-10-13T17:00:00"):
        records.update(as_user(app, "li"), number, {"analysis_result": "ΔE 3.1", "analysis_completed_at": "2026-10-13T16:00:00"})
    assert "analysis" not in _items(app, "2026-10-20T00:00:00", number)


def test_escalation_after_two_months_is_applied_and_announced_once(app: App) -> None:
    number = file(app, "2026-08-20T10:10:00", received_at="2026-08-20T10:00:00")
    to_investigating(app, number, "2026-08-20")
    item = _items(app, "2026-10-20T10:00:00", number)["escalation"]
    assert item["due"] == "2026-10-20T10:00:00" and not item["overdue"]
    from qms_complaints import service

    li = as_user(app, "li")
    with at("2026-10-20T10:00:00"):
        assert service.escalate(li) == []
        with pytest.raises(Refused, match="nothing to escalate"):
            records.move(li, number, "investigating")
    with at("2026-10-20T10:00:01"):
        done = service.escalate(li)
    assert [d["number"] for d in done] == [number]
    data = records.get(app, number)["data"]
    assert data["severity"] == "特殊重大" and data["escalated_at"] == "2026-10-20T10:00:01"
    assert data["gm_notified_level"] == "特殊重大"
    assert len(_notices(app, number)) == 1
    with at("2026-10-21T10:00:00"):
        assert service.escalate(li) == []
    assert severity.effective(data) == "特殊重大"


def test_action_and_follow_up_due_items(app: App) -> None:
    number = file(app)
    to_investigating(app, number)
    step(app, number, "li", "2026-10-12T15:00:00", "cause_analysis", INTERNAL)
    step(app, number, "sun", "2026-10-13T09:00:00", "corrective_action", CAUSES)
    item = _items(app, "2026-10-21T00:00:00", number)["action-1"]
    assert item["due"] == "2026-10-20T23:59:59" and item["overdue"] and item["owner"] == "sun"


# -- follow-up visits ---------------------------------------------------------------------------


def _closed_customer_complaint(app: App) -> str:
    number = file(app)
    to_investigating(app, number)
    step(app, number, "li", "2026-10-13T09:00:00", "reply_drafted", CUSTOMER)
    step(app, number, "wang", "2026-10-13T10:00:00", "reply_approved", sign=True)
    step(app, number, "zhao", "2026-10-13T11:00:00", "replied", {"replied_at": "2026-10-13T10:55:00", "reply_method": "书面"})
    step(app, number, "li", "2026-10-13T12:00:00", "closed",
         {"closed_at": "2026-10-13", "follow_up_due": "2026-10-20", "follow_up_method": "电话沟通"})
    return number


def test_follow_up_visit_is_linked_to_a_closed_complaint(app: App) -> None:
    from qms_complaints import service

    open_one = file(app)
    zhao = as_user(app, "zhao")
    visit = {"visited_at": "2026-10-14T10:00:00", "method": "电话沟通", "satisfaction": "满意"}
    with pytest.raises(ValidationFailed, match="still open"):
        service.file_visit(zhao, {**visit, "complaint": open_one})
    with pytest.raises(ValidationFailed, match="no complaint KS-2026-0099"):
        service.file_visit(zhao, {**visit, "complaint": "KS-2026-0099"})
    number = _closed_customer_complaint(app)
    assert _items(app, "2026-10-21T00:00:00", number)["follow-up"]["overdue"]
    with pytest.raises(ValidationFailed) as unhappy:
        service.file_visit(zhao, {**visit, "complaint": number, "satisfaction": "不满意"})
    assert len(unhappy.value.problems) == 2
    filed = service.file_visit(zhao, {**visit, "complaint": number})
    assert filed["number"] == "HF-2026-0001" and service.visits_of(app, number)[0]["number"] == filed["number"]
    assert "follow-up" not in _items(app, "2026-10-21T00:00:00", number)


def test_a_company_closing_day_in_qms_toml_moves_the_analysis_due_item(app: App) -> None:
    # The same returned goods as above, but the company also closes on Monday 12 October.
    config = app.workspace.root / "qms.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("holidays = []", 'holidays = ["2026-10-12"]'),
                      encoding="utf-8")
    app = App(Workspace.open(app.workspace.root), app.host)
    number = file(app, "2026-09-29T09:05:00", received_at="2026-09-29T09:00:00", goods_returned=True, return_method="物流")
    to_investigating(app, number, "2026-09-29")
    with at("2026-09-29T10:05:00"):
        records.update(as_user(app, "li"), number, {"goods_received_at": "2026-09-29T10:00:00"})
    assert _items(app, "2026-10-14T10:00:00", number)["analysis"]["due"] == "2026-10-15T10:00:00"
