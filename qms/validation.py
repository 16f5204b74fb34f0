"""Validating a record's data: the pinned form's JSON Schema with format checks, then every plugin's rules.

Every problem is reported at once, one line each, as ``path (中文标签 English): message`` — the
path is dotted with list indexes in brackets (``items[2].qty``) so a user finds the field.
Validators are compiled once per form revision, so validating is as cheap on the hundred-thousandth
record as on the first.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from qms.audit import digest
from qms.errors import PluginError, UsageError, ValidationFailed
from qms.forms import field_schema, label

if TYPE_CHECKING:
    # jsonschema is imported when a record is first validated, not by every command that imports
    # qms.records (`qms due`, `qms record list` read records and never validate one).
    from qms.app import App
    from qms.schema import Draft202012Validator, ValidationError

_VALIDATORS: dict[tuple[str, str, str], Draft202012Validator] = {}

_TYPES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
          "object": "a group of fields", "array": "a list", "null": "empty"}


def validator_for(form: dict[str, Any]) -> Draft202012Validator:
    """The compiled validator of a form revision (with format checking)."""
    schema = form["schema"]
    key = (str(form["number"]), str(form["edition"]), digest(schema))
    found = _VALIDATORS.get(key)
    if found is None:
        from qms.schema import FORMAT_CHECKER, Draft202012Validator

        found = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
        _VALIDATORS[key] = found
    return found


def format_path(path: list[str | int]) -> str:
    """``["items", 2, "qty"]`` → ``items[2].qty``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(record)"


def problem_line(form: dict[str, Any], path: list[str | int], message: str) -> str:
    """One problem as ``path (中文 English): message``."""
    lab = label(form, path) if path else ""
    return f"{format_path(path)} ({lab}): {message}" if lab else f"{format_path(path)}: {message}"


def _message(error: ValidationError, form: dict[str, Any]) -> tuple[list[str | int], str]:
    """The field path and a plain message for one schema error."""
    path: list[str | int] = list(error.absolute_path)
    kind = error.validator
    value = error.instance
    arg = error.validator_value
    if kind == "required":
        # The error sits on the parent object; point at the missing field itself.
        missing = str(error.message).split("'")[1] if "'" in error.message else str(arg)
        return [*path, missing], "is required 必填"
    if kind == "additionalProperties":
        props = field_schema(form["schema"], path).get("properties", {})
        extra = sorted(k for k in (value or {}) if k not in props)
        return path, f"unknown field(s) {', '.join(extra)}; remove them or use a field of form {form['number']}"
    if kind == "type":
        wanted = " or ".join(_TYPES.get(str(t), str(t)) for t in (arg if isinstance(arg, list) else [arg]))
        return path, f"must be {wanted}, not {value!r}"
    if kind == "format":
        hints = {"date": "a date YYYY-MM-DD", "date-time": "a date and time YYYY-MM-DDTHH:MM:SS",
                 "email": "an e-mail address", "time": "a time HH:MM:SS", "uri": "a full URI"}
        return path, f"must be {hints.get(str(arg), 'a valid ' + str(arg))}, not {value!r}"
    if kind == "enum":
        return path, f"must be one of {', '.join(map(str, arg))}, not {value!r}"
    if kind == "const":
        return path, f"must be {arg!r}"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        word = {"minimum": "at least", "exclusiveMinimum": "more than", "maximum": "at most",
                "exclusiveMaximum": "less than"}[kind]
        return path, f"must be {word} {arg}, not {value!r}"
    if kind == "minLength":
        return path, "must not be empty" if arg == 1 else f"must have at least {arg} characters"
    if kind == "maxLength":
        return path, f"must have at most {arg} characters (has {len(value)})"
    if kind == "minItems":
        return path, f"must list at least {arg} item(s)"
    if kind == "maxItems":
        return path, f"must list at most {arg} item(s)"
    if kind == "pattern":
        hint = field_schema(form["schema"], path).get("x-pattern-hint")
        return path, f"{value!r} " + (f"must be {hint}" if hint else f"does not match the pattern {arg}")
    return path, error.message


def schema_problems(form: dict[str, Any], data: Any) -> list[str]:
    """Every JSON Schema problem of ``data`` against the form, sorted by field path."""
    errors = sorted(validator_for(form).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    lines = []
    for error in errors:
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            # One line per unknown field, pointing at the field itself.
            props = field_schema(form["schema"], list(error.absolute_path)).get("properties", {})
            for extra in sorted(k for k in error.instance if k not in props):
                lines.append(problem_line(form, [*error.absolute_path, extra],
                                          f"is not a field of form {form['number']}; remove it"))
            continue
        path, message = _message(error, form)
        lines.append(problem_line(form, path, message))
    return lines


def plugin_problems(app: App, form: dict[str, Any], data: dict[str, Any], record: dict[str, Any] | None,
                    schema_failed: bool) -> list[str]:
    """Every plugin's cross-field problems, labelled."""
    try:
        from qms.recordquery import record_query

        found = app.host.validate_record(str(form["number"]), data, record, record_query(app))
    except Exception as exc:
        if schema_failed:
            # A plugin may assume schema-valid data; the schema problems already say what to fix.
            return []
        raise PluginError(f"a plugin failed while validating a {form['number']} record: {type(exc).__name__}: {exc}") from exc
    lines = []
    for item in found:
        if not isinstance(item, dict) or "message" not in item:
            raise PluginError(f"a plugin returned {item!r} from qms_validate_record; expected {{'path', 'message'}}")
        raw = str(item.get("path", ""))
        path: list[str | int] = [int(p) if p.isdigit() else p for p in raw.replace("[", ".").replace("]", "").split(".") if p]
        lines.append(problem_line(form, path, str(item["message"])))
    return lines


def _bad_character(text: str) -> str | None:
    """Why ``text`` cannot be stored as record text, or ``None``.

    A NUL or other control character breaks the PDF and the CSV exports, and a lone surrogate
    (``\\ud800`` in JSON, or bytes that are not UTF-8 on the command line) cannot be written as
    UTF-8 at all, so the store would fail after the record's number was taken.
    """
    for char in text:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return f"holds U+{code:04X}, which is not a character (not valid Unicode); retype the text"
        if (code < 0x20 and char not in "\t\n\r") or code == 0x7F:
            name = "a NUL character" if code == 0 else "a control character"
            return f"holds {name} (U+{code:04X}); remove it"
    return None


def text_problems(form: dict[str, Any], data: Any, path: list[str | int] | None = None) -> list[str]:
    """Every field name or text value in ``data`` that cannot be stored (control characters, surrogates)."""
    path = path or []
    found: list[str] = []
    if isinstance(data, str):
        why = _bad_character(data)
        if why:
            found.append(problem_line(form, path, why))
    elif isinstance(data, dict):
        for key, value in data.items():
            why = _bad_character(str(key))
            if why:
                found.append(f"field name {str(key).encode('unicode_escape').decode('ascii')!r}: {why}")
                continue
            found += text_problems(form, value, [*path, str(key)])
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += text_problems(form, value, [*path, i])
    return found


def problems(app: App, form: dict[str, Any], data: Any, record: dict[str, Any] | None = None) -> list[str]:
    """Every problem with ``data`` on ``form``: stored text first, then schema, then the plugins' rules."""
    if not isinstance(data, dict):
        return [f"(record): must be a mapping of field names to values, not {type(data).__name__}"]
    found = text_problems(form, data)
    if found:
        return found
    found = schema_problems(form, data)
    found += plugin_problems(app, form, data, record, schema_failed=bool(found))
    if not found:
        # Objects of other procedures named in x-ref fields (equipment that is 停用 …): asked last,
        # once the values are known to be well-formed.
        from qms import references

        found += [problem_line(form, [name], reason) for name, reason in references.problems(app, form, data, record)]
    return found


def require_valid(app: App, form: dict[str, Any], data: Any, record: dict[str, Any] | None = None) -> None:
    """Raise ``ValidationFailed`` listing every problem, or return when the data is valid."""
    found = problems(app, form, data, record)
    if found:
        raise ValidationFailed(found, what=f"{form['number']} {form.get('title', '')} record".replace("  ", " "))


def plain_data(value: Any) -> Any:
    """Data read from YAML as JSON values: dates and times become ISO strings."""
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_data(v) for v in value]
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


_TRUE = {"true", "yes", "y", "1", "是", "对", "√"}
_FALSE = {"false", "no", "n", "0", "否", "不", "×"}


def coerce_text(form: dict[str, Any], name: str | list[str | int], text: str) -> Any:
    """A typed value from text typed at a prompt or read from a CSV cell (empty → ``None``).

    ``name`` is a field name or a path into lists and groups (``["actions", 0, "done_at"]``).
    Text that cannot be converted is returned unchanged, so validation names the field.
    """
    import json

    text = text.strip()
    if text == "":
        return None
    types = field_schema(form["schema"], name if isinstance(name, list) else [name]).get("type", "string")
    kinds = types if isinstance(types, list) else [types]
    for kind in kinds:
        try:
            if kind == "integer":
                return int(text)
            if kind == "number":
                return float(text) if any(c in text for c in ".eE") else int(text)
            if kind == "boolean":
                if text.lower() in _TRUE:
                    return True
                if text.lower() in _FALSE:
                    return False
            if kind in ("array", "object"):
                value = json.loads(text)
                if isinstance(value, list if kind == "array" else dict):
                    return value
        except ValueError:
            continue
    if "array" in kinds and "string" not in kinds:
        # A plain CSV cell for a list of strings: split on ; or ，
        return [p.strip() for p in text.replace("；", ";").split(";") if p.strip()]
    return text


def coerce_row(form: dict[str, Any], row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as typed record data; empty cells are left out."""
    if None in row:
        raise UsageError("a row has more cells than the header has columns")
    out = {}
    for name, text in row.items():
        value = coerce_text(form, name, text or "")
        if value is not None:
            out[name] = value
    return out


__all__ = ["coerce_row", "coerce_text", "format_path", "plain_data", "problem_line", "problems", "require_valid",
           "schema_problems", "text_problems", "validator_for"]
