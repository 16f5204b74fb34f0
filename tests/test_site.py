"""The auditor site through Flask's test client: every page, and every refusal (login, CSRF, lockout, 405, traversal, escaping)."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sitekit
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from qms.app import App
from qms.site.app import create_app
from qms.site.auth import LOCK_AFTER
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
    actions = [e["action"] for e in app.store.audit.entries() if e.get("action", "").startswith("site.login.failed")]
    assert len(actions) >= 2
    assert get(c, "/")[0] == 302  # still not logged in


def test_lockout_after_repeated_failures_survives_a_restart_and_expires(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    c = create_app(app, secret_key="a").test_client()
    for _ in range(LOCK_AFTER - 1):
        assert login(c, "zhao", "wrong-password")[0] == 401
    status, body = login(c, "zhao", "wrong-password")
    assert status == 401 and "locked" in body
    # The right password is refused while locked, also by a freshly started server.
    status, body = login(create_app(App(app.workspace, sitekit.host()), secret_key="b").test_client(), "zhao", sitekit.PW)
    assert status == 401 and "locked" in body
    actions = [e["action"] for e in app.store.audit.entries() if e.get("actor") == "zhao" and e["action"].startswith("site.")]
    assert actions.count("site.login.failed") == LOCK_AFTER - 1
    assert "site.login.locked" in actions and "site.login.refused" in actions
    # Another user is not affected.
    assert login(create_app(app, secret_key="c").test_client())[0] == 302
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:16:00")
    assert login(create_app(app, secret_key="d").test_client(), "zhao", sitekit.PW)[0] == 302
    assert app.store.get("site_logins", "zhao")["failures"] == 0
    assert verify_store(app.store, app.workspace.root).ok


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
    with client.get("/audit.log") as r:
        assert r.status_code == 200 and r.data == app.store.audit.path.read_bytes()[: len(r.data)]


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
    bucket = next(p for p in (app.workspace.records / "db" / "users").glob("*.json") if "外部审核" in p.read_text("utf-8"))
    original = bucket.read_bytes()
    try:
        bucket.write_bytes(original.replace("外部审核".encode(), "内部审核".encode()))
        report = site.verify(run=True).context["report"]
        assert not report.ok and [p.object for p in report.problems] == ["users/aud"]
    finally:
        bucket.write_bytes(original)


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
