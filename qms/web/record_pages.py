"""Record pages of the web workspace: file a record from its generated form, save and finish drafts, move, sign, update, amend and attach.

Routes (all under ``/work``):

* ``GET  /file``: the forms the user may file; ``GET|POST /file/<form>``: the generated form.
  Its buttons save a draft, file the record, or add a row to a repeating section.
* ``POST /drafts/<key>/discard``.
* ``GET  /records/<number>``: the record with the moves allowed to the user as buttons and the
  reasons for every move the rules refuse; ``POST /records/<number>/move`` (a signed move asks
  for the password in the same form).
* ``GET|POST /records/<number>/edit``: change an open record, or amend a closed one (with a reason).
* ``POST /records/<number>/attach``: one upload, size-capped and stored by sha256.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import FileStorage

from qms import drafts, form_control, forms, records, references
from qms.app import App
from qms.errors import QMSError, UsageError, ValidationFailed
from qms.site.views import check_number
from qms.web import fields as widgets
from qms.web.context import acting, may, page, require_csrf, status_of, t

#: Numbers offered in an x-ref search-select, newest first.
REF_CHOICES = 200


def ref_choices(app: App, form: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """For each ``x-ref`` kind the form uses: the objects the plugins offer to pick from; a user field
    narrowed to departments or posts gets its own list (``references.choice_key``)."""
    found: dict[str, list[dict[str, str]]] = {}
    for name, prop in sorted(references.ref_fields(form).items()):
        key, kind = references.choice_key(name, prop), str(prop.get("x-ref"))
        if key not in found:
            offered = references.choices(app, kind) if key == kind else references.user_choices(app, prop)
            found[key] = offered[:REF_CHOICES]
    return found


def _uploads() -> list[FileStorage]:
    return [f for f in request.files.getlist("attachments") if f and f.filename]


def _close(files: list[FileStorage]) -> None:
    # Werkzeug spools large uploads to temporary files; a refused upload must not leave them open.
    for item in files:
        item.close()


def _check_sizes(app: App, files: list[FileStorage]) -> None:
    limit = app.workspace.config.max_attachment_mb * 1024 * 1024
    for item in files:
        item.stream.seek(0, 2)
        size = item.stream.tell()
        item.stream.seek(0)
        if size > limit:
            raise UsageError(f"{item.filename} is {size / 1048576:.1f} MB, over the "
                             f"{app.workspace.config.max_attachment_mb:g} MB limit; shrink or split it")


def _attach_all(app: App, number: str, files: list[FileStorage]) -> None:
    for item in files:
        name = Path(str(item.filename)).name or "attachment"
        with tempfile.TemporaryDirectory(prefix="qms-upload-") as tmp:
            path = Path(tmp) / name
            item.stream.seek(0)  # from the start again when the unit of work is done again
            item.save(path)
            records.attach(app, number, path)


def add(bp: Blueprint, app: App) -> None:
    """Add the record routes to the blueprint."""

    def form_page(form: dict[str, Any], data: dict[str, Any], *, problems: list[str] | None = None,
                  error: str = "", draft: str = "", status: int = 200, mode: str = "file",
                  record: dict[str, Any] | None = None) -> Response:
        sections = widgets.widgets(form, data, problems)
        general = widgets.problems_by_field(problems or []).get("", [])
        return page("form.html", (f"填写 {form['number']} {form.get('title', '')}",
                                  f"File {form['number']} {form.get('title_en', '')}"), status,
                    form=form, sections=sections, general=general, error=error, draft=draft, mode=mode,
                    record=record, refs=ref_choices(app, form), problems=problems or [],
                    max_mb=app.workspace.config.max_attachment_mb)

    @bp.route("/file")
    def forms_to_file() -> Response:
        listed = forms.list_forms(app)
        mine = drafts.mine(app, g.user["name"])
        # Forms that take no records now (form or procedure not in force) say why instead of offering a link.
        closed = {f["number"]: why for f in listed if (why := form_control.refusal(app, f))}
        return page("file.html", ("填写记录", "File a record"), forms=listed, drafts=mine,
                    can_file=may(app, "record.file"), closed=closed)

    @bp.route("/file/<form_number>", methods=["GET", "POST"])
    def file(form_number: str) -> Any:
        check_number(form_number, "form")
        form = forms.current_form(app, form_number)
        key = request.values.get("draft", "")[:32]
        if request.method == "GET":
            data = drafts.get(app, key, g.user["name"])["data"] if key else {}
            return form_page(form, data, draft=key, error=form_control.refusal(app, form) or "")
        require_csrf()
        data = widgets.read(form, request.form)
        action = request.form.get("action", "file")
        user_app = acting(app)
        if action.startswith("add:"):
            name = action[4:]
            prop = form.get("schema", {}).get("properties", {}).get(name, {})
            if prop.get("type") == "array":
                shown = dict(data)
                rows = max(widgets.row_count(request.form, name), len(data.get(name, [])))
                shown[name] = list(data.get(name, [])) + [{}] * (rows + 1 - len(data.get(name, [])))
                return form_page(form, shown, draft=key)
        try:
            if action == "save":
                saved = drafts.save(user_app, form_number, data, key or None)
                return redirect(url_for("work.file", form_number=form_number, draft=saved["key"], saved=1))
            uploads = _uploads()
            try:
                _check_sizes(app, uploads)
                if uploads:
                    user_app.actor("record.attach", "attach files to records")

                def file_all() -> dict[str, Any]:
                    with records.transaction(user_app):
                        filed = records.file(user_app, form_number, data)
                        _attach_all(user_app, filed["number"], uploads)
                        if key:
                            drafts.discard(user_app, key, reason=f"filed as {filed['number']}")
                    return filed

                # A clerk's save is done again when another writer's collided with it (nothing was kept).
                record = records.retrying(file_all)
            finally:
                _close(uploads)
        except ValidationFailed as exc:
            return form_page(form, data, problems=exc.problems, draft=key, status=422)
        except QMSError as exc:
            return form_page(form, data, error=str(exc), draft=key, status=status_of(exc))
        return redirect(url_for("work.record", number=record["number"], filed=1))

    @bp.route("/drafts/<key>/discard", methods=["POST"])
    def discard(key: str) -> Any:
        require_csrf()
        drafts.discard(acting(app), key[:32])
        return redirect(url_for("work.forms_to_file"))

    def record_page(number: str, *, error: str = "", status: int = 200, chosen: str = "") -> Response:
        record = records.get(app, number)
        actor = dict(g.user)
        workflow = records.workflow_for(app, record["form"])
        moves = []
        for transition in workflow.transitions:
            if transition.source != record["state"] or record.get("closed"):
                continue
            _, reasons = records.refusals(app, record, transition.target, actor)
            if not may(app, "record.move"):
                reasons = [t("你的角色不能移动记录", "your role may not move records")] + reasons
            state = workflow.state(transition.target)
            moves.append({"target": transition.target, "label": transition.label or (state.label if state else "")
                          or transition.target, "signature": transition.signature or "", "reasons": reasons})
        form = records.pinned_form(app, record)
        body = Markup(app.host.render_record_html(records.json_copy(record), form))  # noqa: S704 - layouts escape user text
        return page("record.html", (f"记录 {number}", f"Record {number}"), status, record=record, form=form,
                    body=body, moves=moves, error=error, chosen=chosen,
                    state_label=records.state_label(workflow, record["state"]),
                    can_edit=may(app, "record.amend" if record.get("closed") else "record.file"),
                    can_attach=may(app, "record.attach") and not record.get("closed"),
                    max_mb=app.workspace.config.max_attachment_mb)

    @bp.route("/records/<number>")
    def record(number: str) -> Response:
        check_number(number, "record")
        response = record_page(number)
        reads = current_app.extensions.get("qms_reads")  # the site's read log ([site] log_reads)
        if reads is not None:
            reads.note(g.user["name"], "record", number)
        return response

    @bp.route("/records/<number>/move", methods=["POST"])
    def move(number: str) -> Any:
        check_number(number, "record")
        require_csrf()
        target = request.form.get("target", "")[:80]
        note = request.form.get("note", "")[:2000]
        password = request.form.get("password") or None
        try:
            user_app = acting(app)
            transition = records.plan_move(user_app, number, target)
            if transition.signature and not password:
                raise UsageError(t(f"“{transition.signature}”是签署动作：请输入你的密码再签署",
                                   f"“{transition.signature}” is a signed act: enter your password to sign"))
            records.retrying(lambda: records.move(user_app, number, target, note=note, password=password))
        except QMSError as exc:
            return record_page(number, error=str(exc), status=status_of(exc), chosen=target)
        return redirect(url_for("work.record", number=number, moved=target))

    @bp.route("/records/<number>/edit", methods=["GET", "POST"])
    def edit(number: str) -> Any:
        check_number(number, "record")
        record = records.get(app, number)
        form = records.pinned_form(app, record)
        if request.method == "GET":
            return form_page(form, record["data"], mode="amend" if record["closed"] else "update", record=record)
        require_csrf()
        data = widgets.read(form, request.form)
        mode = "amend" if record["closed"] else "update"
        action = request.form.get("action", "")
        if action.startswith("add:"):
            name = action[4:]
            shown = dict(data)
            rows = max(widgets.row_count(request.form, name), len(data.get(name, [])))
            shown[name] = list(data.get(name, [])) + [{}] * (rows + 1 - len(data.get(name, [])))
            return form_page(form, shown, mode=mode, record=record)
        changes: dict[str, Any] = {k: v for k, v in data.items() if record["data"].get(k) != v}
        changes.update({k: None for k in record["data"] if k not in data})
        try:
            if mode == "amend":
                reason = request.form.get("reason", "")[:2000]
                if not reason.strip():
                    raise UsageError(t("更正已关闭的记录必须写明原因", "an amendment of a closed record needs a reason"))
                done = records.retrying(lambda: records.amend(acting(app), number, reason, changes))
                return redirect(url_for("work.record", number=done["number"], amended=number))
            note = request.form.get("note", "")[:2000]
            records.retrying(lambda: records.update(acting(app), number, changes, note=note))
        except ValidationFailed as exc:
            return form_page(form, data, problems=exc.problems, mode=mode, record=record, status=422)
        except QMSError as exc:
            return form_page(form, data, error=str(exc), mode=mode, record=record, status=status_of(exc))
        return redirect(url_for("work.record", number=number, updated=1))

    @bp.route("/records/<number>/attach", methods=["POST"])
    def attach(number: str) -> Any:
        check_number(number, "record")
        require_csrf()
        uploads = _uploads()
        try:
            user_app = acting(app)
            user_app.actor("record.attach", "attach files to records")
            if not uploads:
                raise UsageError(t("请选择要上传的文件", "choose a file to upload"))
            _check_sizes(app, uploads)

            def attach_all() -> None:
                with records.transaction(user_app):
                    _attach_all(user_app, number, uploads)

            records.retrying(attach_all)
        except QMSError as exc:
            return record_page(number, error=str(exc), status=status_of(exc))
        finally:
            _close(uploads)
        return redirect(url_for("work.record", number=number, attached=1))


__all__ = ["add", "ref_choices"]
