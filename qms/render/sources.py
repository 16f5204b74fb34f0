"""From a workspace to pages: fetch a revision, record or form through the core services and build its ``Page``.

This is where rendering meets the rest of the core. It reads documents through
``qms.documents`` (``get_revision``, ``history``), forms through ``qms.forms`` and records from the
``records`` collection of the shared contract, and checks a controlled copy's number against the
distribution register (``qms.distribution``): a copy number that was never issued to that holder
does not get a 受控 stamp.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from qms.errors import NotFound, Refused, UsageError
from qms.render import stamp as stamps
from qms.render.page import Page, blank_form_page, procedure_page, record_page

if TYPE_CHECKING:
    from qms.app import App

RECORDS = "records"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def organisation(app: App) -> dict[str, str]:
    """The organisation's names from ``qms.toml``."""
    cfg = app.workspace.config
    return {"name": cfg.organisation, "name_en": cfg.organisation_en}


def form_resolver(app: App) -> Any:
    """``resolve(number)`` → the form in force, or ``None`` when ``forms/`` has no such form."""
    from qms.forms import current_form

    cache: dict[str, dict[str, Any] | None] = {}

    def resolve(number: str) -> dict[str, Any] | None:
        if number not in cache:
            try:
                cache[number] = current_form(app, number)
            except (NotFound, UsageError):
                cache[number] = None
        return cache[number]

    return resolve


def file_name(*parts: str) -> str:
    """A file name from numbers and editions: ``QP-8.2-01_A-1``."""
    return "_".join(_UNSAFE.sub("-", p).strip("-") for p in parts if p)


def check_copy(app: App, number: str, edition: str, copy: int, holder: str) -> None:
    """Refuse a controlled-copy stamp the distribution register does not back."""
    from qms.distribution import copies

    registered = [c for c in copies(app, number) if int(c["copy_no"]) == copy]
    if not registered:
        raise Refused(f"copy {copy:03d} of {number} is not in the distribution register; register it first with "
                      f"`qms doc distribute {number} --to {holder}` and use the copy number it gives")
    entry = registered[0]
    if entry["dept"] != holder and entry.get("holder") != holder:
        raise Refused(f"copy {copy:03d} of {number} was issued to {entry['dept']}, not {holder}; "
                      f"use --holder {entry['dept']} or the copy number issued to {holder}")
    if not entry.get("controlled", True):
        raise Refused(f"copy {copy:03d} of {number} was registered as uncontrolled; print it with --uncontrolled")
    if entry.get("recalled_at"):
        raise Refused(f"copy {copy:03d} of {number} was recalled on {entry['recalled_at']}; it cannot be printed again")
    if entry["edition"] != edition:
        raise Refused(f"copy {copy:03d} of {number} is of edition {entry['edition']}, not {edition}")


def document_page(app: App, number: str, edition: str | None = None, *, copy: int | None = None,
                  holder: str | None = None, uncontrolled: bool = False) -> Page:
    """The PDF page of a revision (the one in force when ``edition`` is None) with the right stamp."""
    from qms.documents import get_revision, history

    revision = get_revision(app, number, edition)
    stamp = stamps.for_revision(str(revision.get("state", "")), copy=copy, holder=holder, uncontrolled=uncontrolled,
                                effective_date=str(revision.get("effective_date") or ""))
    if copy is not None and holder:
        check_copy(app, number, str(revision["edition"]), copy, holder)
    if revision.get("type") == "form":
        # A form's approved content is its YAML definition: shown verbatim, not read as Markdown.
        revision = {**revision, "content": f"~~~~yaml\n{revision.get('content', '')}\n~~~~\n"}
    return procedure_page(revision, organisation=organisation(app), stamp=stamp, history=history(app, number),
                          resolve_form=form_resolver(app), host=app.host)


def document_file(revision: dict[str, Any]) -> str:
    """Where ``qms render`` puts a revision's PDF, relative to the output folder."""
    return f"documents/{file_name(str(revision['number']), str(revision['edition']))}.pdf"


def get_record(app: App, number: str) -> dict[str, Any]:
    """The stored record envelope ``number``; a clear ``NotFound`` otherwise."""
    record = app.store.get(RECORDS, number)
    if record is None:
        raise NotFound(f"no record {number!r}; list them with `qms record list`")
    return record


def workflow_labels(app: App, form: str) -> tuple[dict[str, str], frozenset[str]]:
    """The bilingual state labels of a form's workflow and the states that close a record."""
    workflow = app.host.registry.workflows.get(form)
    if workflow is None:
        return {}, frozenset()
    labels = {s.name: s.label for s in workflow.states if s.label}
    return labels, frozenset(s.name for s in workflow.states if s.closed)


def record_page_of(app: App, record: dict[str, Any]) -> Page:
    """The PDF page of a stored record, laid out as its pinned form edition."""
    from qms.forms import load_form

    form = load_form(app, str(record["form"]), record.get("form_edition"))
    labels, closed = workflow_labels(app, str(record["form"]))
    body = app.host.render_record_html(record, form)
    return record_page(record, form, organisation=organisation(app), body_html=body, state_labels=labels,
                       closed_states=closed)


def record_file(record: dict[str, Any]) -> str:
    """Where ``qms render`` puts a record's PDF, relative to the output folder."""
    return f"records/{file_name(str(record['form']))}/{file_name(str(record['number']))}.pdf"


def blank_page(app: App, number: str, *, copy: int | None = None, holder: str | None = None,
               uncontrolled: bool = False) -> Page:
    """A blank form in force for paper use, stamped like a controlled document."""
    from qms.forms import current_form

    form = current_form(app, number)
    stamp = stamps.for_revision("effective", copy=copy, holder=holder, uncontrolled=uncontrolled)
    if copy is not None and holder:
        check_copy(app, number, str(form["edition"]), copy, holder)
    signoffs = []
    workflow = app.host.registry.workflows.get(number)
    if workflow is not None:
        for t in workflow.transitions:
            if t.signature and t.signature not in signoffs:
                signoffs.append(t.signature)
    return blank_form_page(form, organisation=organisation(app), stamp=stamp, signoffs=signoffs[:4] or None)
