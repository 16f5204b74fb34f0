"""The auditor site through Flask's test client: every page, and every refusal (login, CSRF, lockout, 405, traversal, escaping)."""

from __future__ import annotations

import io
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sitekit
from storekit import tampered
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from qms.backend import copy_workspace
from qms.app import App
from qms.cli import build
from qms.errors import ConfigError
from qms.site import reads, throttle
from qms.site.app import create_app, shutdown
from qms.site.throttle import FREE_TRIES
from qms.site.views import Site
from qms.verify import verify_store
from qms.workspace import Workspace


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The site test workspace, built once for the module at the demo clock."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QMS_NOW", sitekit.NOW)
        ws, _ = sitekit.build(tmp_path_factory.mktemp("site") / "ws")
    return ws


@pytest.fixture
def app(built: Workspace, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("QMS_NOW", sitekit.NOW)
    return App(built, sitekit.host())


@pytest.fixture
def flask_app(app: App) -> Flask:
    return create_app(app, secret_key="test-secret")


def csrf_of(client: FlaskClient, url: str = "/login") -> str:
    with client.get(url) as r:
        found = re.search(r'name="csrf" value="([^"]+)"', r.get_data(as_text=True))
    assert found, "the login form carries a CSRF token"
    return found.group(1)


def login(client: FlaskClient, name: str = "aud", password: str = sitekit.PW, next_url: str = "") -> tuple[int, str]:
    token = csrf_of(client)
    url = f"/login?next={next_url}" if next_url else "/login"
    with client.post(url, data={"name": name, "password": password, "csrf": token}) as r:
        return r.status_code, r.headers.get("Location", "") or r.get_data(as_text=True)


@pytest.fixture
def client(flask_app: Flask) -> Iterator[FlaskClient]:
    c = flask_app.test_client()
    status, where = login(c)
    assert status == 302 and where == "/", where
    yield c


def get(client: FlaskClient, url: str) -> tuple[int, str]:
    with client.get(url) as r:
        return r.status_code, r.get_data(as_text=True)


PAGES = ["/", "/documents", "/external", f"/documents/{sitekit.PROC}", f"/documents/{sitekit.PROC}/A-0",
         f"/documents/{sitekit.PROC}/diff/A-0/A-1", "/forms", f"/forms/{sitekit.FORM}", "/records/TS-2026-0001",
         "/due", "/audit", "/verify", "/search?q=x", "/records/TS-2026-0001/json"]


# -- login, sessions, lockout -------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_every_page_needs_a_login(flask_app: Flask, url: str) -> None:
    with flask_app.test_client().get(url) as r:
        assert r.status_code == 302
        assert r.headers["Location"].startswith("/login?next=")


def test_login_sets_a_signed_httponly_samesite_cookie_and_is_logged(flask_app: Flask, app: App) -> None:
    c = flask_app.test_client()
    token = csrf_of(c)
    with c.post("/login", data={"name": "aud", "password": sitekit.PW, "csrf": token}) as r:
        assert r.status_code == 302
        cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "qms_session=" in cookie
    assert "aud" not in cookie.split(";")[0].split("=", 1)[1][:3]  # signed and encoded, not a bare name
    events = [e for e in app.store.audit.entries() if e.get("action") == "site.login" and e.get("actor") == "aud"]
    assert events


def test_login_without_or_with_a_wrong_csrf_token_is_400(flask_app: Flask) -> None:
    c = flask_app.test_client()
    csrf_of(c)
    with c.post("/login", data={"name": "aud", "password": sitekit.PW}) as r:
        assert r.status_code == 400
    with c.post("/login", data={"name": "aud", "password": sitekit.PW, "csrf": "forged"}) as r:
        assert r.status_code == 400
    # A token from another session is no good either.
    other = flask_app.test_client()
    token = csrf_of(other)
    with flask_app.test_client().post("/login", data={"name": "aud", "password": sitekit.PW, "csrf": token}) as r:
        assert r.status_code == 400


def test_wrong_password_and_unknown_user_get_the_same_answer(flask_app: Flask, app: App) -> None:
    c = flask_app.test_client()
    status, body = login(c, "aud", "wrong-password")
    assert status == 401 and "Wrong user name or password" in body
    status2, body2 = login(c, "nobody", "wrong-password")
    assert status2 == 401 and "Wrong user name or password" in body2
    assert get(c, "/")[0] == 302  # still not logged in


def login_from(flask_app: Flask, addr: str, name: str, password: str) -> tuple[int, str, str]:
    """Log in from the client address ``addr`` in a fresh browser: status, page or redirect, Retry-After."""
    c = flask_app.test_client()
    c.environ_base["REMOTE_ADDR"] = addr
    token = csrf_of(c)
    with c.post("/login", data={"name": name, "password": password, "csrf": token}) as r:
        return r.status_code, r.headers.get("Location", "") or r.get_data(as_text=True), r.headers.get("Retry-After", "")


def fail_until_throttled(flask_app: Flask, addr: str, name: str) -> None:
    """Wrong passwords from ``addr`` for ``name`` until the throttle starts: the free tries, then a wait."""
    for _ in range(FREE_TRIES - 1):
        assert login_from(flask_app, addr, name, "wrong-password")[0] == 401
    status, body, retry = login_from(flask_app, addr, name, "wrong-password")
    assert status == 429 and retry == "2" and "wait 2 seconds" in body


def test_the_right_password_from_another_client_works_while_one_client_is_throttled(app: App) -> None:
    site = create_app(app, secret_key="a")
    fail_until_throttled(site, "10.0.1.1", "zhao")
    # The throttled client is refused even with the right password, also by a freshly started server.
    restarted = create_app(App(app.workspace, sitekit.host()), secret_key="b")
    status, body, _ = login_from(restarted, "10.0.1.1", "zhao", sitekit.PW)
    assert status == 429 and "Too many failed logins" in body
    # Another client logs in as zhao; the throttled client may still log in as someone else.
    assert login_from(site, "10.0.1.2", "zhao", sitekit.PW)[0] == 302
    assert login_from(site, "10.0.1.1", "aud", sitekit.PW)[0] == 302
    assert verify_store(app.store, app.workspace.root).ok


def test_a_throttled_client_is_told_how_long_to_wait_and_the_wait_doubles(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    site = create_app(app, secret_key="a")
    fail_until_throttled(site, "10.0.2.1", "zhao")
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:01")
    status, body, retry = login_from(site, "10.0.2.1", "zhao", sitekit.PW)
    assert (status, retry) == (429, "1") and "wait 1 seconds" in body
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:02")
    status, body, retry = login_from(site, "10.0.2.1", "zhao", "wrong-password")
    assert (status, retry) == (429, "4") and "wait 4 seconds" in body
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:06")
    assert login_from(site, "10.0.2.1", "zhao", sitekit.PW)[0] == 302
    # A right password starts the count again: one more wrong one is a plain failure.
    assert login_from(site, "10.0.2.1", "zhao", "wrong-password")[0] == 401


def test_qms_user_unlock_clears_the_throttle_and_is_logged(app: App) -> None:
    site = create_app(app, secret_key="a")
    fail_until_throttled(site, "10.0.3.1", "li")
    refused = cli_run(app, "--as", "zhao", "user", "unlock", "li")
    assert refused.exit_code != 0 and "may not unlock users" in refused.output
    assert login_from(site, "10.0.3.1", "li", sitekit.PW)[0] == 429
    done = cli_run(app, "--as", "admin", "user", "unlock", "li")
    assert done.exit_code == 0 and "unlocked li" in done.output
    assert login_from(site, "10.0.3.1", "li", sitekit.PW)[0] == 302
    entry = [e for e in app.store.audit.entries() if e.get("action") == "user.unlock"][-1]
    assert (entry["actor"], entry["key"]) == ("admin", "li")
    unknown = cli_run(app, "--as", "admin", "user", "unlock", "nobody")
    assert unknown.exit_code == 2 and "no user 'nobody'" in unknown.output
    fail_until_throttled(site, "10.0.3.2", "li")
    wrong = cli_run(app, "--as", "admin", "user", "unlock", "li", env={"QMS_PASSWORD": "not-the-admins"})
    assert wrong.exit_code != 0 and login_from(site, "10.0.3.2", "li", sitekit.PW)[0] == 429  # a wrong password unlocks nothing


def test_unknown_names_get_the_same_answer_and_append_nothing_to_the_audit_log(app: App) -> None:
    site = create_app(app, secret_key="a")
    before = app.store.audit_bytes()

    def answer(addr: str, name: str) -> tuple[int, str]:
        status, body, _ = login_from(site, addr, name, "wrong-password")
        return status, re.findall(r'<p class="error"[^>]*>(.*?)</p>', body)[0]

    known = answer("10.0.4.1", "aud")
    assert known == (401, "用户名或密码错误 Wrong user name or password")
    evil = '<script>x</script>"; DROP'
    for addr, name in (("10.0.4.1", "nobody"), ("10.0.4.2", evil), ("10.0.4.2", "ghost")):
        assert answer(addr, name) == known
    assert app.store.audit_bytes() == before
    # Throttled the same way too.
    fail_until_throttled(site, "10.0.4.3", "nobody")
    assert app.store.audit_bytes() == before


def test_failed_logins_are_logged_as_a_summary_naming_only_known_users(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle, "SUMMARY_EVERY", 4)
    site = create_app(app, secret_key="a")
    throttle.Throttle(app.store).flush()  # failures left by earlier tests are reported first
    evil = "<b>attacker text</b>"
    for addr, name in (("10.0.5.1", "wang"), ("10.0.5.1", evil), ("10.0.5.2", "wang"), ("10.0.5.2", "zhou")):
        assert login_from(site, addr, name, "wrong-password")[0] == 401
    summaries = [e for e in app.store.audit.entries() if e.get("action") == "site.login.failures"]
    last = summaries[-1]
    assert last["reason"].startswith("4 failed logins for 3 name(s) from 2 client(s) since 2026-11-02T09:00:00")
    assert last["detail"]["known_names"] == ["wang", "zhou"] and last["detail"]["unknown_names"] == 1
    assert evil not in app.store.audit_bytes().decode("utf-8")
    assert verify_store(app.store, app.workspace.root).ok


def cli_run(app: App, *args: str, env: dict[str, str] | None = None) -> Any:
    argv = ["--workspace", str(app.workspace.root), *args]
    return CliRunner().invoke(build(argv), argv, env=env, catch_exceptions=False)


def test_logout_ends_the_session_and_the_old_cookie_with_it(flask_app: Flask, app: App) -> None:
    c = flask_app.test_client()
    login(c)
    cookie = c.get_cookie("qms_session")
    assert cookie is not None
    assert get(c, "/")[0] == 200
    with c.get("/logout") as r:
        assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert get(c, "/")[0] == 302
    replay = flask_app.test_client()
    replay.set_cookie("qms_session", cookie.value)
    assert get(replay, "/")[0] == 302  # the copied cookie is signed but its session is gone
    assert any(e.get("action") == "site.logout" for e in app.store.audit.entries())


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(flask_app: Flask, target: str) -> None:
    status, where = login(flask_app.test_client(), next_url=target)
    assert status == 302 and where == "/"


def test_login_returns_to_the_page_asked_for(flask_app: Flask) -> None:
    status, where = login(flask_app.test_client(), next_url=f"/forms/{sitekit.FORM}")
    assert status == 302 and where == f"/forms/{sitekit.FORM}"


# -- read-only, traversal, escaping ---------------------------------------------------------------


@pytest.mark.parametrize("url", [*PAGES, f"/documents/{sitekit.PROC}/A-1/pdf", "/records/TS-2026-0001/pdf", "/logout",
                                 "/audit.log", "/static/site.css"])
def test_no_route_but_login_accepts_a_post(client: FlaskClient, url: str) -> None:
    for method in (client.post, client.put, client.delete, client.patch):
        with method(url) as r:
            assert r.status_code == 405, (method, url)


TRAVERSALS = [
    "/records/..%2F..%2Fqms.toml/pdf", "/records/%2e%2e%2f%2e%2e%2fqms.toml/pdf", "/records/%2e%2e/pdf",
    "/records/..%252f..%252fqms.toml/pdf", "/records/%2Fetc%2Fpasswd/pdf", "/records/..%5c..%5cqms.toml/pdf",
    f"/documents/{sitekit.PROC}/..%2F..%2F..%2Fqms.toml/pdf", "/documents/..%2F..%2Fetc%2Fpasswd/A-0/pdf",
    f"/documents/{sitekit.PROC}/A-9/pdf", "/static/../qms.toml", "/static/%2e%2e/%2e%2e/qms.toml",
    "/static/..%2f..%2f..%2fqms.toml", "//etc/passwd", "/records/TS-2026-0001/attachments/..%2f..%2fqms.toml",
    "/records/TS-2026-0001/attachments/%2Fetc%2Fpasswd", "/records/TS-2026-0001/attachments/" + "0" * 64,
    "/records/..%2Faudit.log/json", "/records/TS-2026-9999/pdf", "/forms/..%2F..%2Fqms.toml",
    "/documents/%2e%2e", "/records/..", "/records/.%2e/pdf",
]


@pytest.mark.parametrize("url", TRAVERSALS)
def test_traversal_and_unknown_files_are_404(client: FlaskClient, url: str) -> None:
    with client.get(url) as r:
        assert r.status_code == 404, url
        assert b"[organisation]" not in r.data and b"root:" not in r.data


@pytest.mark.slow
def test_a_symlink_out_of_the_pdf_folder_is_404_and_nothing_is_written_outside(client: FlaskClient, app: App,
                                                                            tmp_path: Path) -> None:
    with client.get("/records/TS-2026-0005/pdf") as r:
        assert r.status_code == 200
    pdf = app.workspace.records / "pdf" / "records" / sitekit.FORM / "TS-2026-0005.pdf"
    outside = tmp_path / "outside"
    outside.mkdir()
    # A file link to a copy outside: same bytes, so the renderer keeps it, but the site must not follow it.
    shutil.copy(pdf, outside / "copy.pdf")
    pdf.unlink()
    pdf.symlink_to(outside / "copy.pdf")
    with client.get("/records/TS-2026-0005/pdf") as r:
        assert r.status_code == 404
    pdf.unlink()
    # A folder link: records/pdf/records/FORM → outside; nothing may be rendered into it.
    folder = pdf.parent
    moved = tmp_path / "kept"
    folder.rename(moved)
    folder.symlink_to(outside, target_is_directory=True)
    with client.get("/records/TS-2026-0006/pdf") as r:
        assert r.status_code == 404
    assert sorted(p.name for p in outside.iterdir()) == ["copy.pdf"]
    folder.unlink()
    moved.rename(folder)
    with client.get("/records/TS-2026-0005/pdf") as r:  # made again, so the workspace verifies for later tests
        assert r.status_code == 200
    assert verify_store(app.store, app.workspace.root).ok


def test_record_text_is_escaped_everywhere(client: FlaskClient) -> None:
    pages = [get(client, "/records/TS-2026-0003")[1], get(client, f"/forms/{sitekit.FORM}")[1],
             get(client, "/search?q=pwned")[1], get(client, "/search?q=<script>")[1]]
    for html in pages:
        assert "<script" not in html.lower()
        assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in pages[0]
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in pages[0]
    assert "TS-2026-0003" in pages[2]


def test_html_responses_forbid_scripts_framing_and_sniffing(client: FlaskClient) -> None:
    with client.get("/") as r:
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Cache-Control"] == "no-store"


def test_attachments_download_as_bytes_never_as_a_page(client: FlaskClient) -> None:
    status, html = get(client, "/records/TS-2026-0001")
    sha = re.search(r"/records/TS-2026-0001/attachments/([0-9a-f]{64})", html)
    assert status == 200 and sha
    with client.get(f"/records/TS-2026-0001/attachments/{sha.group(1)}") as r:
        assert r.status_code == 200
        assert r.data == sitekit.ATTACHMENT
        assert r.mimetype == "application/octet-stream"
        assert r.headers["Content-Disposition"].startswith("attachment;")
    with client.get(f"/records/TS-2026-0002/attachments/{sha.group(1)}") as r:
        assert r.status_code == 404  # by record and hash together, not by hash alone


# -- pages --------------------------------------------------------------------------------------


def test_dashboard_draws_plugin_figures_as_svg(client: FlaskClient) -> None:
    status, html = get(client, "/")
    assert status == 200
    assert "测试投诉按部门 Test complaints by department" in html
    assert html.count("<svg") >= 2 and "业务部" in html
    assert re.search(r'未结 Open</figcaption>\s*<div class="number">6', html)


def test_documents_in_force_with_control_block_history_reasons_and_signatures(client: FlaskClient) -> None:
    status, html = get(client, "/documents")
    assert status == 200 and sitekit.PROC in html and "测试投诉程序" in html and "A/1" in html
    status, html = get(client, f"/documents/{sitekit.PROC}")
    assert status == 200
    for text in ("编制 Prepared", "审核 Reviewed", "批准 Approved", "周文控", "李品质", "王总经理",
                 "增加回访要求 add the follow-up rule", "已替代 superseded", "受控 effective",
                 f"/documents/{sitekit.PROC}/A-0/pdf", f"/documents/{sitekit.PROC}/diff/A-0/A-1",
                 f"/forms/{sitekit.FORM}", "6 回访 Follow-up"):
        assert text in html, text
    status, html = get(client, f"/documents/{sitekit.PROC}/A-0")
    assert status == 200 and "已替代 superseded" in html and "6 回访" not in html


def test_diff_between_revisions(client: FlaskClient) -> None:
    status, html = get(client, f"/documents/{sitekit.PROC}/diff/A-0/A-1")
    assert status == 200
    assert '<span class="add">+结案后 7 日内回访客户。Follow up within 7 days.</span>' in html
    assert '<span class="del">-edition' not in html  # the stored content has no front matter
    assert "增加回访要求" in html


def test_external_page_and_forms_page(client: FlaskClient) -> None:
    status, html = get(client, "/external")
    assert status == 200 and "Nothing in force" in html
    status, html = get(client, "/forms")
    assert status == 200 and f"/forms/{sitekit.FORM}" in html and "测试投诉记录" in html


def _numbers(html: str) -> list[str]:
    return re.findall(r'<td><a href="/records/(TS-\d{4}-\d{4})">', html)


def test_register_filters_by_state_department_date_and_overdue(client: FlaskClient) -> None:
    base = f"/forms/{sitekit.FORM}"
    assert len(_numbers(get(client, base)[1])) == 7
    assert _numbers(get(client, base + "?state=closed")[1]) == ["TS-2026-0002"]
    assert sorted(_numbers(get(client, base + "?dept=业务部")[1])) == ["TS-2026-0001", "TS-2026-0003"]
    assert len(_numbers(get(client, base + "?since=2026-11-02&until=2026-11-02")[1])) == 7
    assert _numbers(get(client, base + "?since=2026-11-03")[1]) == []
    assert _numbers(get(client, base + "?overdue=1")[1]) == []  # no deadlines on this form
    status, html = get(client, base + "?since=yesterday")
    assert status == 400 and "YYYY-MM-DD" in html


def test_register_pages(app: App) -> None:
    site = Site(app)
    first = site.register(sitekit.FORM, page=1, page_size=3).context
    last = site.register(sitekit.FORM, page=9, page_size=3).context
    assert first["pages"] == 3 and len(first["rows"]) == 3
    assert last["page"] == 3 and len(last["rows"]) == 1
    assert {r["number"] for r in first["rows"]}.isdisjoint({r["number"] for r in last["rows"]})


def test_register_pagination_links_keep_the_filters(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qms.site.views.PAGE_SIZE", 2)
    status, html = get(client, f"/forms/{sitekit.FORM}?dept=品质部")
    assert status == 200
    assert re.search(r'href="/forms/QR-9.8-01\?[^"]*dept=%E5%93%81%E8%B4%A8%E9%83%A8[^"]*page=2', html) or \
        re.search(r'href="/forms/QR-9.8-01\?[^"]*page=2[^"]*dept=', html)


def test_record_page_shows_fields_attachments_history_and_audit_trail(client: FlaskClient) -> None:
    status, html = get(client, "/records/TS-2026-0002")
    assert status == 200
    for text in ("Late delivery", "Acme Corp", "已关闭 Closed", "已处理 handled", "record.move", "record.file",
                 "/records/TS-2026-0002/pdf", "QP-9.8-01"):
        assert text in html, text
    status, html = get(client, "/records/TS-2026-0001")
    assert "破损照片.txt" in html and "record.attach" in html


def test_record_json_is_the_stored_envelope(client: FlaskClient, app: App) -> None:
    import json

    with client.get("/records/TS-2026-0002/json") as r:
        assert r.status_code == 200 and r.mimetype == "application/json"
        assert json.loads(r.data) == app.store.get("records", "TS-2026-0002")


def test_due_audit_and_verify_pages(client: FlaskClient, app: App) -> None:
    status, html = get(client, "/due")
    assert status == 200 and "Nothing due" in html  # the only procedure was issued today: review in 12 months
    status, html = get(client, "/audit")
    assert status == 200 and "record.file" in html and app.store.audit.head() in html
    status, html = get(client, "/verify")
    assert status == 200 and "Not checked yet" in html
    status, html = get(client, "/verify?run=1")
    assert status == 200 and "完整 Intact" in html
    signed = verify_store(app.store, app.workspace.root).signatures["counts"]["verified"]
    assert signed and f"签名 Signatures: {signed} 已验证 verified (Ed25519) · 0 无密钥旧签名 unsigned (legacy) · 0 未通过 failed" in html
    with client.get("/audit.log") as r:
        assert r.status_code == 200 and r.data == app.store.audit_bytes()[: len(r.data)]


def test_audit_log_pages_newest_first(app: App) -> None:
    site = Site(app)
    first = site.audit_page(1, page_size=5).context
    assert first["pages"] == -(-first["total"] // 5)
    seqs = [e["seq"] for e in first["entries"]]
    assert seqs == sorted(seqs, reverse=True) and seqs[0] == first["total"]
    second = site.audit_page(2, page_size=5).context
    assert second["entries"][0]["seq"] == seqs[-1] - 1


def test_verify_page_names_a_changed_object(app: App) -> None:
    site = Site(app)
    with tampered(app.store, "users", "aud", lambda user: {**user, "dept": "内部审核"}):
        report = site.verify(run=True).context["report"]
        assert not report.ok and [p.object for p in report.problems] == ["users/aud"]


def test_search_chinese_and_english(client: FlaskClient) -> None:
    status, html = get(client, f"/search?q={sitekit.CHINESE_WORD}")
    assert status == 200 and "TS-2026-0001" in html and "TS-2026-0002" not in html
    status, html = get(client, "/search?q=LATE DELIVERY")
    assert "TS-2026-0002" in html and "TS-2026-0001" not in html
    status, html = get(client, "/search?q=回访")
    assert f"{sitekit.PROC} A/1" in html
    status, html = get(client, "/search?q=")
    assert status == 200


# -- PDFs ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_revision_pdfs_are_rendered_on_demand_stamped_cached_and_logged(client: FlaskClient, app: App) -> None:
    pdf_dir = app.workspace.records / "pdf" / "documents"
    with client.get(f"/documents/{sitekit.PROC}/A-0/pdf") as r:
        assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
        old = r.data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(old)).pages)
    assert "SUPERSEDED" in text or "已替代" in text
    cached = pdf_dir / "QP-9.8-01_A-0.pdf"
    assert cached.read_bytes() == old
    stamp = cached.stat().st_mtime_ns
    with client.get(f"/documents/{sitekit.PROC}/A-0/pdf") as r:
        assert r.data == old
    assert cached.stat().st_mtime_ns == stamp  # served from the cache, not rendered again
    with client.get(f"/documents/{sitekit.PROC}/A-1/pdf") as r:
        current = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
    assert "CONTROLLED" in current or "受控" in current
    logged = [e for e in app.store.audit.entries() if e.get("collection") == "file"
              and e.get("key") == "records/pdf/documents/QP-9.8-01_A-0.pdf"]
    assert logged and logged[-1]["actor"] == "aud"
    assert verify_store(app.store, app.workspace.root).ok


@pytest.mark.slow
def test_a_changed_cached_pdf_is_made_again_before_it_is_served(client: FlaskClient, app: App) -> None:
    with client.get("/records/TS-2026-0004/pdf") as r:
        good = r.data
    path = app.workspace.records / "pdf" / "records" / sitekit.FORM / "TS-2026-0004.pdf"
    path.write_bytes(good[:-10] + b"tampered!\n")
    with client.get("/records/TS-2026-0004/pdf") as r:
        assert r.data.startswith(b"%PDF") and b"tampered!" not in r.data
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(good)).pages)
    assert "TS-2026-0004" in text


# -- read access logging ------------------------------------------------------------------------


def reads_site(built: Workspace, tmp_path: Path, log_reads: str | None) -> tuple[App, Flask]:
    """A copy of the site workspace with ``[site] log_reads`` as given (absent when None)."""
    root = tmp_path / "reads"
    copy_workspace(built.root, root)
    if log_reads is not None:
        with (root / "qms.toml").open("a", encoding="utf-8") as f:
            f.write(f"\n[site]\nlog_reads = {log_reads}\n")
    app = App(Workspace.open(root), sitekit.host())
    return app, create_app(app, secret_key="reads")


def read_entries(app: App) -> list[dict[str, Any]]:
    return [e for e in app.store.audit.entries() if e.get("action") == "site.read"]


def test_with_log_reads_on_viewing_a_record_and_its_pdf_is_logged_naming_user_and_record(
        built: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", sitekit.NOW)
    app, site = reads_site(built, tmp_path, "true")
    c = site.test_client()
    assert login(c)[0] == 302
    size = len(app.store.audit_bytes())
    assert get(c, "/records/TS-2026-0001")[0] == 200
    with c.get("/records/TS-2026-0001/pdf") as r:
        assert r.status_code == 200 and r.mimetype == "application/pdf"
    # Buffered, not written at each view (the PDF's first rendering is logged as a file, not a read).
    assert read_entries(app) == [] and site.extensions["qms_reads"].pending() == 2
    shutdown(site)
    [entry] = read_entries(app)
    assert [(v["user"], v["kind"], v["key"]) for v in entry["detail"]["views"]] == [
        ("aud", "record", "TS-2026-0001"), ("aud", "record.pdf", "TS-2026-0001")]
    assert entry["reason"] == "2 view(s) by aud" and len(app.store.audit_bytes()) > size
    assert verify_store(app.store, app.workspace.root).ok


def test_read_views_are_written_as_one_entry_per_batch(built: Workspace, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", sitekit.NOW)
    monkeypatch.setattr(reads, "BATCH", 3)
    app, site = reads_site(built, tmp_path, "true")
    c = site.test_client()
    assert login(c)[0] == 302
    for _ in range(4):
        assert get(c, "/records/TS-2026-0001")[0] == 200
    assert [len(e["detail"]["views"]) for e in read_entries(app)] == [3]
    assert site.extensions["qms_reads"].pending() == 1
    shutdown(site)  # the rest at shutdown
    assert [len(e["detail"]["views"]) for e in read_entries(app)] == [3, 1]


def test_with_log_reads_on_a_record_opened_in_the_web_workspace_is_logged(built: Workspace, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", sitekit.NOW)
    app, site = reads_site(built, tmp_path, "true")
    c = site.test_client()
    assert login(c, "li")[0] == 302
    assert get(c, "/work/records/TS-2026-0002")[0] == 200
    shutdown(site)
    [entry] = read_entries(app)
    assert [(v["user"], v["kind"], v["key"]) for v in entry["detail"]["views"]] == [("li", "record", "TS-2026-0002")]


def test_a_quiet_server_writes_its_buffered_views_after_the_period(built: Workspace, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", sitekit.NOW)
    monkeypatch.setattr(reads, "EVERY_SECONDS", 0.2)
    app, site = reads_site(built, tmp_path, "true")
    c = site.test_client()
    assert login(c)[0] == 302
    assert get(c, "/records/TS-2026-0003")[0] == 200
    for _ in range(50):  # no further view and no shutdown: the timer writes it
        if read_entries(app):
            break
        time.sleep(0.1)
    [entry] = read_entries(app)
    assert [(v["user"], v["key"]) for v in entry["detail"]["views"]] == [("aud", "TS-2026-0003")]


@pytest.mark.parametrize("setting", [None, "false"])
def test_with_log_reads_off_viewing_logs_no_reads(built: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 setting: str | None) -> None:
    monkeypatch.setenv("QMS_NOW", sitekit.NOW)
    app, site = reads_site(built, tmp_path, setting)
    c = site.test_client()
    assert login(c)[0] == 302
    assert get(c, "/records/TS-2026-0001")[0] == 200
    with c.get("/records/TS-2026-0001/pdf") as r:
        assert r.status_code == 200
    assert login(c, "li")[0] == 302
    assert get(c, "/work/records/TS-2026-0001")[0] == 200
    shutdown(site)
    assert read_entries(app) == []


def test_a_log_reads_that_is_not_true_or_false_is_one_clear_error(built: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="site.log_reads .* must be true or false"):
        reads_site(built, tmp_path, '"yes"')
