"""The pages of the auditor site as template contexts, built from the core services; shared by server and bundle.

Each ``Site`` method returns a ``View`` (template name and context) or raises ``NotFound``. The
server (``qms.site.app``) renders views with links made by ``url_for``; the evidence bundle
(``qms.bundle``) renders the very same views with relative file links. Only public functions of
the core are used: ``qms.documents`` for revisions, ``qms.forms`` and ``qms.records`` for forms
and records, ``qms.due`` for deadlines, ``qms.verify`` for the integrity check and the plugin
host for figures and record layouts.
"""

from __future__ import annotations

import difflib
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from markupsafe import Markup

from qms import clock, documents, editions
from qms import due as due_engine
from qms import forms as form_defs
from qms import records as record_service
from qms.app import App
from qms.document_files import next_review
from qms.errors import NotFound, QMSError
from qms.site.charts import Figure, figure
from qms.site.index import Entry, RecordIndex, Snapshot, audit_index
from qms.verify import Report, verify_store

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 100
SEARCH_LIMIT = 100
DUE_CACHE_SECONDS = 60.0
#: Revision states whose PDF is kept in records/pdf (each stamped as its state); drafts have none.
PDF_STATES = ("issued", "effective", "superseded", "obsolete")
NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")
SHA = re.compile(r"^[0-9a-f]{64}$")
SIGN_MEANINGS: tuple[tuple[str, str, str], ...] = (("编制", "Prepared", "prepared"), ("审核", "Reviewed", "reviewed"),
                                                  ("批准", "Approved", "approved"))


@dataclass
class View:
    """A page to render: its template and context."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


def check_number(value: str, what: str = "number") -> str:
    """``value`` if it can be a document, form or record number; ``NotFound`` otherwise (never a path)."""
    if not isinstance(value, str) or not NUMBER.match(value) or ".." in value:
        raise NotFound(f"no {what} {value!r}")
    return value


def edition_slug(edition: str) -> str:
    """``A/1`` → ``A-1`` for URLs and file names."""
    return edition.replace("/", "-")


def edition_of(slug: str) -> str:
    """``A-1`` → ``A/1``; ``NotFound`` for anything else."""
    edition = slug.replace("-", "/", 1)
    if not editions.is_edition(edition):
        raise NotFound(f"no edition {slug!r}")
    return edition


def meaning_key(signature: dict[str, Any]) -> str:
    """``prepared``/``reviewed``/``approved`` from a signature's bilingual meaning."""
    text = str(signature.get("meaning", ""))
    for zh, en, key in SIGN_MEANINGS:
        if zh in text or en.lower() in text.lower():
            return key
    return text


def signature_columns(signatures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The control block: 编制 / 审核 / 批准 with every signature of each."""
    return [{"zh": zh, "en": en, "signatures": [s for s in signatures if meaning_key(s) == key]}
            for zh, en, key in SIGN_MEANINGS]


def diff_rows(text: str) -> list[tuple[str, str]]:
    """A unified diff as (css class, line) pairs."""
    rows = []
    for line in text.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        rows.append((kind, line))
    return rows


class Site:
    """One workspace seen through the site: the ``App``, the indexes and small caches; thread-safe."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.records = RecordIndex(app.store)
        self.audit = audit_index(app.store)
        self._lock = threading.Lock()
        self._forms: tuple[Any, list[dict[str, Any]]] | None = None
        self._due: tuple[tuple[Any, ...], float, due_engine.DueList] | None = None
        self._figures: tuple[tuple[Any, ...], float, list[Figure], list[str]] | None = None
        self.last_verify: tuple[datetime, Report] | None = None

    # -- shared data ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The clock (``QMS_NOW`` honoured)."""
        return clock.now()

    def forms(self) -> list[dict[str, Any]]:
        """The forms in force, re-read only when a file in ``forms/`` changed."""
        folder = self.app.workspace.forms
        sig = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in form_defs.form_files(self.app)))
        cached = self._forms
        if cached is None or cached[0] != sig:
            cached = (sig, form_defs.list_forms(self.app) if folder.is_dir() else [])
            self._forms = cached
        return cached[1]

    def form(self, number: str) -> dict[str, Any]:
        """The form in force called ``number``; ``NotFound`` otherwise."""
        check_number(number, "form")
        for form in self.forms():
            if form["number"] == number:
                return form
        raise NotFound(f"no form {number!r}")

    def form_titles(self) -> dict[str, str]:
        """Form number → Chinese title (for registers and records)."""
        return {str(f["number"]): str(f.get("title", "")) for f in self.forms()}

    def index(self) -> Snapshot:
        """The record index, brought up to date."""
        return self.records.refresh()

    def due_list(self) -> due_engine.DueList:
        """Every open due item, recomputed when records or documents change or after a minute."""
        index = self.index()
        key = (index.version, self.app.store.signature(documents.COLLECTION))
        cached = self._due
        if cached is not None and cached[0] == key and time.monotonic() - cached[1] < DUE_CACHE_SECONDS:
            return cached[2]
        found = due_engine.due_items(self.app, self.now())
        self._due = (key, time.monotonic(), found)
        return found

    def overdue(self) -> set[str]:
        """Numbers of records with an overdue deadline."""
        return {str(i["ref"]) for i in self.due_list().items if i.get("overdue") and i.get("kind") in ("record", "plugin")}

    def cached_overdue(self) -> set[str]:
        """Overdue record numbers from the last due list computed, without computing one."""
        cached = self._due
        if cached is None:
            return set()
        return {str(i["ref"]) for i in cached[2].items if i.get("overdue") and i.get("kind") in ("record", "plugin")}

    def query(self, form: str | None = None, state: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        """The read-only record query plugins get for their figures (copies, so nothing they do reaches the store)."""
        out = []
        for entry in reversed(self.index().entries(form)):
            if state is not None and entry.state != state:
                continue
            if any(entry.obj.get(k) != v for k, v in fields.items()):
                continue
            out.append(record_service.json_copy(entry.obj))
        return out

    def all_documents(self) -> dict[str, list[dict[str, Any]]]:
        """Every document's revisions with states as of now."""
        return documents.all_documents(self.app, self.now())

    def document_numbers(self) -> set[str]:
        """Numbers of the documents under control (those with a page of their own)."""
        return set(self.all_documents())

    def linked(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Due items with ``link`` set to ``document`` or ``record`` when their ``ref`` has a page."""
        docs = self.document_numbers()
        numbers = self.index().by_number
        out = []
        for item in items:
            ref = str(item.get("ref", ""))
            kind = "document" if item.get("kind") == "document-review" and ref in docs else \
                "record" if ref in numbers else None
            out.append({**item, "link": kind})
        return out

    def state_label(self, form: str, state: str) -> str:
        """A record state's bilingual label from its workflow."""
        return record_service.state_label(record_service.workflow_for(self.app, form), state)

    # -- pages -----------------------------------------------------------------------------------

    def dashboard(self) -> View:
        """Counts, due and overdue items, and every plugin's figures as charts."""
        now = self.now()
        index = self.index()
        docs = self.all_documents()
        in_force = [r for revs in docs.values() for r in revs if r["state"] == "effective"]
        due = self.due_list()
        figures, problems = self.figures(now)
        by_form = [(f["number"], f.get("title", ""), len(index.entries(str(f["number"])))) for f in self.forms()]
        counts = {
            "documents": len([r for r in in_force if r.get("type") != "external"]),
            "external": len([r for r in in_force if r.get("type") == "external"]),
            "records": len(index.by_number),
            "open": sum(1 for e in index.newest if not e.closed),
            "due": len(due.items),
            "overdue": sum(1 for i in due.items if i.get("overdue")),
        }
        chart_forms = [(n, t, c) for n, t, c in by_form if c]
        records_chart = None
        if chart_forms:
            from qms.site.charts import bar_svg

            records_chart = bar_svg([f"{n} {t}" for n, t, _ in chart_forms], [("", [float(c) for *_, c in chart_forms])],
                                    "记录数 Records per form")
        return View("dashboard.html", {"counts": counts, "figures": figures, "problems": problems,
                                       "records_chart": records_chart, "now": now,
                                       "overdue_items": self.linked([i for i in due.items if i.get("overdue")][:10])})

    def figures(self, now: datetime) -> tuple[list[Figure], list[str]]:
        """Every plugin's figures, drawn again when records or documents change or after a minute."""
        key = (self.index().version, self.app.store.signature(documents.COLLECTION))
        cached = self._figures
        if cached is not None and cached[0] == key and time.monotonic() - cached[1] < DUE_CACHE_SECONDS:
            return cached[2], cached[3]
        problems: list[str] = []
        try:
            raw = self.app.host.figures(self.query, now, self.app.calendar, self.app.workspace.config.raw)
        except Exception as exc:  # a broken plugin must not take the dashboard down; say it failed
            raw = []
            problems.append(f"a plugin failed while drawing its figures: {type(exc).__name__}: {exc}")
        drawn = [figure(f) for f in raw]
        self._figures = (key, time.monotonic(), drawn, problems)
        return drawn, problems

    def document_list(self, external: bool) -> View:
        """Procedures in force (or external documents), then those not in force."""
        docs = self.all_documents()
        current, other = [], []
        for number, revs in docs.items():
            is_external = any(r.get("type") == "external" for r in revs)
            if is_external != external:
                continue
            rev = documents.in_force(revs)
            if rev is not None:
                row = dict(rev)
                row["next_review"] = next_review(rev).isoformat()
                current.append(row)
            else:
                other.append(revs[-1])
        return View("documents.html", {"external": external, "current": current, "other": other})

    def _revision(self, number: str, edition: str | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        check_number(number, "document")
        now = self.now()
        revs = documents.revisions(self.app, number, now)
        if not revs:
            raise NotFound(f"no document {number!r}")
        if edition is None:
            rev = documents.in_force(revs) or revs[-1]
        else:
            found = [r for r in revs if r["edition"] == edition]
            if not found:
                raise NotFound(f"{number} has no revision {edition}")
            rev = found[0]
        # Drafts read the current file through the documents service; every other state is the stored text.
        rev = documents.get_revision(self.app, number, rev["edition"], now)
        return rev, revs

    def document(self, number: str, edition: str | None = None) -> View:
        """A document: control block, text, 修订记录 with reasons and signatures, diffs and PDFs."""
        from qms.render.markdown import markdown_to_html
        from qms.render.sources import form_resolver

        rev, revs = self._revision(number, edition)
        body = markdown_to_html(str(rev.get("content", "")), host=self.app.host, resolve_form=form_resolver(self.app))
        titles = self.form_titles()
        index = self.index()
        linked_forms = [{"number": f, "title": titles.get(f, ""), "known": f in titles,
                         "count": len(index.entries(f))} for f in rev.get("forms") or []]
        history = []
        for i, r in enumerate(revs):
            history.append({**r, "slug": edition_slug(r["edition"]), "has_pdf": r["state"] in PDF_STATES,
                            "previous": edition_slug(revs[i - 1]["edition"]) if i else None,
                            "columns": signature_columns(list(r.get("signatures") or []))})
        return View("document.html", {
            "rev": rev, "slug": edition_slug(rev["edition"]), "body": body, "history": history,
            "columns": signature_columns(list(rev.get("signatures") or [])), "forms": linked_forms,
            "has_pdf": rev["state"] in PDF_STATES, "is_current": edition is None,
            "in_force": documents.in_force(revs),
        })

    def diff(self, number: str, old: str, new: str) -> View:
        """The differences between two revisions' texts."""
        a, _ = self._revision(number, old)
        b, _ = self._revision(number, new)
        lines = difflib.unified_diff(str(a.get("content", "")).splitlines(), str(b.get("content", "")).splitlines(),
                                     fromfile=f"{number} {old}", tofile=f"{number} {new}", lineterm="")
        return View("diff.html", {"number": number, "a": a, "b": b, "rows": diff_rows("\n".join(lines)),
                                  "reason": b.get("reason", "")})

    def form_list(self) -> View:
        """Every form in force with its procedure and how many records were filed on it."""
        index = self.index()
        docs = self.document_numbers()
        rows = [{**f, "count": len(index.entries(str(f["number"]))), "procedure_known": f.get("procedure") in docs}
                for f in self.forms()]
        return View("forms.html", {"forms": rows})

    def register(self, form_number: str, *, state: str = "", dept: str = "", since: str = "", until: str = "",
                 overdue: bool = False, page: int = 1, page_size: int | None = None) -> View:
        """The register of one form: filter by state, department, filing date and overdue; one page of rows."""
        page_size = page_size or PAGE_SIZE
        form = self.form(form_number)
        index = self.index()
        form_index = index.form(form_number)
        total_all = len(form_index.entries)
        for name, value in (("since", since), ("until", until)):
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError as exc:
                    raise QMSError(f"{name} {value!r} is not a date; write YYYY-MM-DD") from exc
        positions = form_index.select(state=state, dept=dept, since=since, until=until)
        late: set[str] = set()
        if overdue:
            late = self.overdue()
            positions = [i for i in positions if form_index.entries[i].number in late]
        total = len(positions)
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        chosen = [form_index.entries[i] for i in positions[(page - 1) * page_size: page * page_size]]
        # Marking rows uses the last due list computed (filtering by overdue computes a fresh one):
        # working out every deadline of 100k records on each page view would not stay under 200 ms.
        late = late or self.cached_overdue()
        columns = form_defs.fields(form)[:2]
        workflow = record_service.workflow_for(self.app, form_number)
        rows = [{
            "number": e.number, "state": e.state, "state_label": record_service.state_label(workflow, e.state),
            "dept": e.dept, "created": e.created, "created_by": e.obj.get("created_by", ""), "closed": e.closed,
            "overdue": e.number in late, "form": e.form,
            "cells": [_short(e.obj.get("data", {}).get(c)) for c in columns],
        } for e in chosen]
        states = [(s.name, s.label or s.name) for s in workflow.states]
        return View("register.html", {
            "form": form, "rows": rows, "total": total, "total_all": total_all, "page": page, "pages": pages,
            "columns": [form_defs.label(form, [c]) or c for c in columns], "states": states,
            "depts": index.depts(form_number), "procedure_known": form.get("procedure") in self.document_numbers(),
            "filters": {"state": state, "dept": dept, "since": since, "until": until, "overdue": "1" if overdue else ""},
        })

    def record(self, number: str) -> View:
        """One record: fields laid out as its form, attachments, signatures, history and audit trail."""
        check_number(number, "record")
        entry = self.index().by_number.get(number)
        stored = self.app.store.get(record_service.COLLECTION, number)
        if stored is None:
            raise NotFound(f"no record {number!r}")
        record = stored
        try:
            form = record_service.pinned_form(self.app, record)
        except QMSError:
            form = {"number": record.get("form"), "title": "", "schema": {}, "sections": []}
        body = Markup(self.app.host.render_record_html(record_service.json_copy(record), form))  # noqa: S704 - layouts escape user text
        workflow = record_service.workflow_for(self.app, str(record.get("form")))
        self.audit.refresh()
        trail = self.audit.about(record_service.COLLECTION, number)
        return View("record.html", {
            "record": record, "form": form, "body": body, "entry": entry, "trail": trail,
            "state_label": record_service.state_label(workflow, str(record.get("state"))),
            "labels": {s.name: s.label or s.name for s in workflow.states},
            "overdue": number in self.cached_overdue(),
            "procedure_known": record.get("procedure") in self.document_numbers(),
        })

    def due(self) -> View:
        """Every open due item, overdue first."""
        found = self.due_list()
        items = self.linked(sorted(found.items, key=lambda i: (not i.get("overdue"), i["due"])))
        return View("due.html", {"items": items, "notes": found.notes, "now": found.now})

    def audit_page(self, page: int = 1, page_size: int = AUDIT_PAGE_SIZE) -> View:
        """One page of the audit log, newest first."""
        log = self.audit.refresh()
        total = len(log)
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        last = total - (page - 1) * page_size
        first = max(0, last - page_size)
        entries = list(reversed(log.lines(first, last - first)))
        return View("audit.html", {"entries": entries, "page": page, "pages": pages, "total": total, "head": log.head,
                                   "record_numbers": self.index().by_number})

    def verify(self, run: bool = False) -> View:
        """The last verification result; ``run`` checks the whole workspace now."""
        if run:
            report = verify_store(self.app.store, self.app.workspace.root)
            with self._lock:
                self.last_verify = (self.now(), report)
        last = self.last_verify
        return View("verify.html", {"report": last[1] if last else None, "at": last[0] if last else None,
                                    "chain_head": self._chain_head() if last else None})

    def _chain_head(self) -> str | None:
        """The signed chain head for an auditor to take away (None where no key can be made)."""
        from qms.anchors import current_head

        try:
            return current_head(self.app.store).text()
        except QMSError:
            return None

    def search(self, q: str) -> View:
        """Documents and records whose number, title or text contains ``q`` (Chinese or English, any case)."""
        q = q.strip()[:200]
        docs: list[dict[str, Any]] = []
        found: list[Entry] = []
        total = 0
        if q:
            folded = q.casefold()
            for number, revs in self.all_documents().items():
                for rev in reversed(revs):
                    hay = "\n".join(str(rev.get(k, "")) for k in ("number", "title", "title_en", "owner", "content", "reason"))
                    if folded in hay.casefold():
                        docs.append({**rev, "slug": edition_slug(rev["edition"]), "snippet": _snippet(str(rev.get("content", "")), q)})
                        break
            found, total = self.index().text.find(q, SEARCH_LIMIT)
        titles = self.form_titles()
        rows = [{"number": e.number, "form": e.form, "form_title": titles.get(e.form, ""), "state": e.state,
                 "dept": e.dept, "created": e.created, "snippet": _snippet(e.text, q, folded=True)} for e in found]
        return View("search.html", {"q": q, "documents": docs, "records": rows, "total": total,
                                    "limit": SEARCH_LIMIT})


def _short(value: Any, width: int = 40) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if len(text) >= 16 and text[10:11] == "T":
        text = f"{text[:10]} {text[11:16]}"
    return text if len(text) <= width else text[: width - 1] + "…"


def _snippet(text: str, q: str, width: int = 60, folded: bool = False) -> str:
    """Some text around the first match of ``q`` (the text is shown escaped by the template)."""
    hay = text if folded else text.casefold()
    at = hay.find(q.casefold())
    if at < 0:
        return ""
    start = max(0, at - width // 2)
    piece = text[start: at + len(q) + width // 2].replace("\n", " ")
    return ("…" if start else "") + piece + ("…" if at + len(q) + width // 2 < len(text) else "")
