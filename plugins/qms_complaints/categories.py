"""The configurable category lists of QR-8.2-01, read back from the form definition.

The lists live in the form's JSON Schema (``allOf`` entries of the shape ``if category is C then
sub_category is one of [...]``), so the core's validator enforces them and a company changes them
by revising the form, without touching code.
"""

from __future__ import annotations

from typing import Any


def from_form(form: dict[str, Any]) -> dict[str, list[str]]:
    """Category → its sub-categories (``[]`` when free) in the order of the category enum."""
    schema = form.get("schema") or {}
    names = list((schema.get("properties") or {}).get("category", {}).get("enum") or [])
    subs: dict[str, list[str]] = {}
    for rule in schema.get("allOf") or []:
        const = (((rule.get("if") or {}).get("properties") or {}).get("category") or {}).get("const")
        enum = (((rule.get("then") or {}).get("properties") or {}).get("sub_category") or {}).get("enum")
        if const is not None and enum is not None:
            subs[str(const)] = [str(s) for s in enum]
    return {name: subs.get(name, []) for name in names}


__all__ = ["from_form"]
