"""The web workspace blueprint: My work, the language switch and the plugins' boards, plus the record and document pages.

``blueprint(app)`` builds the ``work`` blueprint over one opened workspace; ``qms.site.app``
mounts it under ``/work`` behind the site's login guard, so every route here has a signed-in user
in ``g.user``. Every POST carries the session's CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, redirect, request, session, url_for

from qms import clock, mywork
from qms.app import App, settings
from qms.errors import PermissionDenied, QMSError, UsageError
from qms.recordquery import record_query
from qms.site.auth import safe_next
from qms.web import document_pages, lang, record_pages
from qms.web.context import page, require_csrf, status_of, t

#: Permissions that change nothing: a role holding only these is read-only, in the browser too.
READ_ONLY = frozenset({"export", "render"})

HERE_TEMPLATES = "templates"


def blueprint(app: App) -> Blueprint:
    """The ``work`` blueprint over ``app``."""
    bp = Blueprint("work", __name__, template_folder=HERE_TEMPLATES, static_folder="static",
                   static_url_path="/static/work")

    @bp.app_context_processor
    def work_globals() -> dict[str, Any]:
        current = lang.current(session)
        return {"t": lambda zh, en: lang.pick(current, zh, en), "lang": current,
                "boards": app.host.web_pages(), "bi": _bilingual(current)}

    @bp.route("/")
    def my_work() -> Response:
        work = mywork.my_work(app, dict(g.user))
        return page("mywork.html", ("我的待办", "My work"), work=work, kinds=mywork.KINDS,
                    drafts=record_pages.drafts.mine(app, g.user["name"]))

    @bp.route("/lang/<code>")
    def switch(code: str) -> Any:
        if code not in lang.LANGS:
            abort(404)
        session["lang"] = code
        return redirect(safe_next(request.args.get("next"), url_for("work.my_work")))

    @bp.route("/boards/<slug>")
    def board(slug: str) -> Response:
        known = {p["slug"]: p for p in app.host.web_pages()}
        if slug not in known:
            abort(404)
        now = clock.now()
        data = app.host.web_page(slug, record_query(app), now, app.calendar, settings(app)) or {"sections": []}
        meta = known[slug]
        return page("board.html", (meta["title"], meta["title_en"]), board=data, meta=meta)

    @bp.route("/password", methods=["GET", "POST"])
    def password() -> Any:
        # The same rule as `qms user passwd`: the current password first, then the new one twice. It
        # gives the user a new signing key of their own, which is also how a user whose password an
        # admin reset may sign again. A read-only account (an auditor's) changes nothing here either:
        # its password is set by an admin.
        error, status = "", 200
        read_only = set(app.workspace.config.roles.get(str(g.user.get("role", "")), [])) <= READ_ONLY
        try:
            if read_only:
                raise PermissionDenied(t("只读账户不能在此修改任何内容，包括密码；请联系系统管理员",
                                         "a read-only account changes nothing here, its password included; "
                                         "ask the admin"))
            if request.method == "POST":
                require_csrf()
                current, new, again = (request.form.get(k, "")[:1024] for k in ("current", "new", "again"))
                if new != again:
                    raise UsageError(t("两次输入的新密码不一致，请重新输入", "the two new passwords differ; type the same one twice"))
                name = str(g.user["name"])
                app.users.authenticate(name, current)
                app.users.set_password(name, new, actor=name)
                return redirect(url_for("work.password", changed=1))
        except QMSError as exc:
            error, status = str(exc), status_of(exc)
        return page("password.html", ("修改密码", "Change password"), status, error=error, read_only=read_only,
                    changed=bool(request.args.get("changed")) and not error)

    record_pages.add(bp, app)
    document_pages.add(bp, app)
    return bp


def _bilingual(current: str) -> Any:
    """``bi("中文", "English")`` as markup-free text, the session's language first and the other after it."""
    def bi(zh: str, en: str) -> str:
        if not en or en == zh:
            return zh
        return f"{en} · {zh}" if current == "en" else f"{zh} {en}"
    return bi


__all__ = ["blueprint"]
