"""The generic HTML layout of a record: its form's sections, bilingual labels and values, escaped.

Every value typed by a user passes through ``markupsafe.escape``; nothing a user wrote can become
markup in the page or the PDF.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape


def _value(value: Any, fmt: str = "") -> Markup:
    if fmt == "date-time" and isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":
        # Shown as a person writes it on paper; the exact stored value stays in the record's JSON.
        return escape(f"{value[:10]} {value[11:16]}")
    if value is None or value == "":
        return Markup('<span class="empty">—</span>')
    if isinstance(value, bool):
        return Markup("是 Yes" if value else "否 No")
    if isinstance(value, list):
        return Markup("<br>").join(_value(v) for v in value)
    if isinstance(value, dict):
        rows = Markup("").join(Markup("<div>{}: {}</div>").format(k, _value(v)) for k, v in value.items())
        return Markup('<div class="nested">{}</div>').format(rows)
    return escape(str(value))


def _format_of(form: dict[str, Any], field: str) -> str:
    return str(form.get("schema", {}).get("properties", {}).get(field, {}).get("format", ""))


def label_of(form: dict[str, Any], field: str) -> str:
    """``中文 English`` label of a field from the form's schema and labels."""
    prop = form.get("schema", {}).get("properties", {}).get(field, {})
    zh = prop.get("title") or form.get("labels", {}).get(field, {}).get("zh") or field
    en = prop.get("x-en") or form.get("labels", {}).get(field, {}).get("en") or ""
    return f"{zh} {en}".strip()


def generic_record_html(record: dict[str, Any], form: dict[str, Any]) -> str:
    """Sections of label/value rows for every field of the record's form."""
    data = record.get("data", {})
    props = list(form.get("schema", {}).get("properties", {}))
    sections = form.get("sections") or [{"title": "", "fields": props}]
    listed = {f for s in sections for f in s.get("fields", [])}
    extra = [k for k in data if k not in listed]
    if extra:
        sections = [*sections, {"title": "其他 Other", "fields": extra}]
    parts = []
    for section in sections:
        rows = Markup("").join(
            Markup("<tr><th>{}</th><td>{}</td></tr>").format(label_of(form, f), _value(data.get(f), _format_of(form, f)))
            for f in section.get("fields", [])
        )
        title = section.get("title", "")
        head = Markup("<h3>{}</h3>").format(title) if title else Markup("")
        parts.append(Markup('<section class="form-section">{}<table class="fields">{}</table></section>').format(head, rows))
    return str(Markup("").join(parts))
