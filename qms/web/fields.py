"""Form fields for the browser, generated from a form's JSON Schema and layout, and read back from a POST.

``widgets(form, data, problems)`` turns each field of the form's sections into a plain ``Field``
(widget kind, bilingual label, options, current value as text, its problems) that the template
draws: a date or date-time picker, an enum select, a number box, a textarea for long text, a
yes/no select for booleans, repeating rows for arrays of objects, one line per item for arrays of
strings, and a search-select (``<datalist>``) of existing records for ``x-ref`` fields.

``read(form, values)`` turns what the browser sent back into record data with the same
conversions as the CLI's ``--set`` (``qms.validation.coerce_text``), so validation then gives the
same messages as on the command line. Text that cannot be converted is passed on unchanged and
validation names the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qms.forms import field_schema
from qms.references import choice_key
from qms.validation import coerce_text

#: Rows a repeating section shows when it is empty (and how many the user may add).
MIN_ROWS = 1
MAX_ROWS = 100
_PROBLEM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\](?:\.([A-Za-z_][A-Za-z0-9_]*))?)?")


@dataclass
class Field:
    """One field as the template draws it."""

    name: str
    zh: str
    en: str
    kind: str  # text, textarea, number, integer, date, datetime, select, bool, rows, lines, ref
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    value: str = ""
    hint: str = ""
    problems: list[str] = field(default_factory=list)
    columns: list[Field] = field(default_factory=list)  # for rows: one Field per column
    rows: list[list[Field]] = field(default_factory=list)  # for rows: the cells, with values
    ref: str = ""  # for ref: the kind of object named


@dataclass
class Section:
    """A titled group of fields, as the form's layout lists them."""

    zh: str
    en: str
    fields: list[Field]


def split_title(title: str) -> tuple[str, str]:
    """``"接收 Receipt"`` → ``("接收", "Receipt")``: the Chinese words first, the rest English."""
    words = title.split(" ", 1)
    if len(words) == 2 and any("\u4e00" <= c <= "\u9fff" for c in words[0]):
        return words[0], words[1]
    return title, title


def _options(prop: dict[str, Any]) -> list[tuple[str, str]]:
    labels = prop.get("x-enum-labels")
    names: dict[str, Any] = labels if isinstance(labels, dict) else {}
    return [(str(v), str(names.get(v, v))) for v in prop.get("enum", [])]


def _kind(prop: dict[str, Any]) -> str:
    types = prop.get("type", "string")
    kind = types[0] if isinstance(types, list) else types
    if prop.get("x-ref"):
        return "ref"
    if "enum" in prop:
        return "select"
    if kind == "boolean":
        return "bool"
    if kind in ("integer", "number"):
        return kind
    if kind == "array":
        items = prop.get("items") or {}
        return "rows" if items.get("type") == "object" else "lines"
    if prop.get("format") == "date-time":
        return "datetime"
    if prop.get("format") == "date":
        return "date"
    if prop.get("x-multiline") or int(prop.get("maxLength", 0) or 0) > 200 or kind == "object":
        return "textarea"
    return "text"


def _text(value: Any, kind: str) -> str:
    """A stored value as the text the widget shows."""
    if value is None:
        return ""
    if kind == "bool":
        return "true" if value is True else "false" if value is False else str(value)
    if kind == "datetime" and isinstance(value, str):
        return value[:16]  # the picker's YYYY-MM-DDTHH:MM
    if kind == "lines" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if kind == "textarea" and not isinstance(value, str):
        import json

        return json.dumps(value, ensure_ascii=False)
    return str(value)


def make_field(name: str, prop: dict[str, Any], required: bool, value: Any = None) -> Field:
    """The widget for one property with ``value`` shown."""
    kind = _kind(prop)
    item = Field(name=name, zh=str(prop.get("title", name)), en=str(prop.get("x-en", "") or name), kind=kind,
                 required=required, hint=str(prop.get("x-pattern-hint", "")), ref=choice_key(name, prop))
    if kind == "select":
        item.options = _options(prop)
    if kind == "rows":
        items = prop.get("items") or {}
        needed = set(items.get("required") or [])
        sub = items.get("properties") or {}
        item.columns = [make_field(n, p, n in needed) for n, p in sub.items()]
        present = value if isinstance(value, list) else []
        count = max(len(present), MIN_ROWS)
        item.rows = [[make_field(n, p, n in needed, (present[i] if i < len(present) and isinstance(present[i], dict)
                                                    else {}).get(n)) for n, p in sub.items()] for i in range(count)]
    else:
        item.value = _text(value, kind)
    return item


def widgets(form: dict[str, Any], data: dict[str, Any], problems: list[str] | None = None,
            only: list[str] | None = None) -> list[Section]:
    """The form's sections as widgets showing ``data``, each field with the problems that name it."""
    schema = form.get("schema", {})
    props = schema.get("properties", {}) or {}
    required = set(schema.get("required") or [])
    sections = form.get("sections") or [{"title": f"{form.get('title', '')} {form.get('title_en', '')}".strip(),
                                         "fields": list(props)}]
    by_field = problems_by_field(problems or [])
    out = []
    listed: set[str] = set()
    for section in sections:
        names = [n for n in section.get("fields", []) if n in props and (only is None or n in only)]
        listed.update(section.get("fields", []))
        if not names:
            continue
        zh, en = split_title(str(section.get("title", "")))
        fields = []
        for name in names:
            item = make_field(name, props[name], name in required, data.get(name))
            item.problems = by_field.get(name, [])
            fields.append(item)
        out.append(Section(zh, en, fields))
    rest = [n for n in props if n not in listed and (only is None or n in only)]
    if rest:
        out.append(Section("其他", "Other", [make_field(n, props[n], n in required, data.get(n)) for n in rest]))
        for item in out[-1].fields:
            item.problems = by_field.get(item.name, [])
    return out


def problems_by_field(problems: list[str]) -> dict[str, list[str]]:
    """Validation lines grouped by the top-level field they start with; the rest under ``""``."""
    out: dict[str, list[str]] = {}
    for line in problems:
        match = _PROBLEM.match(line)
        key = match.group(1) if match and not line.startswith("(record)") else ""
        out.setdefault(key, []).append(line)
    return out


def _cell(form: dict[str, Any], path: list[str | int], text: str) -> Any:
    """One typed value at ``path`` from text, converted like ``--set`` for that path's schema."""
    prop = field_schema(form["schema"], path)
    if prop.get("format") == "date-time" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text.strip()):
        text = text.strip() + ":00"  # the browser's picker has no seconds; stored times have them
    probe = {"schema": {"properties": {"v": prop}}}
    return coerce_text(probe, "v", text)


def read(form: dict[str, Any], values: Any, only: list[str] | None = None) -> dict[str, Any]:
    """Record data from a submitted form (a ``MultiDict``-like ``values``); empty fields are left out.

    Rows of an array of objects arrive as ``field.3.column``; rows left entirely empty are dropped,
    so the spare empty row of a repeating section stores nothing.
    """
    props = form.get("schema", {}).get("properties", {}) or {}
    data: dict[str, Any] = {}
    for name, prop in props.items():
        if only is not None and name not in only:
            continue
        kind = _kind(prop)
        if kind == "rows":
            rows = []
            for i in range(MAX_ROWS):
                sub = (prop.get("items") or {}).get("properties") or {}
                cells = {c: values.get(f"{name}.{i}.{c}", "") for c in sub}
                if not any(f"{name}.{i}.{c}" in values for c in sub):
                    break
                row = {c: _cell(form, [name, i, c], t) for c, t in cells.items() if str(t).strip()}
                if row:
                    rows.append(row)
            if rows:
                data[name] = rows
        elif kind == "lines":
            items = [line.strip() for line in str(values.get(name, "")).splitlines() if line.strip()]
            if items:
                item_prop = prop.get("items") or {}
                data[name] = [coerce_text({"schema": {"properties": {"v": item_prop}}}, "v", t) for t in items]
        else:
            text = str(values.get(name, ""))
            if text.strip():
                data[name] = _cell(form, [name], text)
    return data


def row_count(values: Any, name: str) -> int:
    """How many rows of the repeating field ``name`` the submitted form had."""
    i = 0
    while i < MAX_ROWS and any(k.startswith(f"{name}.{i}.") for k in values):
        i += 1
    return i


__all__ = ["Field", "MAX_ROWS", "Section", "make_field", "problems_by_field", "read", "row_count", "split_title",
           "widgets"]
