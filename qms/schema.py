"""JSON Schema (draft 2020-12) for form definitions: the validator class and the format checker qms uses.

Import ``jsonschema`` through this module. ``jsonschema[format-nongpl]`` pulls in ``rfc3987-syntax``
for the ``iri`` and ``iri-reference`` formats, and that package compiles a Lark grammar when it is
imported: about three seconds on every ``qms`` command, measured here. So it is kept out while
``jsonschema`` loads and those two formats are checked by a function that imports it on first use.
The ``date-time`` check also accepts local times without an offset, which is how the seeds (and
``qms.clock``) write time.
"""

from __future__ import annotations

import copy
import re
import sys
from datetime import datetime
from typing import Any

if "jsonschema" not in sys.modules:
    _blocked = "rfc3987_syntax" not in sys.modules
    if _blocked:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import jsonschema  # noqa: F401
    finally:
        if _blocked:
            del sys.modules["rfc3987_syntax"]

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

_LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


def _date_time(value: object) -> bool:
    """RFC 3339 date-times, and local ones without an offset (``2026-09-30T10:00``)."""
    if not isinstance(value, str):
        return True
    if not _LOCAL_DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _iri(rule: str) -> Any:
    def check(value: object) -> bool:
        if not isinstance(value, str):
            return True
        from rfc3987_syntax import (
            is_valid_syntax,  # slow import, paid only when a form uses iri
        )

        return bool(is_valid_syntax(rule, value))

    return check


FORMAT_CHECKER: FormatChecker = copy.deepcopy(Draft202012Validator.FORMAT_CHECKER)
FORMAT_CHECKER.checks("date-time")(_date_time)
FORMAT_CHECKER.checks("iri")(_iri("iri"))
FORMAT_CHECKER.checks("iri-reference")(_iri("iri_reference"))

__all__ = ["FORMAT_CHECKER", "Draft202012Validator", "SchemaError", "ValidationError"]
