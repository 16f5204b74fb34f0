"""The web workspace in a real headless Chromium, as its users go through it.

One server (waitress's rival is not needed here: Werkzeug's test server in a thread) over the web
test workspace with every shipped plugin; the tests run in order over the same workspace:

1. a clerk files a complaint through the generated form, fixing one validation error on the way;
2. it moves through investigation to closure, with a signed verification;
3. a quality officer revises a procedure A/0 → A/1, reviewed and approved by two other users, and
   distributes it;
4. the holder acknowledges it from My work;
5. an auditor tries each POST route and is refused every time;
6. the English switch shows English labels.

Set ``QMS_SCREENSHOTS=DIR`` to keep a screenshot of each main page there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import browserkit
import pytest
import webkit
from playwright.sync_api import Browser, Dialog, Page, expect

from qms import distribution, documents, records
from qms.app import App
from qms.site.app import create_app
from qms.web.document_pages import ACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class Site:
    """The running server, its workspace and what the tests learn on the way."""

    def __init__(self, url: str, app: App) -> None:
        self.url = url
        self.app = app
        self.complaint = ""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QMS_NOW", webkit.NOW)
        app = webkit.build(tmp_path_factory.mktemp("webbrowser") / "ws")
        distribution.distribute(app.acting_as("zhou"), webkit.PROC, "品质部")
        with browserkit.serving(create_app(app, secret_key="b" * 64)) as url:
            yield Site(url, app)


@pytest.fixture(autouse=True)
def _clock(_isolated_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server thread reads the clock from the environment, which the suite clears before each test."""
    monkeypatch.setenv("QMS_NOW", webkit.NOW)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with browserkit.launch() as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    yield pg
    assert dialogs == [], f"a dialog opened: {dialogs}"
    context.close()


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("QMS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def login(page: Page, site: Site, name: str, landing: str = "/work/") -> None:
    page.goto(site.url + "/logout")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", webkit.PW)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + landing)


def move(page: Page, target: str, password: str | None = None) -> None:
    box = page.locator(f'form.move[data-target="{target}"]')
    expect(box.locator("ul.reasons")).to_have_count(0)
    if password is not None:
        box.locator("input[name=password]").fill(password)
    box.locator("button[type=submit]").click()
    page.wait_for_url("**/work/records/**moved=*")


def edit(page: Page, site: Site, values: dict[str, str]) -> None:
    page.goto(f"{site.url}/work/records/{site.complaint}/edit")
    for name, value in values.items():
        field = page.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.click("button[value=update]")
    page.wait_for_url("**updated=1")


def test_1_a_clerk_files_a_complaint_fixing_one_error_on_the_way(page: Page, site: Site) -> None:
    login(page, site, "zhao")
    page.click("text=填写记录")
    page.click(f'a[href="/work/file/{webkit.COMPLAINT}"]')
    page.fill("input[name=received_at]", "2026-11-02T08:55")
    page.select_option("select[name=channel]", "电话")
    page.fill("textarea[name=content]", "餐椅颜色与色板不符，<b>客户</b>要求更换。")
    page.select_option("select[name=nature]", "质量")
    page.select_option("select[name=category]", "整件质量问题")
    page.fill("input[name=sub_category]", "色差")
    shot(page, "record-form")
    page.click("button[value=file]")
    # The customer was left out: the CLI's message beside the field, everything typed kept.
    problem = page.locator('[data-field="customer"] .problem')
    expect(problem).to_contain_text("customer (客户名称 Customer)")
    expect(page.locator("textarea[name=content]")).to_have_value("餐椅颜色与色板不符，<b>客户</b>要求更换。")
    assert records.list_records(site.app, webkit.COMPLAINT) == []
    shot(page, "record-form-error")
    page.fill("input[name=customer]", "华美家具有限公司")
    page.click("button[value=file]")
    page.wait_for_url("**filed=1")
    expect(page.locator("p.ok")).to_contain_text("KS-2026-0001")
    site.complaint = "KS-2026-0001"
    # The typed markup shows as text.
    expect(page.locator(".record-body")).to_contain_text("<b>客户</b>要求更换")
    assert records.get(site.app, site.complaint)["created_by"] == "zhao"


def test_2_it_moves_through_investigation_to_closure_with_a_signed_verification(page: Page, site: Site) -> None:
    assert site.complaint
    login(page, site, "zhao")
    page.goto(f"{site.url}/work/records/{site.complaint}")
    move(page, "registered")
    edit(page, site, {"host_dept": "品质部", "responsible_dept": "生产部", "responsible_person": "张生产"})
    page.goto(f"{site.url}/work/records/{site.complaint}")
    move(page, "assigned")
    login(page, site, "li")
    page.goto(f"{site.url}/work/records/{site.complaint}")
    move(page, "investigating")
    edit(page, site, {"investigation_result": "烘干温度波动。", "responsibility": "公司内部"})
    page.goto(f"{site.url}/work/records/{site.complaint}")
    # Corrective action needs its causes and actions first: the refusal says so.
    expect(page.locator('form.move[data-target="cause_analysis"] ul.reasons')).to_have_count(0)
    move(page, "cause_analysis")
    page.goto(f"{site.url}/work/records/{site.complaint}/edit")
    page.select_option('select[name="main_causes.0.category"]', "机")
    page.fill('input[name="main_causes.0.text"]', "温控器漂移")
    page.click('button[value="add:main_causes"]')  # a second row, the first kept
    expect(page.locator('input[name="main_causes.0.text"]')).to_have_value("温控器漂移")
    page.select_option('select[name="main_causes.1.category"]', "测")
    page.fill('input[name="main_causes.1.text"]', "未比色")
    page.select_option('select[name="actions.0.type"]', "纠正措施")
    page.fill('input[name="actions.0.action"]', "校准温控器")
    page.fill('input[name="actions.0.owner"]', "sun")
    page.fill('input[name="actions.0.due"]', "2026-11-20")
    page.fill('input[name="actions.0.done_at"]', "2026-11-02")
    page.fill('textarea[name="verification_result"]', "复测合格，色差消除。")
    page.click("button[value=update]")
    page.wait_for_url("**updated=1")
    move(page, "corrective_action")
    box = page.locator('form.move[data-target="verified"]')
    expect(box.locator(".sign")).to_contain_text("签署含义")
    shot(page, "signing")
    # Without the password nothing is signed.
    box.locator("button[type=submit]").click()
    expect(page.locator("p.error")).to_contain_text("请输入你的密码")
    assert records.get(site.app, site.complaint)["state"] == "corrective_action"
    move(page, "verified", password=webkit.PW)
    edit(page, site, {"closed_at": "2026-11-02"})
    page.goto(f"{site.url}/work/records/{site.complaint}")
    move(page, "closed")
    record = records.get(site.app, site.complaint)
    assert record["closed"] and record["state"] == "closed"
    signature = record["signatures"][-1]
    assert signature["name"] == "li" and signature["meaning"]
    expect(page.locator("table.grid").filter(has_text="李品质")).to_have_count(1)


def test_3_a_quality_officer_revises_a_procedure_through_review_and_approval(page: Page, site: Site) -> None:
    login(page, site, "zhou")
    page.goto(f"{site.url}/work/documents/{webkit.PROC}")
    page.fill("form.act-revise input[name=reason]", "明确回访时限 clarify the follow-up limit")
    page.click("form.act-revise button")
    page.wait_for_url(f"**/work/documents/{webkit.PROC}/edit")
    body = page.locator("textarea[name=body]")
    body.press("End")
    body.evaluate("e => e.setSelectionRange(e.value.length, e.value.length)")
    body.press_sequentially("\n\n## 回访时限 Follow-up\n\n结案后 7 日内回访。\n")
    # The live preview follows the text as it is typed.
    expect(page.locator("#preview h2").last).to_contain_text("回访时限")
    shot(page, "document-edit")
    page.click("button[value=save]")
    page.wait_for_url("**saved=1")
    page.check('form.act-submit input[name=reviewer][value=li]')
    page.fill("form.act-submit input[name=password]", webkit.PW)
    page.click("form.act-submit button")
    page.wait_for_url("**done=submit")
    login(page, site, "li")
    expect(page.locator("tr.k-signature")).to_contain_text(webkit.PROC)
    page.click(f'tr.k-signature a[href="/work/documents/{webkit.PROC}"]')
    shot(page, "document-review")
    page.check("form.act-review input[value=accept]")
    page.fill("form.act-review input[name=comment]", "同意 agreed")
    page.fill("form.act-review input[name=password]", webkit.PW)
    page.click("form.act-review button")
    page.wait_for_url("**done=review")
    login(page, site, "wang")
    page.goto(f"{site.url}/work/documents/{webkit.PROC}")
    page.fill("form.act-approve input[name=password]", webkit.PW)
    page.click("form.act-approve button")
    page.wait_for_url("**done=approve")
    login(page, site, "zhou")
    page.goto(f"{site.url}/work/documents/{webkit.PROC}")
    page.fill("form.act-issue input[name=effective]", "2026-11-02")
    page.click("form.act-issue button")
    page.wait_for_url("**done=issue")
    page.select_option("form.act-distribute select[name=dept]", "业务部")
    page.select_option("form.act-distribute select[name=holder]", "zhao")
    page.click("form.act-distribute button")
    page.wait_for_url("**done=distribute")
    rev = documents.get_revision(site.app, webkit.PROC)
    assert rev["edition"] == "A/1" and rev["state"] == "effective"
    assert [s["name"] for s in rev["signatures"]] == ["zhou", "li", "wang"]
    page.click("text=A/0 → A/1")
    expect(page.locator("pre.diff")).to_contain_text("结案后 7 日内回访")


def test_4_the_holder_acknowledges_it(page: Page, site: Site) -> None:
    login(page, site, "zhao")
    row = page.locator("tr.k-acknowledgement").filter(has_text=webkit.PROC)
    expect(row).to_have_count(1)
    shot(page, "my-work")
    row.locator("button").click()
    page.wait_for_url("**done=acknowledge")
    acks = distribution.acknowledgements(site.app, webkit.PROC, "A/1")
    assert [a["name"] for a in acks] == ["zhao"]


def test_5_an_auditor_is_refused_on_every_post_route(page: Page, site: Site) -> None:
    login(page, site, "auditor", landing="/")  # an auditor lands on the read-only site
    page.goto(site.url + "/work/")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    before = sum(1 for _ in site.app.store.audit.entries())
    urls = [f"/work/file/{webkit.COMPLAINT}", "/work/drafts/0123456789abcdef/discard", "/work/documents/new",
            f"/work/records/{site.complaint}/move", f"/work/records/{site.complaint}/edit",
            f"/work/records/{site.complaint}/attach", f"/work/documents/{webkit.PROC}/edit", "/work/preview",
            *[f"/work/documents/{webkit.PROC}/{act}" for act in ACTS]]
    for url in urls:
        response = page.request.post(site.url + url, form={
            "csrf": token, "target": "closed", "password": webkit.PW, "reason": "x", "body": "x", "action": "file",
            "number": "QP-9.9-09", "title": "x", "owner": "x", "dept": "品质部", "decision": "accept",
            "customer": "x", "content": "x", "channel": "电话", "received_at": "2026-11-02T08:00"})
        assert response.status in (403, 404), (url, response.status)
    assert sum(1 for _ in site.app.store.audit.entries()) == before


def test_6_the_english_switch_shows_english_labels(page: Page, site: Site) -> None:
    login(page, site, "zhao")
    expect(page.locator("h1")).to_have_text("我的待办")
    page.click("text=English")
    expect(page.locator("h1")).to_have_text("My work")
    page.goto(f"{site.url}/work/file/{webkit.COMPLAINT}")
    expect(page.locator('[data-field="customer"] label .zh')).to_have_text("Customer")
    expect(page.locator("button[value=file]")).to_have_text("File the record")
    page.goto(f"{site.url}/work/records/{site.complaint}")
    expect(page.locator("h2").first).to_have_text("Next steps")  # remembered across pages
