"""The auditor site in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

The server runs in a thread on 127.0.0.1 and a free port, over the site test workspace. The
browser logs in as the auditor, opens a procedure and downloads its PDF, filters a register, opens
a record, searches a Chinese word, and opens the record holding ``<script>``: the text shows, no
dialog opens and the page holds no script element.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browserkit
import pytest
import sitekit
from playwright.sync_api import Browser, Dialog, Page

from qms.app import App
from qms.site.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site on 127.0.0.1 and a free port, serving the site test workspace; yields its base URL."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QMS_NOW", sitekit.NOW)
        ws, host = sitekit.build(tmp_path_factory.mktemp("browser") / "ws")
        with browserkit.serving(create_app(App(ws, host))) as url:
            yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with browserkit.launch() as b:
        yield b


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    pg = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.goto(server + "/")
    assert "/login" in pg.url
    pg.fill("input[name=name]", "aud")
    pg.fill("input[name=password]", sitekit.PW)
    pg.click("button[type=submit]")
    pg.wait_for_url(server + "/")
    yield pg
    assert dialogs == [], f"a dialog opened: {dialogs}"  # no script of any page ever ran
    context.close()


def test_login_shows_the_dashboard_with_figures(page: Page) -> None:
    assert page.locator("main > h1").inner_text() == "仪表板 Dashboard"
    assert "审核员 (aud, 审核员 Auditor)" in page.locator(".who").inner_text()  # the role shown by its name, not its key
    assert page.locator("svg.chart").count() >= 2
    assert "测试投诉按部门" in page.content()


def test_open_a_procedure_and_download_its_pdf(page: Page, server: str, tmp_path: Path) -> None:
    page.click("text=受控文件 Procedures")
    page.click(f"text={sitekit.PROC}")
    assert page.locator("main > h1").inner_text().startswith(sitekit.PROC)
    assert "增加回访要求" in page.locator("table.history").inner_text()
    link = page.locator("a.pdf")
    href = link.get_attribute("href")
    assert href == f"/documents/{sitekit.PROC}/A-1/pdf"
    # The browser's own session fetches the file (headless Chromium has no PDF viewer to show it in).
    response = page.request.get(server + href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")
    (tmp_path / "p.pdf").write_bytes(body)
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "p.pdf").pages)
    assert sitekit.PROC in text


def test_filter_a_register_and_open_a_record(page: Page, server: str) -> None:
    page.click("text=表单与记录 Forms & records")
    page.click(f"text={sitekit.FORM}")
    rows = page.locator("table.register tr")
    assert rows.count() == 1 + 7
    page.select_option("select[name=state]", "closed")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**state=closed**")
    assert page.locator("table.register tr").count() == 2
    page.click("text=TS-2026-0002")
    assert page.locator("main > h1").inner_text() == "TS-2026-0002"
    assert "Acme Corp" in page.locator(".record-body").inner_text()


def test_search_a_chinese_word(page: Page) -> None:
    page.fill("form.search input[name=q]", sitekit.CHINESE_WORD)
    page.click("form.search button")
    page.wait_for_url("**/search?q=**")
    results = page.locator("ul.results").nth(1).inner_text()
    assert "TS-2026-0001" in results and "TS-2026-0002" not in results


def test_a_script_in_a_record_shows_as_text_and_runs_nothing(page: Page, server: str) -> None:
    page.goto(server + "/records/TS-2026-0003")
    body = page.locator(".record-body").inner_text()
    assert sitekit.SCRIPT in body
    assert "<b>bold</b> & co" in body
    assert page.locator("script").count() == 0 and page.locator("img[src=x]").count() == 0
    assert page.locator(".record-body b").count() == 0
    marker: Any = page.evaluate("() => window.__pwned === undefined")
    assert marker is True
