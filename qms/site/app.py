"""The Flask application of the auditor site: routes, the login guard, security headers and error pages.

Read-only by construction: every route is GET except the login form's POST (CSRF-checked); there is
no route that takes a file path; PDFs and attachments are found by document, record or sha256
identifiers. Templates autoescape. Responses carry a strict Content-Security-Policy (no scripts at
all), ``nosniff``, ``no-referrer`` and ``frame-ancestors 'none'``.
"""

from __future__ import annotations

import io
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from qms import __version__
from qms.app import App, settings
from qms.errors import AuthError, NotFound, QMSError
from qms.site import files
from qms.site.auth import Logins, Sessions, Throttled, csrf_ok, csrf_token, safe_next
from qms.site.links import server_links
from qms.site.reads import ReadLog
from qms.site.reads import enabled as read_logging
from qms.site.views import SHA, Site, View, check_number, edition_of

HERE = Path(__file__).resolve().parent
SESSION_HOURS = 8
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
#: The web workspace runs one script of its own (the live preview) and may fetch from this site.
WORK_CSP = CSP + "; script-src 'self'; connect-src 'self'"
#: Room for the form fields beside an upload of the largest allowed attachment.
FORM_ALLOWANCE = 1024 * 1024
#: Endpoints reachable without logging in.
# Logging out needs no session: a stale tab that logs out lands on the login page, not on a login that logs out again.
PUBLIC = frozenset({"login", "logout", "static"})


def configure(env: Any) -> None:
    """Filters and globals the site's templates use, for the server's and the bundle's Jinja environment."""
    from qms.dates import show_date, show_time
    from qms.users import signer_title

    env.filters["when"] = show_time
    env.filters["day"] = show_date
    env.filters["ed"] = lambda edition: str(edition).replace("/", "-")
    env.filters["signer"] = signer_title
    env.globals["version"] = __version__


def create_app(app: App, *, secret_key: str | None = None) -> Flask:
    """The auditor site over one opened workspace."""
    flask = Flask("qms.site", template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    flask.config.update(
        SECRET_KEY=secret_key or os.environ.get("QMS_SITE_SECRET") or secrets.token_hex(32),
        SESSION_COOKIE_NAME="qms_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        # The largest upload a record may take, and the form around it; Werkzeug answers 413 beyond.
        MAX_CONTENT_LENGTH=int(app.workspace.config.max_attachment_mb * 1024 * 1024) + FORM_ALLOWANCE,
        SEND_FILE_MAX_AGE_DEFAULT=0,
    )
    configure(flask.jinja_env)
    site = Site(app)
    sessions = Sessions()
    logins = Logins(app.store, app.users)
    reads = ReadLog(app.store, on=read_logging(settings(app, "site")))
    flask.extensions["qms_site"] = site
    flask.extensions["qms_logins"] = logins
    flask.extensions["qms_reads"] = reads
    from qms.web.blueprint import blueprint

    flask.register_blueprint(blueprint(app), url_prefix="/work")
    link = server_links(url_for)

    def page(view: View, title: str, status: int = 200) -> Response:
        html = render_template(view.template, **view.context, title=title)
        return Response(html, status=status, mimetype="text/html")

    @flask.context_processor
    def globals_() -> dict[str, Any]:
        cfg = app.workspace.config
        return {"link": link, "static_mode": False, "user": g.get("user"),
                "org": {"name": cfg.organisation, "name_en": cfg.organisation_en}}

    @flask.before_request
    def guard() -> Any:
        # Unknown paths and wrong methods answer 404/405 whoever asks; everything else needs a login.
        if request.routing_exception is not None or request.endpoint in PUBLIC:
            return None
        name = sessions.user(session.get("sid"))
        user = app.store.get("users", name) if name and name == session.get("user") else None
        if user is None or not user.get("active", True):
            expired = bool(session.get("user")) or request.method == "POST"
            session.pop("sid", None)
            session.pop("user", None)
            # A form sent after the session ended is not acted on; the login page says why.
            target = request.full_path.rstrip("?") if request.method == "GET" else request.referrer or ""
            args: dict[str, Any] = {"next": safe_next(target, url_for("work.my_work"))}
            if expired:
                args["expired"] = 1
            # 303 turns a refused POST into a GET of the login page; a GET keeps the usual 302.
            return redirect(url_for("login", **args), code=303 if request.method == "POST" else 302)
        g.user = {k: v for k, v in user.items() if k != "password"}
        return None

    @flask.after_request
    def headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = WORK_CSP if request.path.startswith("/work") else CSP
        return response

    @flask.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        limit = app.workspace.config.max_attachment_mb
        titles = {400: "请求无效 Bad request", 403: "禁止 Forbidden", 404: "未找到 Not found",
                  405: "不允许的方法 Method not allowed",
                  413: f"上传过大 The upload is over the {limit:g} MB limit; nothing was stored. "
                       f"Shrink or split the file and send the form again"}
        code = exc.code or 500
        message = titles.get(code, exc.name)
        if code == 400 and exc.description == "csrf":
            message = ("表单安全令牌缺失或已过期 The form's security token is missing or stale; nothing was "
                       "stored. Reload the page and send it again")
        response = page(View("error.html", {"code": code, "message": message}), str(code), code)
        if code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @flask.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        return page(View("error.html", {"code": 404, "message": "未找到 Not found"}), "404", 404)

    @flask.errorhandler(QMSError)
    def qms_error(exc: QMSError) -> Response:
        from qms.web.context import status_of

        code = status_of(exc)  # a permission refusal is 403, a missing object 404, bad input 400
        return page(View("error.html", {"code": code, "message": str(exc)}), str(code), code)

    def landing(user: dict[str, Any]) -> str:
        # Those who may change something start on My work; a read-only account on the dashboard.
        writes = ("record.file", "record.move", "doc.prepare", "doc.review", "doc.approve", "doc.acknowledge")
        config = app.workspace.config
        return url_for("work.my_work") if any(config.allows(user["role"], p) for p in writes) else url_for("dashboard")

    # -- login ------------------------------------------------------------------------------

    @flask.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error = ""
        status = 200
        retry = 0
        target = safe_next(request.values.get("next"), "")
        if request.method == "POST":
            if not csrf_ok(session, request.form.get("csrf")):
                abort(400)
            name = request.form.get("name", "").strip()[:40]
            password = request.form.get("password", "")[:1024]
            try:
                user = logins.login(name, password, request.remote_addr or "")
            except Throttled as exc:
                error, status, retry = str(exc), 429, exc.wait
            except AuthError as exc:
                error, status = str(exc), 401
            else:
                sessions.close(session.get("sid"))
                session.clear()  # a fresh session on login: no fixation of an earlier cookie
                session.permanent = True
                session["user"] = user["name"]
                session["sid"] = sessions.open(user["name"])
                csrf_token(session)
                return redirect(target or landing(user))
        if request.method == "GET" and request.args.get("expired") and not error:
            error = "会话已过期 Your session has ended; log in again (nothing was stored from the last form)"
        view = View("login.html", {"csrf": csrf_token(session), "error": error, "next": target})
        response = page(view, "登录 Log in", status)
        if retry:
            response.headers["Retry-After"] = str(retry)  # the throttle's wait, for scripts and proxies
        return response

    @flask.route("/logout")
    def logout() -> Any:
        user = session.get("user")
        sessions.close(session.get("sid"))
        session.clear()
        if user:
            logins.logout(str(user))
        return redirect(url_for("login"))

    # -- pages ---------------------------------------------------------------------------------

    @flask.route("/")
    def dashboard() -> Response:
        return page(site.dashboard(), "仪表板 Dashboard")

    @flask.route("/documents")
    def documents() -> Response:
        return page(site.document_list(external=False), "受控文件 Procedures")

    @flask.route("/external")
    def external() -> Response:
        return page(site.document_list(external=True), "外来文件 External documents")

    @flask.route("/documents/<number>")
    def document(number: str) -> Response:
        view = site.document(number)
        return page(view, f"{number} {view.context['rev'].get('title', '')}")

    @flask.route("/documents/<number>/<ed>")
    def revision(number: str, ed: str) -> Response:
        view = site.document(number, edition_of(ed))
        return page(view, f"{number} {edition_of(ed)}")

    @flask.route("/documents/<number>/<ed>/pdf")
    def revision_pdf(number: str, ed: str) -> Response:
        path = files.revision_pdf(app, number, edition_of(ed), g.user["name"])
        reads.note(g.user["name"], "document.pdf", f"{number} {edition_of(ed)}")
        return send_file(path, mimetype="application/pdf", download_name=path.name, max_age=0)

    @flask.route("/documents/<number>/diff/<old>/<new>")
    def diff(number: str, old: str, new: str) -> Response:
        return page(site.diff(number, edition_of(old), edition_of(new)), f"{number} {old} → {new}")

    @flask.route("/forms")
    def forms() -> Response:
        return page(site.form_list(), "表单 Forms")

    @flask.route("/forms/<form>")
    def register(form: str) -> Response:
        args = request.args
        try:
            number = int(args.get("page", "1"))
        except ValueError:
            number = 1
        view = site.register(form, state=args.get("state", "")[:40], dept=args.get("dept", "")[:40],
                             since=args.get("since", "")[:10], until=args.get("until", "")[:10],
                             overdue=args.get("overdue") == "1", page=number)
        return page(view, f"{form} 登记表 Register")

    @flask.route("/records/<number>")
    def record(number: str) -> Response:
        view = site.record(number)
        reads.note(g.user["name"], "record", number)
        return page(view, number)

    @flask.route("/records/<number>/pdf")
    def record_pdf(number: str) -> Response:
        path = files.record_pdf(app, number, g.user["name"])
        reads.note(g.user["name"], "record.pdf", number)
        return send_file(path, mimetype="application/pdf", download_name=path.name, max_age=0)

    @flask.route("/records/<number>/json")
    def record_json(number: str) -> Response:
        check_number(number, "record")
        record = app.store.get("records", number)
        if record is None:
            raise NotFound(f"no record {number!r}")
        reads.note(g.user["name"], "record.json", number)
        body = json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True)
        return Response(body, mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{number}.json"'})

    @flask.route("/records/<number>/attachments/<sha>")
    def attachment(number: str, sha: str) -> Response:
        if not SHA.match(sha):
            raise NotFound("no such attachment")
        data, name, _ = files.attachment(app, number, sha)
        reads.note(g.user["name"], "record.attachment", f"{number} {sha[:12]}")
        # Always a download, never rendered by the browser: an uploaded HTML or SVG must not run here.
        return Response(data, mimetype="application/octet-stream",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}"})

    @flask.route("/due")
    def due() -> Response:
        return page(site.due(), "到期事项 Due items")

    @flask.route("/audit")
    def audit() -> Response:
        try:
            number = int(request.args.get("page", "1"))
        except ValueError:
            number = 1
        return page(site.audit_page(number), "审计日志 Audit log")

    @flask.route("/audit.log")
    def audit_raw() -> Response:
        path = app.store.audit.path
        if app.store.kind == "folder":
            if not path.is_file():
                raise NotFound("the audit log is empty")
            return send_file(path, mimetype="text/plain", as_attachment=True, download_name="audit.log", max_age=0)
        data = app.store.audit_bytes()  # the audit table's rows as the lines of audit.log
        if not data:
            raise NotFound("the audit log is empty")
        return send_file(io.BytesIO(data), mimetype="text/plain", as_attachment=True, download_name="audit.log",
                         max_age=0)

    @flask.route("/verify")
    def verify() -> Response:
        return page(site.verify(run=request.args.get("run") == "1"), "完整性校验 Verification")

    @flask.route("/search")
    def search() -> Response:
        return page(site.search(request.args.get("q", "")), "搜索 Search")

    return flask


def shutdown(flask: Flask) -> None:
    """Write what the site keeps in memory before the server stops: buffered read views, login failures."""
    flask.extensions["qms_reads"].close()
    flask.extensions["qms_logins"].throttle.flush()


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


__all__ = ["configure", "create_app", "shutdown"]
