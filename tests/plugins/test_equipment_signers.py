"""QP-7.1-01: purchase approval and calibration are signed by users of the right department or post.

A purchase over ¥2,000 is approved by a user of 物资管理部 (seed D7 3.1.1), named by user name, not
typed as free text. A calibration is recorded by, and its confirmation signed by, a user of 品质部 or
设备科 or one whose post is 计量员 or 设备管理员. The core checks ``x-ref: user`` fields against the
workspace's users (``x-ref-depts`` / ``x-ref-posts``) and the confirmation's ``posts``/``depts``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from qms_equipment import register, service

from qms.app import App
from qms.errors import Refused, ValidationFailed
from qms import forms
from qms.recordquery import record_query
from qms.site.app import create_app
from qms.web.record_pages import ref_choices
from tests.plugins.equipment_kit import PASSWORD, as_user, at, calibration, instrument, machine, make_app, registered


@pytest.fixture
def app(tmp_path: Path) -> App:
    return make_app(tmp_path)


def _purchase(approved_by: str) -> dict[str, object]:
    return machine(route="购置", price=5600, acceptance_purchasing="郑采购", acceptance_technical="冯技术",
                   purchase_approved_dept="物资管理部", purchase_approved_by=approved_by, purchase_approved_on="2026-01-02")


def test_a_purchase_over_2000_is_approved_by_a_user_of_物资管理部(app: App) -> None:
    card = registered(app, _purchase("xu"))
    assert card["data"]["purchase_approved_by"] == "xu"


@pytest.mark.parametrize(("approver", "says"), [
    ("徐物资", "'徐物资' is not a user of this workspace"),
    ("wang", "wang (王总经理) is not a user of 物资管理部"),
])
def test_a_purchase_approval_by_anyone_else_is_refused_and_stores_nothing(app: App, approver: str, says: str) -> None:
    with at("2026-01-08"), pytest.raises(ValidationFailed) as exc:
        service.register_equipment(as_user(app, "sun"), _purchase(approver))
    assert says in "\n".join(exc.value.problems)
    assert register.cards(record_query(app)) == []


def test_a_purchase_approval_by_a_deactivated_user_is_refused(app: App) -> None:
    app.users.deactivate("xu", "admin", "调离 transferred")
    with at("2026-01-08"), pytest.raises(ValidationFailed) as exc:
        service.register_equipment(as_user(app, "sun"), _purchase("xu"))
    assert "xu is deactivated" in "\n".join(exc.value.problems)


def _instrument(app: App) -> str:
    return str(registered(app, instrument())["data"]["equipment_no"])


def test_a_calibration_is_recorded_and_signed_by_a_metrology_user(app: App) -> None:
    number = _instrument(app)
    with at("2026-05-20T16:00:00"):
        rec = service.calibrate(as_user(app, "li"), number, calibration("2026-05-20", calibrated_by="li"), PASSWORD)
    assert rec["state"] == "closed"
    (sig,) = rec["signatures"]
    assert sig["name"] == "li" and sig["post"] == "计量员"


def test_a_calibration_by_a_typed_name_or_a_user_of_another_department_is_refused(app: App) -> None:
    number = _instrument(app)
    for name, says in (("李品质", "'李品质' is not a user of this workspace"),
                       ("xu", "xu (徐物资) is not a user of 品质部 or 设备科 nor holds the post 计量员 or 设备管理员")):
        with at("2026-05-20T16:00:00"), pytest.raises(ValidationFailed) as exc:
            service.calibrate(as_user(app, "li"), number, calibration("2026-05-20", calibrated_by=name), PASSWORD)
        assert says in "\n".join(exc.value.problems)
    assert app.store.keys("records") == [register.cards(record_query(app))[0]["number"]]


def test_a_calibration_confirmed_by_someone_outside_metrology_is_refused_in_one_line(app: App) -> None:
    number = _instrument(app)
    app.users.add("zhao", "department", "业务部", PASSWORD, actor="admin", full_name="赵业务", post="业务员")
    with at("2026-05-20T16:00:00"), pytest.raises(Refused) as exc:
        service.calibrate(as_user(app, "zhao"), number, calibration("2026-05-20", calibrated_by="li"), PASSWORD)
    message = str(exc.value)
    assert "\n" not in message and "needs post 计量员 or post 设备管理员 or department 品质部 or department 设备科" in message
    # The calibration filed inside the same unit of work is not kept.
    assert [r for r in record_query(app)(form=register.FORM_CALIBRATION)] == []


def test_the_web_form_offers_only_active_users_of_the_right_department_or_post(app: App) -> None:
    app.users.add("zhang", "department", "品质部", PASSWORD, actor="admin", full_name="张检验")
    app.users.deactivate("zhang", "admin", "离职")
    offered = ref_choices(app, forms.current_form(app, register.FORM_CALIBRATION))["user-calibrated_by"]
    assert [c["id"] for c in offered] == ["li", "sun"]  # xu (物资管理部) and wang are not offered, zhang left
    assert offered[0]["label"] == "李品质 · 品质部 · 计量员"
    approvers = ref_choices(app, forms.current_form(app, register.FORM_CARD))["user-purchase_approved_by"]
    assert [c["id"] for c in approvers] == ["xu"]


def test_the_web_form_draws_the_user_field_with_its_own_list(app: App) -> None:
    client = create_app(app, secret_key="test-secret").test_client()
    with client.get("/login") as page:
        token = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    client.post("/login", data={"name": "li", "password": PASSWORD, "csrf": token.group(1)})
    with client.get(f"/work/file/{register.FORM_CALIBRATION}") as r:
        html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:300]
    assert 'list="ref-user-calibrated_by"' in html and '<datalist id="ref-user-calibrated_by">' in html
    assert '<option value="li">李品质 · 品质部 · 计量员</option>' in html and 'value="xu"' not in html


def test_a_failed_calibrations_impact_is_assessed_by_a_user_of_品质部(app: App) -> None:
    number = _instrument(app)
    with at("2026-05-20T16:00:00"):
        failed = service.calibrate(as_user(app, "li"), number, calibration("2026-05-20", "不合格"), PASSWORD)
    with at("2026-05-21"), pytest.raises(ValidationFailed) as exc:
        service.assess(as_user(app, "li"), failed["number"], "无影响", "sun")
    assert "sun (孙设备) is not a user of 品质部" in "\n".join(exc.value.problems)
    with at("2026-05-21"), pytest.raises(ValidationFailed):
        service.assess(as_user(app, "li"), failed["number"], "无影响", "李品质")
    with at("2026-05-21"):
        assert service.assess(as_user(app, "li"), failed["number"], "无影响", "li")["state"] == "closed"
