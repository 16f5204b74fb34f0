"""QP-7.1-01: purchase approval and calibration are signed by users of the right department or post.

A purchase of ¥2,000 or more is registered awaiting approval and goes into use only when a user of
物资管理部 (seed D7 3.1.1) signs the approval with their password; the one who registered it may not.
A calibration is recorded by, and its confirmation signed by, a user of 品质部 or 设备科 or one whose
post is 计量员 or 设备管理员. The core checks ``x-ref: user`` fields against the workspace's users
(``x-ref-depts`` / ``x-ref-posts``) and the confirmation's ``posts``/``depts``.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from qms_equipment import register, service

from qms.app import App
from qms.cli import make_cli
from qms.errors import QMSError, Refused, UsageError, ValidationFailed
from qms import forms, records
from qms.recordquery import record_query
from qms.site.app import create_app
from qms.web.record_pages import ref_choices
from tests.plugins.equipment_kit import PASSWORD, as_user, at, calibration, instrument, machine, make_app, registered


@pytest.fixture
def app(tmp_path: Path) -> App:
    return make_app(tmp_path)


def _purchase(**over: object) -> dict[str, object]:
    return machine(**{"route": "购置", "price": 5600, "acceptance_purchasing": "郑采购", "acceptance_technical": "冯技术",
                      **over})


def _approve(app: App, number: str, who: str, password: str = PASSWORD) -> dict[str, object]:
    with at("2026-01-09T10:00:00"):
        return service.approve_purchase(as_user(app, who), number, password)


@pytest.mark.parametrize(("price", "state"), [(1999.99, "in_use"), (2000, "awaiting_approval"), (5600, "awaiting_approval")])
def test_a_purchase_of_2000_or_more_is_registered_awaiting_the_signed_approval(app: App, price: float, state: str) -> None:
    # 二千元以上 includes the bound: a purchase of exactly ¥2,000 waits for 物资管理部's signature too.
    card = registered(app, _purchase(price=price))
    assert card["state"] == state
    assert card["signatures"] == []


def test_a_purchase_awaiting_approval_cannot_be_put_in_use_without_the_signature(app: App) -> None:
    card = registered(app, _purchase())
    with at("2026-01-09"), pytest.raises(Refused, match="signed act"):
        records.move(as_user(app, "xu"), card["number"], "in_use")  # no password: no signature, no move
    for target in ("standby", "idle", "repair"):
        with at("2026-01-09"), pytest.raises(Refused, match=f"no transition from awaiting_approval to {target}"):
            records.move(as_user(app, "sun"), card["number"], target)
    with at("2026-01-09"), pytest.raises(UsageError, match="approve-purchase"):
        service.set_status(as_user(app, "sun"), card["number"], "在用", "投入使用")
    assert records.get(app, card["number"])["state"] == "awaiting_approval"


def test_the_purchase_approval_needs_the_password_of_a_物资管理部_user(app: App) -> None:
    card = registered(app, _purchase())
    with pytest.raises(Refused, match="needs department 物资管理部"):
        _approve(app, card["number"], "wang")  # 总经理, right password, wrong department
    with pytest.raises(Refused, match="needs department 物资管理部"):
        _approve(app, card["number"], "li")
    with pytest.raises(QMSError, match="wrong password"):
        _approve(app, card["number"], "xu", password="wrong-password")
    kept = records.get(app, card["number"])
    assert kept["state"] == "awaiting_approval" and kept["signatures"] == []
    approved = _approve(app, card["number"], "xu")
    assert approved["state"] == "in_use"
    (sig,) = approved["signatures"]
    assert (sig["name"], sig["post"], sig["meaning"]) == ("xu", "物资管理部经理", "批准采购 purchase approved")
    assert sig["at"].startswith("2026-01-09T10:00")


def test_the_registering_user_cannot_approve_their_own_purchase(app: App) -> None:
    app.users.add("qian", "department", "物资管理部", PASSWORD, actor="admin", full_name="钱物资", post="物资管理员")
    with at("2026-01-08"):
        card = service.register_equipment(as_user(app, "qian"), _purchase())
    with pytest.raises(Refused, match="registered it and may not approve its own purchase"):
        _approve(app, card["number"], "qian")
    assert records.get(app, card["number"])["signatures"] == []
    assert _approve(app, card["number"], "xu")["state"] == "in_use"


def test_a_new_card_may_not_carry_a_typed_purchase_approver(app: App) -> None:
    with at("2026-01-08"), pytest.raises(ValidationFailed) as exc:
        service.register_equipment(as_user(app, "sun"), _purchase(purchase_approved_dept="物资管理部",
                                                                  purchase_approved_by="xu", purchase_approved_on="2026-01-02"))
    assert "is signed by a user of 物资管理部" in "\n".join(exc.value.problems)
    assert register.cards(record_query(app)) == []


def test_raising_a_card_in_use_to_a_purchase_of_2000_or_more_does_not_bypass_the_signature(app: App) -> None:
    card = registered(app, _purchase(price=1800))
    with at("2026-01-09"), pytest.raises(ValidationFailed) as exc:
        records.update(as_user(app, "sun"), card["number"], {"price": 2600})
    assert "cannot become a purchase of ¥2,000 or more" in "\n".join(exc.value.problems)
    approved = _approve(app, registered(app, _purchase(equipment_no="101002"))["number"], "xu")
    with at("2026-01-10"):
        assert records.update(as_user(app, "sun"), approved["number"], {"price": 7000})["data"]["price"] == 7000


def test_the_approval_is_signed_through_the_cli_and_the_card_pdf_shows_the_signers_post(app: App, tmp_path: Path) -> None:
    card = registered(app, _purchase())
    cli = make_cli(app.host)
    base = ["--workspace", str(app.workspace.root)]
    with at("2026-01-09T10:00:00"):
        refused = CliRunner().invoke(cli, [*base, "--as", "sun", "equipment", "approve-purchase", "101001"])
        assert refused.exit_code != 0 and "Traceback" not in refused.output
        assert "registered it and may not approve its own purchase" in refused.output
        done = CliRunner().invoke(cli, [*base, "--as", "xu", "equipment", "approve-purchase", "101001",
                                        "--password-stdin"], input=PASSWORD + "\n")
    assert done.exit_code == 0, done.output
    assert "101001" in done.output and "徐物资" in done.output
    out = tmp_path / "card.pdf"
    with at("2026-01-10T09:00:00"):
        r = CliRunner().invoke(cli, [*base, "--as", "sun", "equipment", "card", card["number"], "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "采购批准" in text and "徐物资" in text and "物资管理部经理" in text and "2026-01-09 10:00" in text


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


def test_the_web_workspace_shows_the_purchase_approval_as_a_signing_box_and_signs_it(app: App) -> None:
    card = registered(app, _purchase())
    client = create_app(app, secret_key="test-secret").test_client()
    with client.get("/login") as page:
        token = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    client.post("/login", data={"name": "xu", "password": PASSWORD, "csrf": token.group(1)})
    with at("2026-01-09T10:00:00"), client.get(f"/work/records/{card['number']}") as r:
        html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:300]
    assert 'class="move signed" data-target="in_use"' in html and "批准采购 purchase approved" in html
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    assert csrf
    with at("2026-01-09T10:00:00"):
        client.post(f"/work/records/{card['number']}/move", data={"target": "in_use", "csrf": csrf.group(1)})
        assert records.get(app, card["number"])["state"] == "awaiting_approval"  # no password, no signature
        client.post(f"/work/records/{card['number']}/move", data={"target": "in_use", "password": PASSWORD,
                                                             "csrf": csrf.group(1)})
    signed = records.get(app, card["number"])
    assert signed["state"] == "in_use" and signed["signatures"][0]["name"] == "xu"


def test_a_purchase_awaiting_approval_is_not_yet_counted_in_the_intact_rate(app: App) -> None:
    from qms_equipment.figures import intact_rate

    registered(app, machine())
    registered(app, _purchase(equipment_no="101002"))
    with at("2026-01-09T10:00:00"):
        rate = intact_rate(record_query(app), datetime.fromisoformat("2026-01-09T10:00:00"))
    assert (rate["data"]["good"], rate["data"]["total"]) == (1, 1)


def test_a_purchase_registered_with_another_status_is_refused_and_stores_nothing(app: App) -> None:
    with at("2026-01-08"), pytest.raises(UsageError, match="change its status after the approval"):
        service.register_equipment(as_user(app, "sun"), _purchase(), state="备用")
    assert register.cards(record_query(app)) == []


def test_the_approval_is_also_the_signed_record_move_to_in_use(app: App) -> None:
    card = registered(app, _purchase())
    base = ["--workspace", str(app.workspace.root), "--as", "xu", "record", "move", card["number"], "in_use"]
    with at("2026-01-09T10:00:00"):
        r = CliRunner().invoke(make_cli(app.host), [*base, "--password-stdin"], input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    (sig,) = records.get(app, card["number"])["signatures"]
    assert (sig["name"], sig["post"]) == ("xu", "物资管理部经理")
