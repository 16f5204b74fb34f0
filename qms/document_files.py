"""The files of controlled documents: ``procedures/NUMBER.md``, its front matter and the helpers around it.

Reading a draft's file (front matter checked line by line, body split off, sha256 of the bytes),
the document number pattern from ``qms.toml``, revision keys and date arithmetic shared by the
document services.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from qms import editions
from qms.frontmatter import front_matter
from qms.errors import NotFound, Refused, UsageError
from qms.dates import add_months

if TYPE_CHECKING:
    from qms.app import App

#: Document types (DC-01): the register shows them with these bilingual labels.
TYPES: dict[str, str] = {
    "manual": "质量手册 manual",
    "procedure": "程序文件 procedure",
    "work_instruction": "作业指导书 work instruction",
    "form": "表单 form",
    "external": "外来文件 external",
}


def sha256_text(text: str) -> str:
    """sha256 of ``text`` as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rev_key(number: str, edition: str) -> str:
    """The store key of one revision."""
    return f"{number}@{edition}"


def check_number(app: App, number: str) -> None:
    """Refuse a document number that does not follow ``[numbering] document`` of ``qms.toml``."""
    pattern = app.workspace.config.document_pattern
    if not re.fullmatch(pattern, number):
        raise UsageError(
            f"document number {number!r} does not follow the pattern {pattern} of qms.toml; "
            f"use a number such as QP-8.2-01"
        )


#: Forms (表单) are the QR series of the numbering scheme; a form's controlled file is its definition.
FORM_SERIES = "QR-"


def is_form(number: str) -> bool:
    """Whether ``number`` is a form's: its file is ``forms/NUMBER.yaml`` and its content the file's whole text."""
    return number.startswith(FORM_SERIES)


def relpath(number: str) -> str:
    """The workspace-relative path of a document's file: ``forms/NUMBER.yaml`` for a form, else ``procedures/NUMBER.md``."""
    return f"forms/{number}.yaml" if is_form(number) else f"procedures/{number}.md"


def line_of(text: str, key: str) -> int:
    """The line of ``key:`` in the front matter of ``text`` (1 when absent: the file's first line)."""
    for i, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return i
    return 1


def split_source(text: str) -> tuple[str, str]:
    """The raw front matter block (with its --- lines) and the Markdown body of a document file."""
    end = text.find("\n---", 4)
    newline = text.find("\n", end + 1)
    if newline < 0:
        return text, ""
    return text[: newline + 1], text[newline + 1 :]


def read_file(app: App, number: str, edition: str | None = None) -> dict[str, Any]:
    """Parse ``procedures/NUMBER.md``: ``{"meta", "body", "source", "file_sha256"}``.

    Every problem is one ``Refused`` line naming the file and line: malformed YAML, a missing
    title, a number or edition that disagrees with the revision, a bad review interval.
    """
    rel = relpath(number)
    path = app.workspace.root / rel
    if not path.is_file():
        if is_form(number):
            raise NotFound(f"{rel} does not exist; write the form definition there first (see `qms form show`)")
        raise NotFound(f"{rel} does not exist; create the document with `qms doc new {number}`")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(f"{rel}: not UTF-8 text; save it as UTF-8") from exc
    if is_form(number):
        return _read_form(number, edition, text, hashlib.sha256(raw).hexdigest())
    meta, error = front_matter(text)
    if error:
        raise Refused(f"{rel} {error}; fix the front matter and run the command again")
    assert meta is not None

    def bad(key: str, what: str) -> Refused:
        return Refused(f"{rel} line {line_of(text, key)}: {what}; fix the front matter and run the command again")

    if str(meta.get("number", "")) != number:
        raise bad("number", f"front matter number {meta.get('number')!r} should be {number!r}")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise bad("title", "front matter has no title")
    if "edition" in meta and not editions.is_edition(str(meta["edition"])):
        raise bad("edition", f"edition {meta['edition']!r} is not of the form A/0 (quote it: \"A/0\")")
    if edition is not None and str(meta.get("edition", "")) != edition:
        raise bad("edition", f"edition {meta.get('edition')!r} should be {edition!r} for the current draft")
    if meta.get("type", "procedure") not in TYPES:
        raise bad("type", f"type {meta.get('type')!r} is not one of {', '.join(TYPES)}")
    interval = meta.get("review_interval_months")
    if interval is not None and (not isinstance(interval, int) or isinstance(interval, bool) or interval < 1):
        raise bad("review_interval_months", f"review_interval_months {interval!r} must be a whole number of months ≥ 1")
    for key in ("forms", "iso_clauses"):
        value = meta.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            raise bad(key, f"{key} must be a list such as [QR-8.2-01]")
    _, body = split_source(text)
    return {"meta": meta, "body": body, "source": text, "file_sha256": hashlib.sha256(raw).hexdigest()}


def form_meta(number: str, text: str, edition: str | None = None) -> dict[str, Any]:
    """The definition in a form file's ``text`` as front matter of its document; ``Refused`` naming the first problem."""
    from qms.formdef import parse_form_text

    rel = relpath(number)
    form, problems = parse_form_text(text, rel, deep=True)
    if form is None or problems:
        raise Refused(f"{problems[0]}; fix it and run the command again")
    if form["number"] != number:
        raise Refused(f"{rel} line {line_of(text, 'number')}: number {form['number']!r} should be {number!r}")
    if edition is not None and form["edition"] != edition:
        raise Refused(f"{rel} line {line_of(text, 'edition')}: edition {form['edition']!r} should be {edition!r} "
                      f"for the current draft; fix it and run the command again")
    # A form has no front matter: its document fields come from the definition itself.
    return {**form, "type": "form", "owner": str(form.get("owner", "") or ""), "forms": [], "iso_clauses": []}


def _read_form(number: str, edition: str | None, text: str, file_sha256: str) -> dict[str, Any]:
    """``read_file`` for a form: the whole file is the content that is signed and approved."""
    return {"meta": form_meta(number, text, edition), "body": text, "source": text, "file_sha256": file_sha256}


def draft_text(number: str, old: str, body: str) -> str:
    """The new text of a draft's file when its content becomes ``body`` (a procedure keeps its front matter)."""
    if is_form(number):
        text = body.rstrip("\n") + "\n"
        form_meta(number, text)  # refuse a broken definition before the file is written
        return text
    head, _old = split_source(old)
    return head + ("" if body.startswith("\n") else "\n") + body.rstrip("\n") + "\n"


def with_edition(number: str, source: str, edition: str) -> str:
    """``source`` (an issued revision's file) with its edition set to ``edition``, for the next draft."""
    if is_form(number):
        return re.sub(r'(?m)^edition:.*$', f'edition: "{edition}"', source, count=1)
    head, body = split_source(source)
    return re.sub(r"(?m)^edition:.*$", f'edition: "{edition}"', head, count=1) + body


def meta_fields(app: App, meta: dict[str, Any]) -> dict[str, Any]:
    """The revision fields that come from the front matter."""
    interval = meta.get("review_interval_months")
    return {
        "title": str(meta["title"]).strip(),
        "title_en": str(meta.get("title_en", "") or ""),
        "type": str(meta.get("type", "procedure")),
        "owner": str(meta.get("owner", "") or ""),
        "language": str(meta.get("language", "zh")),
        "forms": [str(f) for f in meta.get("forms", []) or []],
        "iso_clauses": [str(c) for c in meta.get("iso_clauses", []) or []],
        "review_interval_months": int(interval) if interval else app.workspace.config.review_interval_months,
        "review_interval_from": "front matter" if interval else "qms.toml",
        "external": meta.get("external") if isinstance(meta.get("external"), dict) else None,
    }


def last_review(rev: dict[str, Any]) -> date:
    """When the revision was last confirmed suitable: its effective date or its latest periodic review."""
    days = [date.fromisoformat(rev["effective_date"])] if rev.get("effective_date") else []
    days += [datetime.fromisoformat(p["at"]).date() for p in rev.get("periodic_reviews", [])]
    return max(days)


def next_review(rev: dict[str, Any]) -> date:
    """The date the revision in force is due for periodic review."""
    return add_months(last_review(rev), int(rev.get("review_interval_months") or 12))
