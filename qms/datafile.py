"""Record data read from a JSON or YAML file (``--data FILE`` or ``-`` for stdin), as JSON values a form can check.

YAML 1.1 as PyYAML reads it turns what clerks type into surprises: ``12:30`` becomes the number
750, a phone number ``0571…`` an octal number, ``2026-13-45`` a crash. The loader here keeps
those as the text typed, refuses aliases (a structure that refers to itself cannot be stored), and
remembers the text of every number, so a number typed into a text field (``phone: 13800138000``)
is stored as that text when the form says the field is text. Everything that is no JSON value
(binary, sets, NaN) is refused in one line naming the field. Files saved as GBK (Notepad's and
Excel's "ANSI" on Chinese Windows) are read as such.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from qms import validation
from qms.errors import UsageError
from qms.forms import field_schema


class _Number:
    """Mixin for a number read from YAML that remembers the text it was typed as."""

    text: str


class _Int(int, _Number):
    pass


class _Float(float, _Number):
    pass


class _AliasRefused(yaml.YAMLError):
    """A YAML alias in record data."""


class DataLoader(yaml.SafeLoader):
    """YAML for record data: decimal numbers only, no aliases, and a date that is no real date stays text."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasRefused(f"line {event.start_mark.line + 1}: an alias (*{event.anchor}) is not accepted in "
                                "record data; write the value out")
        return super().compose_node(parent, index)

    def construct_yaml_timestamp(self, node: Any) -> Any:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)

    def construct_yaml_int(self, node: Any) -> Any:  # type: ignore[override]
        number = _Int(super().construct_yaml_int(node))
        number.text = str(self.construct_scalar(node))
        return number

    def construct_yaml_float(self, node: Any) -> Any:  # type: ignore[override]
        number = _Float(super().construct_yaml_float(node))
        number.text = str(self.construct_scalar(node))
        return number


_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
# Only plain decimal numbers are numbers: 0571… (octal), 0x1F, 12:30 (base 60) stay the text typed.
DataLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
DataLoader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
DataLoader.add_implicit_resolver(
    _FLOAT, re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+0123456789."))
DataLoader.add_constructor("tag:yaml.org,2002:timestamp", DataLoader.construct_yaml_timestamp)
DataLoader.add_constructor(_INT, DataLoader.construct_yaml_int)
DataLoader.add_constructor(_FLOAT, DataLoader.construct_yaml_float)


def decode_text(raw: bytes, name: str) -> str:
    """A file's text: UTF-8 (a BOM is accepted), else GBK/GB18030 as Excel, WPS and Notepad save on Chinese Windows."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # UTF-8 text with a damaged byte would decode as GBK into nonsense that is then filed
        # silently; real GBK text holds few or no valid UTF-8 sequences.
        lenient = raw.decode("utf-8", errors="replace")
        if sum(ord(c) > 127 and c != "\ufffd" for c in lenient) > 2 * lenient.count("\ufffd"):
            line = raw[: exc.start].count(b"\n") + 1
            raise UsageError(f"{name} line {line} is not valid UTF-8 (a damaged character); "
                             "fix it or save the file again as UTF-8") from exc
    try:
        # GB18030 is the superset of GBK (and GB2312) that Chinese Windows calls "ANSI".
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name} is neither UTF-8 nor GBK text; save it as UTF-8") from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a record can hold")


def _fit(value: Any, schema: dict[str, Any], path: list[str | int], name: str) -> Any:
    """``value`` as JSON: numbers typed into text fields become their text; anything else non-JSON is refused."""
    if isinstance(value, dict):
        return {k: _fit(v, schema, [*path, k], name) for k, v in value.items()}
    if isinstance(value, list):
        return [_fit(v, schema, [*path, i], name) for i, v in enumerate(value)]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise UsageError(f"{name}: {validation.format_path(path)} is {value}, not a number a record can hold; "
                             "write a number")
        wanted = field_schema(schema, path).get("type") if schema else None
        kinds = wanted if isinstance(wanted, list) else [wanted]
        if isinstance(value, _Number) and "string" in kinds and not {"number", "integer"} & set(kinds):
            return value.text
        return int(value) if isinstance(value, int) else float(value)
    kinds_of: dict[type, str] = {bytes: "binary data (!!binary)", set: "a set (!!set)", tuple: "pairs (!!omap or !!pairs)"}
    what = kinds_of.get(type(value), type(value).__name__)
    raise UsageError(f"{name}: {validation.format_path(path)} holds {what}, which a record cannot store; write text")


def read_data(source: str, form: dict[str, Any] | None = None) -> dict[str, Any]:
    """Record data from a JSON or YAML file, or from stdin with ``-``.

    With the ``form``, numbers typed into its text fields are kept as the text typed.
    """
    if source == "-":
        text = sys.stdin.read()
        name = "stdin"
    else:
        path = Path(source)
        if not path.is_file():
            raise UsageError(f"no data file {source}; give a JSON or YAML file, or - for stdin")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {source} ({exc.strerror}); give a readable JSON or YAML file") from exc
        name = path.name
        text = decode_text(raw, name)
    try:
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError:
            try:
                data = yaml.load(text, Loader=DataLoader)  # noqa: S506 - a SafeLoader subclass
            except _AliasRefused as exc:
                raise UsageError(f"{name} {exc}") from exc
            except yaml.reader.ReaderError as exc:
                code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
                raise UsageError(f"{name} holds the control character U+{code:04X}, "
                                 "which record data cannot hold; remove it") from exc
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" line {mark.line + 1}" if mark is not None else ""
                raise UsageError(f"{name}{where} is neither JSON nor YAML ({getattr(exc, 'problem', exc)}); fix it") from exc
        if not isinstance(data, dict):
            raise UsageError(f"{name} must hold a mapping of field names to values")
        plain: dict[str, Any] = validation.plain_data(data)
        return {k: _fit(v, form["schema"] if form else {}, [k], name) for k, v in plain.items()}
    except ValueError as exc:
        raise UsageError(f"{name}: {exc}; fix the value") from exc
    except RecursionError as exc:
        raise UsageError(f"{name} is nested too deeply to be record data; fix it") from exc


__all__ = ["DataLoader", "decode_text", "read_data"]
