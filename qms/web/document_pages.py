"""Document pages of the web workspace: draft, edit with preview, submit, review, approve, issue, distribute, acknowledge.

Routes (under ``/work``): ``GET /documents``, ``GET|POST /documents/new``,
``GET /documents/<number>`` (the review page: text, control data, the acts open to the user, the
editions with diffs, copies and acknowledgements), ``GET|POST /documents/<number>/edit`` (Markdown
with a preview), ``POST /preview`` (the live preview's HTML) and ``POST /documents/<number>/<act>``
for ``submit``, ``review``, ``approve``, ``issue``, ``distribute``, ``revise``, ``acknowledge`` and
``obsolete``. Each act calls the same function of ``qms.documents`` or ``qms.distribution`` as the
CLI verb of the same name; signed acts take the password from the same form.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, redirect, request, url_for

from qms import clock, distribution, documents, records
from qms.app import App
from qms.errors import QMSError, UsageError
from qms.site.views import check_number, edition_slug, signature_columns
from qms.web.context import acting, may, page, require_csrf, status_of, t

ACTS = ("submit", "review", "approve", "issue", "distribute", "revise", "acknowledge", "obsolete")
MAX_TEXT = 200_000


def _markdown(app: App, text: str) -> Any:
    from qms.render.markdown import markdown_to_html
    from qms.render.sources import form_resolver

    return markdown_to_html(text, host=app.host, resolve_form=form_resolver(app))


def add(bp: Blueprint, app: App) -> None:
    """Add the document routes to the blueprint."""

    @bp.route("/documents")
    def documents_list() -> Response:
        rows = []
        for number, revs in sorted(documents.all_documents(app).items()):
            latest = revs[-1]
            rows.append({"number": number, "latest": latest, "in_force": documents.in_force(revs)})
        return page("documents.html", ("文件控制", "Document control"), rows=rows,
                    can_prepare=may(app, "doc.prepare"))

    @bp.route("/documents/new", methods=["GET", "POST"])
    def new() -> Any:
        values = {k: request.form.get(k, "")[:200] for k in ("number", "title", "title_en", "owner", "reason")}
        if request.method == "GET":
            return page("document_new.html", ("新建文件", "New document"), values=values, error="")
        require_csrf()
        try:
            if not values["number"]:
                raise UsageError(t("请填写文件编号，例如 QP-7.5-01", "give the document number, e.g. QP-7.5-01"))
            check_number(values["number"], "document")
            documents.new_document(acting(app), values["number"], title=values["title"] or None,
                                   title_en=values["title_en"] or None, owner=values["owner"] or None,
                                   reason=values["reason"])
        except QMSError as exc:
            return page("document_new.html", ("新建文件", "New document"), status_of(exc), values=values,
                        error=str(exc))
        return redirect(url_for("work.edit_document", number=values["number"]))

    def review_page(number: str, *, error: str = "", status: int = 200) -> Response:
        check_number(number, "document")
        revs = documents.require_revisions(app, number)
        latest = documents.get_revision(app, number, revs[-1]["edition"])
        current = documents.in_force(revs)
        name = g.user["name"]
        history = [{**r, "slug": edition_slug(r["edition"]),
                    "previous": edition_slug(revs[i - 1]["edition"]) if i else None} for i, r in enumerate(revs)]
        acked = distribution.acknowledgements(app, number, current["edition"]) if current else []
        owed = distribution.unacknowledged(app, number) if current else []
        reviewers = [u for u in app.users.list() if u.get("active", True) and u["name"] != name
                     and u["role"] in app.workspace.config.reviewer_roles
                     and app.workspace.config.allows(u["role"], "doc.review")]
        return page("document.html", (f"{number} {latest.get('title', '')}", f"{number} {latest.get('title_en', '')}"),
                    status, rev=latest, current=current, history=history, body=_markdown(app, str(latest.get("content", ""))),
                    columns=signature_columns(list(latest.get("signatures") or [])), error=error,
                    copies=distribution.copies(app, number), acked=acked, owed=owed, reviewers=reviewers,
                    i_owe=any(a["name"] == name for a in owed), me=name,
                    can={p: may(app, p) for p in ("doc.prepare", "doc.review", "doc.approve", "doc.issue",
                                                 "doc.distribute", "doc.acknowledge", "doc.obsolete")},
                    depts=sorted({u.get("dept", "") for u in app.users.list() if u.get("dept")}),
                    users=[u for u in app.users.list() if u.get("active", True)],
                    today=clock.now().date().isoformat())

    @bp.route("/documents/<number>")
    def document(number: str) -> Response:
        return review_page(number)

    @bp.route("/documents/<number>/edit", methods=["GET", "POST"])
    def edit_document(number: str) -> Any:
        check_number(number, "document")
        rev = documents.get_revision(app, number, documents.require_revisions(app, number)[-1]["edition"])
        body = request.form.get("body", str(rev.get("content", "")))[:MAX_TEXT]
        reason = request.form.get("reason", str(rev.get("reason", "")))[:2000]
        error = ""
        status = 200
        if request.method == "POST":
            require_csrf()
            try:
                if request.form.get("action") == "preview":
                    acting(app).actor("doc.prepare", "preview draft documents")
                else:
                    documents.edit_draft(acting(app), number, body, reason)
                    return redirect(url_for("work.document", number=number, saved=1))
            except QMSError as exc:
                error, status = str(exc), status_of(exc)
        return page("document_edit.html", (f"编辑 {number}", f"Edit {number}"), status, rev=rev, body=body,
                    reason=reason, preview=_markdown(app, body), error=error)

    @bp.route("/preview", methods=["POST"])
    def preview() -> Response:
        require_csrf()
        try:
            acting(app).actor("doc.prepare", "preview draft documents")
        except QMSError as exc:
            return Response(str(exc), status=status_of(exc), mimetype="text/plain")
        return Response(str(_markdown(app, request.form.get("body", "")[:MAX_TEXT])), mimetype="text/html")

    @bp.route("/documents/<number>/<act>", methods=["POST"])
    def document_act(number: str, act: str) -> Any:
        check_number(number, "document")
        if act not in ACTS:
            abort(404)
        require_csrf()
        form = request.form
        password = form.get("password", "")[:1024]
        user_app = acting(app)

        def run_act() -> Any:
            if act == "submit":
                documents.submit(user_app, number, [r[:40] for r in form.getlist("reviewer") if r], password)
            elif act == "review":
                decision = form.get("decision", "")
                if decision not in ("accept", "reject"):
                    raise UsageError(t("请选择通过或退回", "choose accept or reject"))
                documents.review(user_app, number, decision == "accept", form.get("comment", "")[:2000], password)
            elif act == "approve":
                documents.approve(user_app, number, password)
            elif act == "issue":
                documents.issue(user_app, number, form.get("effective", "")[:10] or None)
            elif act == "distribute":
                try:
                    count = int(form.get("copies", "1") or "1")
                except ValueError:
                    raise UsageError(t("份数必须是整数", "the number of copies must be a whole number")) from None
                distribution.distribute(user_app, number, form.get("dept", "")[:40], holder=form.get("holder", "")[:40],
                                        controlled=form.get("uncontrolled") != "1", count=count)
            elif act == "revise":
                documents.revise(user_app, number, form.get("major") == "1", form.get("reason", "")[:2000])
                return redirect(url_for("work.edit_document", number=number))
            elif act == "acknowledge":
                # With the password the acknowledgement is signed (Ed25519); My work's one-click one is not.
                distribution.acknowledge(user_app, number, password or None)
            elif act == "obsolete":
                documents.obsolete(user_app, number, form.get("reason", "")[:2000])
            return None

        try:
            # Done again when another writer's unit of work collided with it (nothing of it was kept).
            moved_on = records.retrying(run_act)
        except QMSError as exc:
            return review_page(number, error=str(exc), status=status_of(exc))
        return moved_on or redirect(url_for("work.document", number=number, done=act))


__all__ = ["ACTS", "add"]
