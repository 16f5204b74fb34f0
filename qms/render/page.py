"""A renderable page (complete HTML plus attached files) and the builders for procedures, records and blank forms.

The builders take plain dicts (a revision, a record envelope, a form definition) and return a
``Page`` whose HTML is complete: metadata in ``<meta>`` tags, the CSS inline, the running header,
footer and status stamp in ``@page`` margin boxes. Nothing here imports WeasyPrint, so a page's
``digest`` can decide whether a PDF must be rendered again without paying for the PDF engine.

Templates are Jinja2 with autoescape on; strings that go into CSS (the margin boxes) pass through
``css_string``, which escapes every character that could end the string or the style element.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import ChainableUndefined, Environment, FileSystemLoader
from markupsafe import Markup

from qms import __version__
from qms.dates import show_date, show_time
from qms.render import stamp as stamps
from qms.render.markdown import FormResolver, markdown_to_html

if TYPE_CHECKING:
    from qms.anchors import ChainHead
    from qms.app import App

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
ASSETS = TEMPLATES / "assets"
#: Bumped when the layout changes in a way the templates' bytes do not show.
LAYOUT_VERSION = "1"

# Chinese-first labels of the signature meanings, in the order a control block shows them.
SIGN_ROLES: tuple[tuple[str, str, str], ...] = (("编制", "Prepared", "prepared"), ("审核", "Reviewed", "reviewed"),
                                                ("批准", "Approved", "approved"))

REVISION_STATES: dict[str, str] = {
    "draft": "草稿 Draft", "in_review": "审核中 In review", "approved": "已批准 Approved",
    "issued": "已发布待实施 Issued, not yet effective",
    "effective": "现行有效 Effective", "superseded": "已替代 Superseded", "obsolete": "作废 Obsolete",
}


@dataclass(frozen=True)
class Attached:
    """A file embedded in the PDF; ``at`` (ISO date-time) is its fixed creation and modification date."""

    name: str
    data: bytes
    description: str
    at: str


@dataclass(frozen=True)
class Page:
    """Complete HTML of one PDF and the files to embed in it."""

    html: str
    attachments: tuple[Attached, ...] = field(default_factory=tuple)
    title: str = ""
    #: The signed audit-chain head printed in the footer and the XMP metadata (``qms.anchors``).
    head: ChainHead | None = None

    def digest(self) -> str:
        """sha256 over what the PDF shows: HTML, attachments, engine versions.

        The chain head is left out on purpose: it says when a PDF was made, not what it shows, so a
        PDF already in the archive keeps the head it was made at instead of being remade at every
        log entry.
        """
        h = hashlib.sha256()
        h.update(f"qms {__version__} layout {LAYOUT_VERSION} weasyprint {_engine_version()}\n".encode())
        h.update(self.html.encode("utf-8"))
        for item in self.attachments:
            h.update(f"\n{item.name}\n{item.description}\n{item.at}\n".encode())
            h.update(hashlib.sha256(item.data).digest())
        return h.hexdigest()


@cache
def _engine_version() -> str:
    return version("weasyprint")


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string, safe inside ``<style>``: quotes, backslashes, ``<`` and controls escaped."""
    out = []
    for ch in text:
        if ch.isalnum() or ch in " .,:;/·()（）-_+#@&" or (ord(ch) > 127 and ch.isprintable()):
            out.append(ch)
        else:
            # A hex escape ends with a space so the next character is never read as part of it.
            out.append(f"\\{ord(ch):x} ")
    return Markup('"' + "".join(out) + '"')


@cache
def _environment() -> Environment:
    from qms.users import signer_title

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=ChainableUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["css"] = css_string
    env.filters["when"] = show_time
    env.filters["day"] = show_date
    env.filters["signer"] = signer_title
    return env


@cache
def _stylesheet() -> Markup:
    return Markup((TEMPLATES / "qms.css").read_text(encoding="utf-8"))


def w3c_date(value: Any) -> str:
    """An ISO local time as a W3C date with the Asia/Shanghai offset, for PDF metadata."""
    text = str(value or "")
    if len(text) == 10:
        text += "T00:00:00"
    return text[:19] + "+08:00" if len(text) >= 19 else ""


def render_template(template: str, **context: Any) -> str:
    """Render one of ``qms/templates/`` with the shared stylesheet and the qms version."""
    return _environment().get_template(template).render(css=_stylesheet(), version=__version__, **context)


def _signatures_by_role(signatures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One column per meaning (编制/审核/批准) with every signature of that meaning."""
    columns = []
    for zh, en, key in SIGN_ROLES:
        found = [s for s in signatures if _meaning_key(s) == key]
        columns.append({"zh": zh, "en": en, "signatures": found})
    return columns


def procedure_page(
    revision: dict[str, Any],
    *,
    organisation: dict[str, str],
    stamp: stamps.Stamp,
    history: list[dict[str, Any]] | None = None,
    resolve_form: FormResolver | None = None,
    host: Any = None,
) -> Page:
    """The controlled PDF page of a procedure revision: control block, 修订记录, body, stamp on every page."""
    body = markdown_to_html(str(revision.get("content", "")), host=host, resolve_form=resolve_form)
    number = str(revision["number"])
    edition = str(revision.get("edition", ""))
    revisions = [_revision_row(r) for r in sorted(history or [revision], key=lambda r: _edition_key(str(r.get("edition", ""))))]
    keywords = ", ".join(x for x in (number, edition, "程序文件 procedure", str(revision.get("owner", "")),
                                     stamp.zh + " " + stamp.en) if x.strip())
    html = render_template(
        "procedure.html.j2",
        rev=revision, number=number, edition=edition, organisation=organisation, stamp=stamp, body=body,
        columns=_signatures_by_role(list(revision.get("signatures") or [])), revisions=revisions,
        state_label=REVISION_STATES.get(str(revision.get("state", "")), str(revision.get("state", ""))),
        states=REVISION_STATES,
        meta={
            "title": f"{number} {revision.get('title', '')}",
            "author": organisation.get("name", ""),
            "subject": f"{number} {edition}",
            "keywords": keywords,
            "created": w3c_date(revision.get("issued_at") or revision.get("effective_date")),
        },
    )
    return Page(html=html, title=f"{number} {revision.get('title', '')}")


def _revision_row(revision: dict[str, Any]) -> dict[str, Any]:
    """One line of the 修订记录 table."""
    approvers = [s for s in revision.get("signatures") or [] if _meaning_key(s) == "approved"]
    return {
        "edition": revision.get("edition", ""), "reason": revision.get("reason", ""),
        "issued_at": revision.get("issued_at"), "effective_date": revision.get("effective_date"),
        "state": revision.get("state", ""),
        "approvers": ", ".join(str(s.get("full_name") or s.get("name")) for s in approvers),
    }


def _meaning_key(signature: dict[str, Any]) -> str:
    """``prepared``, ``reviewed`` or ``approved`` from a meaning such as ``批准 approved``."""
    meaning = str(signature.get("meaning", ""))
    for zh, _en, key in SIGN_ROLES:
        if meaning.startswith(zh) or key in meaning.lower():
            return key
    return ""


def _edition_key(edition: str) -> tuple[str, int]:
    letter, _, minor = edition.partition("/")
    return (letter, int(minor) if minor.isdigit() else 0)


def record_page(
    record: dict[str, Any],
    form: dict[str, Any],
    *,
    organisation: dict[str, str],
    body_html: str,
    state_labels: dict[str, str] | None = None,
    closed_states: frozenset[str] = frozenset(),
) -> Page:
    """The PDF page of one record laid out as its form, with the record's JSON attached."""
    labels = state_labels or {}
    state = str(record.get("state", ""))
    closed = bool(record.get("closed")) or state in closed_states
    stamp = stamps.for_record(state, labels.get(state, ""), closed)
    number = str(record["number"])
    form_number = str(form.get("number") or record.get("form", ""))
    form_edition = str(record.get("form_edition") or form.get("edition", ""))
    history = list(record.get("history") or [])
    last = max([str(record.get("created_at") or "")] + [str(h.get("at") or "") for h in history]) or "2000-01-01T00:00:00"
    html = render_template(
        "record.html.j2",
        rec=record, form=form, number=number, form_number=form_number, form_edition=form_edition,
        organisation=organisation, stamp=stamp, body=Markup(body_html), state_label=labels.get(state, state),
        labels=labels, history=history,
        meta={
            "title": f"{number} {form.get('title', '')}",
            "author": organisation.get("name", ""),
            "subject": f"{form_number} {form_edition} {number}",
            "keywords": ", ".join(x for x in (number, form_number, form_edition, str(record.get("procedure") or ""),
                                              str(form.get("title") or ""), state) if x),
            "created": w3c_date(record.get("created_at")),
            "modified": w3c_date(last),
        },
    )
    data = json.dumps(record, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")
    attached = Attached(name="record.json", data=data, at=last[:19],
                        description=f"记录 {number} 的完整数据 Record {number} as stored (JSON)")
    return Page(html=html, attachments=(attached,), title=f"{number} {form.get('title', '')}")


def _blank_field(form: dict[str, Any], name: str) -> dict[str, Any]:
    """How a field is printed on paper: a line, a tall box, tick boxes or a date frame."""
    from qms.recordlayout import label_of

    prop = form.get("schema", {}).get("properties", {}).get(name, {})
    kind = "line"
    options: list[str] = []
    if "enum" in prop:
        kind = "choice"
        names = prop.get("x-enum-labels") or {}
        options = [str(names.get(v, v)) if isinstance(names, dict) else str(v) for v in prop["enum"]]
    elif prop.get("type") == "boolean":
        kind, options = "choice", ["是 Yes", "否 No"]
    elif prop.get("format") == "date-time":
        kind = "datetime"
    elif prop.get("format") == "date":
        kind = "date"
    elif prop.get("type") == "array" or prop.get("x-multiline") or int(prop.get("maxLength", 0) or 0) > 200:
        kind = "box"
    required = name in (form.get("schema", {}).get("required") or [])
    return {"label": label_of(form, name), "kind": kind, "options": options, "required": required}


def blank_form_page(form: dict[str, Any], *, organisation: dict[str, str], stamp: stamps.Stamp,
                    signoffs: list[str] | None = None) -> Page:
    """A printable blank form for paper use, stamped and headed like any controlled document."""
    props = list(form.get("schema", {}).get("properties", {}))
    sections = form.get("sections") or [{"title": "", "fields": props}]
    laid = [{"title": s.get("title", ""), "fields": [_blank_field(form, f) for f in s.get("fields", [])]}
            for s in sections]
    number = str(form["number"])
    edition = str(form.get("edition", ""))
    html = render_template(
        "blank_form.html.j2",
        form=form, number=number, edition=edition, organisation=organisation, stamp=stamp, sections=laid,
        signoffs=signoffs or ["填写人 Filled in by", "审核人 Checked by"],
        meta={
            "title": f"{number} {form.get('title', '')}",
            "author": organisation.get("name", ""),
            "subject": f"{number} {edition}",
            "keywords": ", ".join(x for x in (number, edition, "空白表单 blank form", str(form.get("procedure") or ""),
                                              stamp.zh + " " + stamp.en) if x),
            "created": "",
        },
    )
    return Page(html=html, title=f"{number} {form.get('title', '')}")


def with_chain_head(app: App, page: Page) -> Page:
    """``page`` to be rendered with the workspace's current chain head (a page that has one keeps it)."""
    from qms.anchors import current_head  # signing needs the key and cryptography: only when a PDF is made

    return page if page.head is not None else replace(page, head=current_head(app.store))
