"""The web workspace through Flask's test client over a real workspace with every shipped plugin.

Filing from the generated form (and each kind of bad input the form can receive, none of which
stores anything), drafts, moves and signed moves, amendments, document control, My work, the
plugins' boards, the language switch, escaping, and an auditor refused on every POST route.
"""

from __future__ import annotations

import io
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import webkit
from flask import Flask
from flask.testing import FlaskClient

from qms.backend import copy_workspace
from qms import distribution, documents, drafts, records, validation
from qms.app import App
from qms.forms import current_form
from qms.site.app import create_app
from qms.workspace import find_workspace

COMPLAINT = webkit.COMPLAINT


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web") / "ws"
    webkit.build(root)
    return root


@pytest.fixture
def app(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("QMS_NOW", webkit.NOW)
    root = tmp_path / "ws"
    copy_workspace(built, root)
    return App(find_workspace(str(root)), webkit.host())


@pytest.fixture
def flask_app(app: App) -> Flask:
    flask = create_app(app, secret_key="k" * 64)
    flask.config["TESTING"] = True
    return flask


@pytest.fixture
def client(flask_app: Flask) -> Iterator[FlaskClient]:
    with flask_app.test_client() as c:
        yield c


def as_(client: FlaskClient, name: str) -> FlaskClient:
    assert webkit.login(client, name).status_code == 302
    return client


def audit_count(app: App) -> int:
    return sum(1 for _ in app.store.audit.entries())


def token(client: FlaskClient, url: str = "/work/") -> str:
    return webkit.csrf(client.get(url).text)


def complaint_form(**over: str) -> dict[str, str]:
    data = {"received_at": "2026-11-02T08:40", "channel": "电话", "customer": "华美家具有限公司",
            "content": "餐椅颜色与色板不符。", "nature": "质量", "category": "整件质量问题", "sub_category": "色差"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def file_complaint(client: FlaskClient, **over: str) -> str:
    page = client.get(f"/work/file/{COMPLAINT}")
    sent = client.post(f"/work/file/{COMPLAINT}", data={"csrf": webkit.csrf(page.text), "action": "file",
                                                       **complaint_form(**over)})
    assert sent.status_code == 302, sent.text
    return re.search(r"/work/records/([^?]+)", sent.headers["Location"]).group(1)  # type: ignore[union-attr]


# -- landing and My work -----------------------------------------------------------------------


def test_a_clerk_lands_on_my_work_and_an_auditor_on_the_dashboard(client: FlaskClient) -> None:
    assert webkit.login(client, "zhao").headers["Location"] == "/work/"
    client.get("/logout")
    assert webkit.login(client, "auditor").headers["Location"] == "/"


def test_my_work_lists_deadlines_signatures_and_acknowledgements(app: App, client: FlaskClient) -> None:
    distribution.distribute(app.acting_as("zhou"), webkit.PROC, "业务部", holder="zhao")
    as_(client, "zhao")
    number = file_complaint(client, received_at="2026-11-02T08:00")
    page = client.get("/work/").text
    # The 30-minute registration limit of 业务部 is overdue at 09:00, so it comes first.
    rows = re.findall(r'<tr class="([^"]*)k-([a-z-]+)">', page)
    assert rows[0] == ("overdue ", "record") and number in page
    assert "k-acknowledgement" in page and webkit.PROC in page
    assert 'data-kind="acknowledgement"><b>1</b>' in page


def test_acknowledging_from_my_work_records_it_once(app: App, client: FlaskClient) -> None:
    distribution.distribute(app.acting_as("zhou"), webkit.PROC, "业务部", holder="zhao")
    as_(client, "zhao")
    sent = client.post(f"/work/documents/{webkit.PROC}/acknowledge", data={"csrf": token(client)})
    assert sent.status_code == 302
    acks = distribution.acknowledgements(app, webkit.PROC)
    assert [(a["name"], a["edition"]) for a in acks] == [("zhao", "A/0")]
    assert "k-acknowledgement" not in client.get("/work/").text
    again = client.post(f"/work/documents/{webkit.PROC}/acknowledge", data={"csrf": token(client)})
    assert again.status_code == 409 and "already acknowledged" in again.text


def test_an_acknowledgement_given_with_the_password_on_the_document_page_is_signed(app: App,
                                                                                  client: FlaskClient) -> None:
    distribution.distribute(app.acting_as("zhou"), webkit.PROC, "业务部", holder="zhao")
    as_(client, "zhao")
    assert 'name="password"' in client.get(f"/work/documents/{webkit.PROC}").text
    wrong = client.post(f"/work/documents/{webkit.PROC}/acknowledge", data={"csrf": token(client), "password": "nope-nope"})
    assert wrong.status_code != 302 and not distribution.acknowledgements(app, webkit.PROC)
    sent = client.post(f"/work/documents/{webkit.PROC}/acknowledge", data={"csrf": token(client), "password": webkit.PW})
    assert sent.status_code == 302
    (ack,) = distribution.acknowledgements(app, webkit.PROC)
    assert ack["signature"]["meaning"] == "阅知 acknowledged" and ack["signature"]["ed25519"]


def test_a_manager_also_sees_the_items_of_their_department(app: App, client: FlaskClient) -> None:
    app.users.add("boss", "approver", "业务部", webkit.PW, actor="admin", full_name="业务经理")
    as_(client, "zhao")
    number = file_complaint(client, received_at="2026-11-02T08:00")
    client.get("/logout")
    as_(client, "boss")
    page = client.get("/work/").text
    assert number in page and "本部门" in page


# -- filing ------------------------------------------------------------------------------------


def test_the_form_is_generated_from_the_schema_with_the_right_widgets(client: FlaskClient) -> None:
    as_(client, "zhao")
    page = client.get(f"/work/file/{COMPLAINT}").text
    assert 'type="datetime-local" name="received_at"' in page
    assert '<select name="channel"' in page and '<option value="电话">电话 Phone</option>' in page
    assert 'inputmode="decimal" name="quantity"' in page
    assert '<textarea name="content"' in page
    assert 'name="main_causes.0.category"' in page and 'value="add:main_causes"' in page
    assert 'type="date" name="delivery_date"' in page
    assert 'type="file" name="attachments"' in page
    # Chinese first, then English.
    assert '<span class="zh">客户名称</span> <span class="en">Customer</span>' in page


def test_an_x_ref_field_offers_existing_records(app: App, client: FlaskClient) -> None:
    as_(client, "zhao")
    number = file_complaint(client)
    page = client.get("/work/file/QR-8.2-02").text
    assert 'list="ref-closed_complaint"' in page or 'list="ref-complaint"' in page
    capa = current_form(app, "QR-8.2-02")
    assert any(p.get("x-ref") for p in capa["schema"]["properties"].values())
    # Open complaints are not offered for a follow-up visit, which needs a closed one.
    assert f'<option value="{number}">' not in page.split('id="ref-closed_complaint"')[-1].split("</datalist>")[0]


def test_a_clerk_files_a_complaint_and_it_is_stored_under_their_name(app: App, client: FlaskClient) -> None:
    as_(client, "zhao")
    number = file_complaint(client)
    record = records.get(app, number)
    assert record["created_by"] == "zhao" and record["data"]["received_at"] == "2026-11-02T08:40:00"
    assert record["data"]["customer"] == "华美家具有限公司"
    last = list(app.store.audit.entries())[-1]
    assert last["actor"] == "zhao" and last["action"] == "record.file"


BAD_FIELDS = [
    ("missing field", {"customer": ""}, "customer"),
    ("wrong type", {"quantity": "十二"}, "quantity"),
    ("enum out of range", {"channel": "飞鸽传书"}, "channel"),
]


@pytest.mark.parametrize(("kind", "over", "field"), BAD_FIELDS, ids=[b[0] for b in BAD_FIELDS])
def test_bad_field_input_shows_the_cli_message_beside_the_field_and_stores_nothing(
        app: App, client: FlaskClient, kind: str, over: dict[str, str], field: str) -> None:
    as_(client, "zhao")
    before = audit_count(app)
    page = client.get(f"/work/file/{COMPLAINT}")
    sent = client.post(f"/work/file/{COMPLAINT}", data={"csrf": webkit.csrf(page.text), "action": "file",
                                                       **complaint_form(**over)})
    assert sent.status_code == 422
    # The very message the CLI gives for the same data.
    data = {k: v for k, v in complaint_form(**over).items() if v}
    data["received_at"] += ":00"
    if "quantity" in data:
        data["quantity"] = data["quantity"]
    expected = [p for p in validation.problems(app, current_form(app, COMPLAINT), data) if p.startswith(field)]
    assert expected
    block = sent.text.split(f'data-field="{field}"')[1].split('<div class="field')[0]
    from markupsafe import escape

    assert str(escape(expected[0])) in block
    assert "华美家具有限公司" in sent.text or field == "customer"  # what was typed is kept
    assert "餐椅颜色与色板不符。" in sent.text
    assert audit_count(app) == before and records.list_records(app, COMPLAINT) == []
    # No number was used up: the next complaint filed is the first of the year.
    assert file_complaint(client).endswith("0001")


def test_an_oversize_upload_is_refused_before_anything_is_stored(app: App) -> None:
    # A small limit keeps the test's upload in memory; the check is the same for any size.
    config = app.workspace.root / "qms.toml"
    text = re.sub(r"(?m)^max_attachment_mb\s*=.*\n", "", config.read_text(encoding="utf-8"))
    config.write_text(text.replace("[records]\n", "[records]\nmax_attachment_mb = 0.1\n", 1), encoding="utf-8")
    small = App(find_workspace(str(app.workspace.root)), webkit.host())
    assert small.workspace.config.max_attachment_mb == 0.1
    with create_app(small, secret_key="k" * 64).test_client() as client:
        as_(client, "zhao")
        before = audit_count(app)
        page = client.get(f"/work/file/{COMPLAINT}")
        sent = client.post(f"/work/file/{COMPLAINT}", content_type="multipart/form-data",
                           data={"csrf": webkit.csrf(page.text), "action": "file", **complaint_form(),
                                 "attachments": (io.BytesIO(b"x" * 110_000), "photo.jpg")})
        assert sent.status_code == 400 and "photo.jpg is 0.1 MB, over the 0.1 MB limit" in sent.text
        assert "华美家具有限公司" in sent.text  # the form comes back as typed
        # A request larger than any allowed upload is cut off before it is read.
        huge = client.post(f"/work/file/{COMPLAINT}", data=b"x" * 1_300_000, content_type="multipart/form-data; boundary=x")
        assert huge.status_code == 413 and "over the 0.1 MB limit; nothing was stored" in huge.text
        assert audit_count(app) == before and records.list_records(app, COMPLAINT) == []


def test_a_post_without_the_csrf_token_is_refused(app: App, client: FlaskClient) -> None:
    as_(client, "zhao")
    before = audit_count(app)
    sent = client.post(f"/work/file/{COMPLAINT}", data={"action": "file", **complaint_form()})
    assert sent.status_code == 400 and "security token" in sent.text
    assert audit_count(app) == before and records.list_records(app, COMPLAINT) == []


def test_a_form_sent_after_the_session_ended_goes_to_login_and_stores_nothing(app: App, flask_app: Flask) -> None:
    with flask_app.test_client() as c:
        as_(c, "zhao")
        csrf = token(c, f"/work/file/{COMPLAINT}")
        with c.session_transaction() as s:
            s["sid"] = "expired-session-id"  # the server no longer knows it (logged out or restarted)
        before = audit_count(app)
        sent = c.post(f"/work/file/{COMPLAINT}", data={"csrf": csrf, "action": "file", **complaint_form()})
        assert sent.status_code == 303 and "/login" in sent.headers["Location"] and "expired=1" in sent.headers["Location"]
        assert "会话已过期" in c.get(sent.headers["Location"]).text
    assert audit_count(app) == before and records.list_records(app, COMPLAINT) == []


def test_a_move_the_rules_refuse_says_why_and_changes_nothing(app: App, client: FlaskClient) -> None:
    as_(client, "zhao")
    number = file_complaint(client)
    page = client.get(f"/work/records/{number}").text
    assert 'data-target="registered"' in page
    before = audit_count(app)
    # received → closed is no transition at all.
    sent = client.post(f"/work/records/{number}/move", data={"csrf": webkit.csrf(page), "target": "closed"})
    assert sent.status_code == 409 and "no transition from received to closed" in sent.text
    assert records.get(app, number)["state"] == "received" and audit_count(app) == before


def test_a_move_the_role_may_not_make_is_shown_with_its_reason(app: App, client: FlaskClient) -> None:
    as_(client, "zhao")
    number = file_complaint(client)
    client.get("/logout")
    as_(client, "sun")  # 设备科 does not register complaints
    page = client.get(f"/work/records/{number}").text
    refused = page.split('data-target="registered"')[1].split("</form>")[0]
    assert "may not move it from received to registered" in refused and "<button" not in refused


# -- drafts ------------------------------------------------------------------------------------


def test_a_saved_draft_uses_no_number_and_can_be_finished_later(app: App, client: FlaskClient) -> None:
    as_(client, "zhao")
    page = client.get(f"/work/file/{COMPLAINT}")
    sent = client.post(f"/work/file/{COMPLAINT}", data={"csrf": webkit.csrf(page.text), "action": "save",
                                                       **complaint_form(customer="")})
    assert sent.status_code == 302 and "draft=" in sent.headers["Location"]
    key = sent.headers["Location"].split("draft=")[1].split("&")[0]
    assert records.list_records(app, COMPLAINT) == [] and drafts.mine(app, "zhao")[0]["key"] == key
    assert "Finish it" in client.get("/work/lang/en?next=/work/", follow_redirects=True).text
    again = client.get(f"/work/file/{COMPLAINT}?draft={key}")
    assert "餐椅颜色与色板不符。" in again.text
    sent = client.post(f"/work/file/{COMPLAINT}", data={"csrf": webkit.csrf(again.text), "action": "file",
                                                       "draft": key, **complaint_form()})
    assert sent.status_code == 302
    assert records.list_records(app, COMPLAINT)[0]["number"].endswith("0001")
    assert drafts.mine(app, "zhao") == []


def test_another_user_cannot_open_someone_elses_draft(app: App, client: FlaskClient) -> None:
    saved = drafts.save(app.acting_as("zhao"), COMPLAINT, {"customer": "甲"})
    as_(client, "li")
    assert client.get(f"/work/file/{COMPLAINT}?draft={saved['key']}").status_code == 404


# -- moves, signatures and amendments ----------------------------------------------------------


def _to_corrective_action(app: App, number: str) -> None:
    zhao, li = app.acting_as("zhao"), app.acting_as("li")
    records.move(zhao, number, "registered")
    records.update(zhao, number, {"host_dept": "品质部", "responsible_dept": "生产部", "responsible_person": "张生产"})
    records.move(zhao, number, "assigned")
    records.move(li, number, "investigating")
    records.update(li, number, {"investigation_result": "烘干温度波动。", "responsibility": "公司内部"})
    records.move(li, number, "cause_analysis")
    records.update(li, number, {"main_causes": [{"category": "机", "text": "温控器漂移"}],
                                "actions": [{"type": "纠正措施", "action": "校准温控器", "owner": "sun", "due": "2026-11-20",
                                             "done_at": "2026-11-02"}],
                                "verification_result": "复测合格"})
    records.move(li, number, "corrective_action")


def test_a_signed_move_needs_the_password_in_the_same_form(app: App, client: FlaskClient) -> None:
    as_(client, "zhao")
    number = file_complaint(client)
    _to_corrective_action(app, number)
    client.get("/logout")
    as_(client, "li")
    page = client.get(f"/work/records/{number}").text
    box = page.split('data-target="verified"')[1].split("</form>")[0]
    assert 'type="password" name="password"' in box and "签署含义" in box
    before = audit_count(app)
    missing = client.post(f"/work/records/{number}/move", data={"csrf": webkit.csrf(page), "target": "verified"})
    assert missing.status_code == 400 and "enter your password" in missing.text.replace("请输入你的密码", "enter your password")
    wrong = client.post(f"/work/records/{number}/move", data={"csrf": webkit.csrf(page), "target": "verified",
                                                            "password": "not-it"})
    assert wrong.status_code == 401 and "wrong password" in wrong.text
    assert records.get(app, number)["state"] == "corrective_action" and audit_count(app) == before
    ok = client.post(f"/work/records/{number}/move", data={"csrf": webkit.csrf(page), "target": "verified",
                                                         "password": webkit.PW})
    assert ok.status_code == 302
    record = records.get(app, number)
    assert record["state"] == "verified" and record["signatures"][-1]["name"] == "li"
    assert record["signatures"][-1]["meaning"]


def test_amending_a_closed_record_asks_for_a_reason(app: App, client: FlaskClient) -> None:
    as_(client, "zhao")
    number = file_complaint(client)
    _to_corrective_action(app, number)
    li = app.acting_as("li")
    records.move(li, number, "verified", password=webkit.PW)
    records.update(li, number, {"closed_at": "2026-11-02"})
    records.move(li, number, "closed")
    page = client.get(f"/work/records/{number}/edit").text
    assert 'name="reason"' in page
    before = audit_count(app)
    form = {"csrf": webkit.csrf(page), "action": "amend", **complaint_form(customer="华美家具股份有限公司"),
            "host_dept": "品质部", "responsible_dept": "生产部", "responsible_person": "张生产",
            "investigation_result": "烘干温度波动。", "responsibility": "公司内部",
            "main_causes.0.category": "机", "main_causes.0.text": "温控器漂移", "actions.0.type": "纠正措施",
            "actions.0.action": "校准温控器", "actions.0.owner": "sun", "actions.0.due": "2026-11-20",
            "actions.0.done_at": "2026-11-02", "verification_result": "复测合格", "closed_at": "2026-11-02"}
    no_reason = client.post(f"/work/records/{number}/edit", data=form)
    assert no_reason.status_code == 400 and "更正已关闭的记录必须写明原因" in no_reason.text and audit_count(app) == before
    done = client.post(f"/work/records/{number}/edit", data={**form, "reason": "客户名称登记错误"})
    assert done.status_code == 302, done.text
    correction = records.get(app, f"{number}-A1")
    assert correction["data"]["customer"] == "华美家具股份有限公司" and correction["amend_reason"] == "客户名称登记错误"


def test_rows_can_be_added_to_a_repeating_section_keeping_what_was_typed(client: FlaskClient) -> None:
    as_(client, "zhao")
    page = client.get(f"/work/file/{COMPLAINT}")
    sent = client.post(f"/work/file/{COMPLAINT}", data={"csrf": webkit.csrf(page.text), "action": "add:main_causes",
                                                       **complaint_form(), "main_causes.0.category": "人",
                                                       "main_causes.0.text": "未培训"})
    assert sent.status_code == 200
    assert 'name="main_causes.1.text"' in sent.text and "未培训" in sent.text and "华美家具有限公司" in sent.text


# -- documents ---------------------------------------------------------------------------------


def test_document_revision_through_review_approval_and_distribution(app: App, client: FlaskClient) -> None:
    as_(client, "zhou")
    page = client.get(f"/work/documents/{webkit.PROC}").text
    assert client.post(f"/work/documents/{webkit.PROC}/revise",
                       data={"csrf": webkit.csrf(page), "reason": "明确回访时限"}).status_code == 302
    edit = client.get(f"/work/documents/{webkit.PROC}/edit").text
    body = documents.get_revision(app, webkit.PROC, "A/1")["content"] + "\n\n## 回访 Follow-up\n\n结案后 7 日内回访。\n"
    preview = client.post("/work/preview", data={"csrf": webkit.csrf(edit), "body": "# 标题\n\n<b>x</b>"})
    assert preview.status_code == 200 and "<h1>标题</h1>" in preview.text and "<b>" not in preview.text
    saved = client.post(f"/work/documents/{webkit.PROC}/edit",
                        data={"csrf": webkit.csrf(edit), "action": "save", "body": body, "reason": "明确回访时限"})
    assert saved.status_code == 302
    page = client.get(f"/work/documents/{webkit.PROC}").text
    # The preparer may not name themselves: only others are offered, and the core refuses it anyway.
    assert 'name="reviewer" value="zhou"' not in page
    own = client.post(f"/work/documents/{webkit.PROC}/submit",
                      data={"csrf": webkit.csrf(page), "reviewer": "zhou", "password": webkit.PW})
    assert own.status_code == 409 and "may not also review" in own.text
    assert client.post(f"/work/documents/{webkit.PROC}/submit",
                       data={"csrf": webkit.csrf(page), "reviewer": "li", "password": webkit.PW}).status_code == 302
    client.get("/logout")
    as_(client, "li")
    page = client.get(f"/work/documents/{webkit.PROC}").text
    assert client.post(f"/work/documents/{webkit.PROC}/review",
                       data={"csrf": webkit.csrf(page), "decision": "accept", "password": webkit.PW}).status_code == 302
    client.get("/logout")
    as_(client, "wang")
    assert "k-signature" in client.get("/work/").text
    page = client.get(f"/work/documents/{webkit.PROC}").text
    assert client.post(f"/work/documents/{webkit.PROC}/approve",
                       data={"csrf": webkit.csrf(page), "password": webkit.PW}).status_code == 302
    client.get("/logout")
    as_(client, "zhou")
    page = client.get(f"/work/documents/{webkit.PROC}").text
    assert client.post(f"/work/documents/{webkit.PROC}/issue",
                       data={"csrf": webkit.csrf(page), "effective": "2026-11-02"}).status_code == 302
    assert client.post(f"/work/documents/{webkit.PROC}/distribute",
                       data={"csrf": webkit.csrf(page), "dept": "业务部", "holder": "zhao", "copies": "1"}).status_code == 302
    rev = documents.get_revision(app, webkit.PROC)
    assert rev["edition"] == "A/1" and rev["state"] == "effective"
    assert [s["name"] for s in rev["signatures"]] == ["zhou", "li", "wang"]
    assert any(c["holder"] == "zhao" and c["edition"] == "A/1" for c in distribution.copies(app, webkit.PROC))
    page = client.get(f"/work/documents/{webkit.PROC}").text
    assert "/documents/QP-8.2-01/diff/A-0/A-1" in page


def test_editing_a_document_that_is_not_a_draft_is_refused(app: App, client: FlaskClient) -> None:
    as_(client, "zhou")
    edit = client.get(f"/work/documents/{webkit.PROC}/edit").text
    path = documents.workspace_path(app, webkit.PROC)
    text = path.read_text(encoding="utf-8")
    sent = client.post(f"/work/documents/{webkit.PROC}/edit",
                       data={"csrf": webkit.csrf(edit), "action": "save", "body": "改", "reason": "x"})
    assert sent.status_code == 409 and "needs a revision that is a draft" in sent.text
    assert path.read_text(encoding="utf-8") == text


# -- boards, language, escaping ----------------------------------------------------------------


def test_each_shipped_plugin_adds_its_board(client: FlaskClient) -> None:
    as_(client, "li")
    nav = client.get("/work/").text
    for slug, title in (("complaints", "客户投诉月报"), ("calibration", "计量器具校准看板"),
                        ("pass-desk", "通行证与报修台"), ("projects", "项目阶段看板"), ("capa", "纠正措施看板"),
                        ("management-review", "管理评审")):
        assert f'href="/work/boards/{slug}"' in nav
        page = client.get(f"/work/boards/{slug}")
        assert page.status_code == 200 and title in page.text
    assert client.get("/work/boards/nope").status_code == 404


def test_the_english_switch_is_remembered_by_the_session(client: FlaskClient) -> None:
    as_(client, "zhao")
    assert "我的待办" in client.get("/work/").text
    client.get("/work/lang/en?next=/work/")
    page = client.get(f"/work/file/{COMPLAINT}").text
    assert "<h1>File QR-8.2-01" in page and '<span class="zh">Customer</span>' in page
    assert "My work" in client.get("/work/").text
    assert client.get("/work/lang/xx").status_code == 404


def test_user_text_is_escaped_on_the_record_page_and_the_board(app: App, client: FlaskClient) -> None:
    as_(client, "zhao")
    evil = '<script>alert("x")</script>'
    number = file_complaint(client, customer=evil)
    for url in (f"/work/records/{number}", "/work/boards/complaints"):
        page = client.get(url).text
        assert evil not in page and "&lt;script&gt;" in page


def test_responses_carry_the_security_headers(client: FlaskClient) -> None:
    as_(client, "zhao")
    response = client.get("/work/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"


# -- the auditor -------------------------------------------------------------------------------


def _post_urls(flask_app: Flask, number: str, key: str) -> list[str]:
    values = {"number": number, "form_number": COMPLAINT, "key": key}
    urls = []
    for rule in flask_app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.endpoint == "login":
            continue
        if "act" in rule.arguments:
            urls += [rule.rule.replace("<number>", webkit.PROC).replace("<act>", act)
                     for act in __import__("qms.web.document_pages", fromlist=["ACTS"]).ACTS]
            continue
        url = rule.rule
        for name in rule.arguments:
            value = webkit.PROC if name == "number" and "documents" in url else values[name]
            url = url.replace(f"<{name}>", value)
        urls.append(url)
    return urls


def test_an_auditor_is_refused_on_every_post_route(app: App, flask_app: Flask, client: FlaskClient) -> None:
    number = str(records.file(app.acting_as("zhao"), COMPLAINT, {
        "received_at": "2026-11-02T08:40:00", "channel": "电话", "customer": "甲", "content": "乙"})["number"])
    key = drafts.save(app.acting_as("zhao"), COMPLAINT, {"customer": "甲"})["key"]
    as_(client, "auditor")
    csrf = token(client, "/work/")
    urls = _post_urls(flask_app, number, key)
    assert len(urls) >= 15
    before = audit_count(app)
    fields = {"csrf": csrf, "target": "registered", "password": webkit.PW, "reviewer": "li", "decision": "accept",
              "dept": "业务部", "reason": "x", "body": "x", "action": "file", "number": "QP-9.9-09", "title": "x",
              "owner": "x", **complaint_form()}
    for url in urls:
        sent = client.post(url, data=fields)
        assert sent.status_code in (403, 404), (url, sent.status_code)
        if sent.status_code == 404:  # only a draft that is not the auditor's
            assert "/drafts/" in url or "draft" in sent.text
    assert audit_count(app) == before
    assert records.get(app, number)["state"] == "received" and drafts.get(app, key, "zhao")


# -- the server --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_qms_serve_runs_on_waitress(app: App) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "qms", "--workspace", str(app.workspace.root), "serve",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    assert r.status == 200 and r.headers["Server"] == "qms"
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0].decode()
    assert f"127.0.0.1:{port}/" in out


# -- a user's own password ------------------------------------------------------------------------


def test_a_user_changes_their_own_password_in_the_browser_and_gets_a_key_of_their_own(app: App,
                                                                                     flask_app: Flask) -> None:
    with flask_app.test_client() as c:
        as_(c, "zhao")
        page = c.get("/work/password")
        assert page.status_code == 200 and 'name="current"' in page.text
        before = audit_count(app)
        old_key = app.users.get("zhao")["key"]["id"]
        # Each refusal is one line and changes nothing.
        for form, status, says in (
                ({"current": "wrong-password", "new": "new-pass-2026", "again": "new-pass-2026"}, 401, "wrong password"),
                ({"current": webkit.PW, "new": "new-pass-2026", "again": "new-pass-2027"}, 400, "两次输入的新密码不一致"),
                ({"current": webkit.PW, "new": "short", "again": "short"}, 400, "at least 8 characters")):
            sent = c.post("/work/password", data={"csrf": webkit.csrf(page.text), **form})
            assert sent.status_code == status and says in sent.text, (form, sent.status_code)
        assert audit_count(app) == before and app.users.get("zhao")["key"]["id"] == old_key
        done = c.post("/work/password", data={"csrf": webkit.csrf(page.text), "current": webkit.PW,
                                               "new": "new-pass-2026", "again": "new-pass-2026"})
        assert done.status_code == 302 and "changed=1" in done.headers["Location"]
        assert "密码已修改" in c.get(done.headers["Location"]).text
    user = app.users.get("zhao")
    assert user["key"]["id"] != old_key
    entry = list(app.store.audit.entries())[-1]
    assert entry["action"] == "user.passwd" and entry["actor"] == "zhao" and entry["key"] == "zhao"
    with flask_app.test_client() as c:
        assert webkit.login(c, "zhao", "new-pass-2026").status_code == 302
    with flask_app.test_client() as c:
        assert webkit.login(c, "zhao").status_code == 401  # the old password no longer works


def test_an_auditor_cannot_change_even_their_own_password_in_the_browser(app: App, client: FlaskClient) -> None:
    as_(client, "auditor")
    page = client.get("/work/password")
    assert page.status_code == 403 and 'name="current"' not in page.text and "只读账户" in page.text
    before = audit_count(app)
    sent = client.post("/work/password", data={"csrf": token(client), "current": webkit.PW, "new": "new-pass-2026",
                                               "again": "new-pass-2026"})
    assert sent.status_code == 403 and audit_count(app) == before
