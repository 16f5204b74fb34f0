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
from qms.recordquery import record_query
from qms.site.auth import safe_next
from qms.web import document_pages, lang, record_pages
from qms.web.context import page, t

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
