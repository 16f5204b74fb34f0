"""A form definition's text: parsing the YAML of ``forms/NUMBER.yaml`` and checking the definition.

Kept apart from ``qms.forms`` (which finds the form in force, pins editions and reads the
workspace) so that document control can check a form draft's text without importing the form
registry that itself asks document control which edition is in force.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml


REQUIRED_KEYS = ("number", "title", "edition", "procedure", "prefix", "schema")
_EDITION = re.compile(r"^[A-Z]/\d+$")
_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")

# libyaml's loader when present: the pure-Python one takes about 0.15 s per form file.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _plain(value: Any) -> Any:
    """YAML values as JSON values (PyYAML turns ``2026-01-01`` into a date)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def check_form(form: dict[str, Any], filename: str = "", deep: bool = True) -> list[str]:
    """Every problem with a form definition, each one line naming the file and the key.

    ``deep`` also checks the schema against the JSON Schema meta-schema (about 0.1 s per form), which
    ``qms check`` and the first filing on an edition do; reading a form for use skips it.
    """
    where = filename or str(form.get("number", "form"))
    problems = [f"{where}: missing key {key!r}" for key in REQUIRED_KEYS if key not in form]
    if problems:
        return problems
    if filename and Path(filename).stem != form["number"]:
        problems.append(f"{where}: number {form['number']!r} does not match the file name")
    if not isinstance(form["edition"], str) or not _EDITION.match(form["edition"]):
        problems.append(f"{where}: edition {form['edition']!r} must be a quoted string like \"A/0\"")
    if not isinstance(form["prefix"], str) or not _PREFIX.match(form["prefix"]):
        problems.append(f"{where}: prefix {form['prefix']!r} must be 1–8 capital letters or digits, e.g. KS")
    schema = form["schema"]
    if not isinstance(schema, dict):
        return [*problems, f"{where}: schema must be a mapping (a JSON Schema object)"]
    if deep:
        # jsonschema is imported only here: `qms due` and `qms record list` read forms without
        # checking their schemas, and the import alone is about 0.06-0.15 s of each such command.
        from qms.schema import Draft202012Validator, SchemaError

        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            path = "/".join(str(p) for p in exc.absolute_path) or "(top)"
            problems.append(f"{where}: schema at {path} is not valid JSON Schema 2020-12: {exc.message}")
            return problems
    if schema.get("type") != "object":
        problems.append(f"{where}: schema must have type: object")
    props = schema.get("properties", {})
    for name, prop in props.items():
        if isinstance(prop, dict) and not prop.get("title"):
            problems.append(f"{where}: field {name!r} has no title (中文标签)")
    for name in schema.get("required", []):
        if name not in props:
            problems.append(f"{where}: required field {name!r} is not among the properties")
    for i, section in enumerate(form.get("sections") or []):
        for name in section.get("fields", []) if isinstance(section, dict) else []:
            if name not in props:
                problems.append(f"{where}: section {i + 1} lists unknown field {name!r}")
    retention = form.get("retention")
    if retention is not None:
        if not isinstance(retention, dict) or not isinstance(retention.get("years"), int) or retention["years"] < 0:
            problems.append(f"{where}: retention must be {{years: N, after: closed|created}}")
        elif retention.get("after", "closed") not in ("closed", "created"):
            problems.append(f"{where}: retention.after must be 'closed' or 'created'")
    return problems


def parse_form_text(text: str, filename: str, deep: bool = False) -> tuple[dict[str, Any] | None, list[str]]:
    """The form defined by the YAML ``text`` of ``filename`` and its problems (``deep`` as in ``check_form``)."""
    try:
        raw = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        return None, [f"{filename}{line}: not valid YAML ({getattr(exc, 'problem', exc)})"]
    except ValueError as exc:  # PyYAML builds dates itself: 2026-13-45 fails there, not in the parser
        return None, [f"{filename}: holds an impossible date ({exc}); write it as YYYY-MM-DD or quote it"]
    if not isinstance(raw, dict):
        return None, [f"{filename}: must be a mapping of keys to values"]
    form = _plain(raw)
    return form, check_form(form, filename, deep=deep)


__all__ = ["REQUIRED_KEYS", "check_form", "parse_form_text"]
