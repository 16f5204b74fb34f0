"""Controlled forms: reading and checking ``forms/NUMBER.yaml``, and pinning the revision a record used.

A form definition is a dict (see the shared contract): ``number``, ``title``, ``title_en``,
``edition`` (``"A/0"``), ``procedure``, ``prefix``, ``retention``, a JSON Schema (draft 2020-12)
under ``schema`` whose properties carry ``title`` (Chinese) and ``x-en`` (English), and
``sections`` for the layout.

The file in ``forms/`` is the revision in force until the form is taken under document control
(``qms doc new QR-…``, see ``qms.form_control``); from then on the revision in force is its last
issued, effective edition as approved, and the file is the draft of the next one. The first time
a record is filed on an edition, that definition is stored as a snapshot in the collection
``forms`` under ``NUMBER@EDITION``; from then on every record of that edition is validated and
rendered against the snapshot, even after the file has been revised. Changing an uncontrolled form
file without raising its edition is refused at filing time, because records already filed on that
edition would silently change meaning.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qms.audit import digest
from qms.errors import NotFound, Refused, UsageError
from qms.formdef import check_form, parse_form_text

if TYPE_CHECKING:
    from qms.app import App

COLLECTION = "forms"


# Parsed form files by path, kept while the file's size and mtime are unchanged.
_FILE_CACHE: dict[Path, tuple[tuple[int, int], dict[str, Any] | None, list[str]]] = {}


def snapshot_key(number: str, edition: str) -> str:
    """The store key of a pinned form revision, e.g. ``QR-8.2-01@A/0``."""
    return f"{number}@{edition}"


def read_form_file(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The form defined in ``path`` and its problems (cached while the file is unchanged)."""
    st = path.stat()
    sig = (st.st_size, st.st_mtime_ns)
    cached = _FILE_CACHE.get(path)
    if cached and cached[0] == sig:
        return cached[1], list(cached[2])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        result: tuple[dict[str, Any] | None, list[str]] = (None, [f"{path.name}: not UTF-8 text; save it as UTF-8"])
    else:
        result = parse_form_text(text, path.name)
    _FILE_CACHE[path] = (sig, result[0], result[1])
    return result[0], list(result[1])


def form_files(app: App) -> list[Path]:
    """Every form definition file of the workspace, by name."""
    folder = app.workspace.forms
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []


def form_problems(app: App) -> list[str]:
    """Every problem in the workspace's form files, including two forms sharing a record prefix."""
    problems: list[str] = []
    prefixes: dict[str, str] = {}
    for path in form_files(app):
        form, found = read_form_file(path)
        if form is not None:
            found = check_form(form, path.name, deep=True)
        problems.extend(f"forms/{p}" for p in found)
        if form and isinstance(form.get("prefix"), str):
            other = prefixes.setdefault(form["prefix"], str(form.get("number")))
            if other != form.get("number"):
                problems.append(f"forms/{path.name}: record prefix {form['prefix']!r} is already used by form {other}")
    return problems


def list_forms(app: App) -> list[dict[str, Any]]:
    """The valid form definitions in force, by number (broken files are reported by ``qms check``)."""
    from qms.form_control import form_in_force

    out = []
    for path in form_files(app):
        form, problems = read_form_file(path)
        if form is not None and not problems:
            out.append(form_in_force(app, str(form["number"])) or form)
    return sorted(out, key=lambda f: str(f["number"]))


def current_form(app: App, number: str) -> dict[str, Any]:
    """The form revision in force for ``number``; a clear error when missing or malformed.

    For a form under document control that is its effective edition as approved (the file in
    ``forms/`` may hold the next edition's draft); otherwise the file itself.
    """
    from qms.form_control import form_in_force

    path = app.workspace.forms / f"{number}.yaml"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", number):
        raise NotFound(f"no form {number!r} in forms/; list the forms with `qms form list`")
    controlled = form_in_force(app, number)
    if controlled is not None:
        return controlled
    if not path.is_file():
        raise NotFound(f"no form {number!r} in forms/; list the forms with `qms form list`")
    form, problems = read_form_file(path)
    if form is None or problems:
        raise UsageError(f"form {number} is malformed: {'; '.join(problems)}; fix forms/{path.name} (see `qms check`)")
    return json.loads(json.dumps(form))


def load_form(app: App, number: str, edition: str | None = None) -> dict[str, Any]:
    """A form definition: the revision in force, or the pinned snapshot of ``edition``.

    Records are rendered and re-validated with ``load_form(app, rec["form"], rec["form_edition"])``.
    """
    if edition is not None:
        pinned = app.store.get(COLLECTION, snapshot_key(number, edition))
        if pinned is not None:
            return pinned
    form = current_form(app, number)
    if edition is not None and form["edition"] != edition:
        raise NotFound(f"form {number} edition {edition} was never used and is not the one in force "
                       f"({form['edition']}); list editions with `qms form show {number}`")
    return form


def pinned_editions(app: App, number: str) -> list[str]:
    """Editions of ``number`` that records have been filed on."""
    prefix = f"{number}@"
    return sorted(k[len(prefix):] for k in app.store.keys(COLLECTION) if k.startswith(prefix))


def pin(app: App, form: dict[str, Any], actor: str) -> None:
    """Store the snapshot of this form revision on first use; refuse an edited but unrenumbered revision.

    Call inside ``store.transaction()`` so two writers pin once.
    """
    key = snapshot_key(form["number"], form["edition"])
    stored = app.store.get(COLLECTION, key)
    if stored is None:
        # First use of this edition: the schema is checked against the meta-schema once, here.
        bad = check_form(form, f"forms/{form['number']}.yaml", deep=True)
        if bad:
            raise UsageError(f"form {form['number']} is malformed: {'; '.join(bad)}; fix it (see `qms check`)")
        app.store.put(COLLECTION, key, form, actor=actor, action="form.pin",
                      detail={"number": form["number"], "edition": form["edition"]})
    elif digest(stored) != digest(form):
        raise Refused(
            f"forms/{form['number']}.yaml was changed but its edition is still {form['edition']}, on which records "
            f"were already filed; raise the edition (e.g. {next_edition(form['edition'])}) or undo the change"
        )


def next_edition(edition: str) -> str:
    """The next minor edition: ``A/0`` → ``A/1``."""
    letter, _, n = edition.partition("/")
    return f"{letter}/{int(n) + 1}" if n.isdigit() else edition


def field_schema(schema: dict[str, Any], path: list[str | int]) -> dict[str, Any]:
    """The sub-schema of a field path (``["inspector", "phone"]`` or ``["items", 0, "name"]``)."""
    node: dict[str, Any] = schema
    for part in path:
        if isinstance(part, int):
            items = node.get("items")
            prefix = node.get("prefixItems") or []
            node = prefix[part] if part < len(prefix) else (items if isinstance(items, dict) else {})
        else:
            node = (node.get("properties") or {}).get(part) or {}
        if not isinstance(node, dict):
            return {}
    return node


def label(form: dict[str, Any], path: list[str | int] | str) -> str:
    """The bilingual label ``中文 English`` of a field path (empty when the schema gives none)."""
    parts: list[str | int] = path.split(".") if isinstance(path, str) else path  # type: ignore[assignment]
    node = field_schema(form.get("schema", {}), parts)
    zh = str(node.get("title", "")).strip()
    en = str(node.get("x-en", "")).strip()
    return f"{zh} {en}".strip()


def fields(form: dict[str, Any]) -> list[str]:
    """Top-level field names in layout order (sections first, then any others)."""
    props = list(form.get("schema", {}).get("properties", {}))
    ordered = [f for s in form.get("sections") or [] for f in s.get("fields", []) if f in props]
    return [*dict.fromkeys(ordered), *(p for p in props if p not in ordered)]


__all__ = [
    "COLLECTION", "check_form", "current_form", "field_schema", "fields", "form_problems", "label",
    "list_forms", "load_form", "next_edition", "parse_form_text", "pin", "pinned_editions", "read_form_file",
    "snapshot_key",
]
