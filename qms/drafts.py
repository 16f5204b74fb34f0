"""Saved drafts of records not yet filed: what a clerk typed, kept so the form can be finished later.

A draft is not a record. It has no number (numbers are given only when a record is filed, so a
draft never uses one up), is not validated and appears in no register. It belongs to the user who
saved it, who alone may see, change, file or discard it. Drafts live in the ``drafts`` collection;
saving and discarding are in the audit log like every other change.
"""

from __future__ import annotations

import secrets
from typing import Any

from qms import clock, forms
from qms.app import App
from qms.errors import NotFound, UsageError

COLLECTION = "drafts"
#: More than a clerk would keep open; a bound so the collection cannot grow without end.
MAX_PER_USER = 50


def _owned(app: App, key: str, name: str) -> dict[str, Any]:
    draft = app.store.get(COLLECTION, key) if key.isalnum() else None
    if draft is None or draft.get("owner") != name:
        raise NotFound(f"no saved draft {key!r} of yours; list your drafts on My work")
    return draft


def save(app: App, form_number: str, data: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    """Store ``data`` typed on ``form_number`` as a draft of the acting user (a new one unless ``key``)."""
    actor = app.actor("record.file", f"save drafts of {form_number} records")
    form = forms.current_form(app, form_number)
    with app.store.transaction():
        if key:
            draft = _owned(app, key, actor["name"])
            if draft["form"] != form_number:
                raise UsageError(f"draft {key} is of form {draft['form']}, not {form_number}")
        else:
            if len(mine(app, actor["name"])) >= MAX_PER_USER:
                raise UsageError(f"you already keep {MAX_PER_USER} drafts; file or discard some first")
            key = secrets.token_hex(8)
            draft = {"key": key, "owner": actor["name"], "form": form_number, "created_at": clock.stamp()}
        draft.update({"data": data, "form_edition": form["edition"], "title": form.get("title", ""),
                      "saved_at": clock.stamp()})
        app.store.put(COLLECTION, key, draft, actor=actor["name"], action="draft.save",
                      detail={"form": form_number})
    return draft


def get(app: App, key: str, name: str) -> dict[str, Any]:
    """The draft ``key`` if it belongs to ``name``; ``NotFound`` otherwise."""
    return _owned(app, key, name)


def mine(app: App, name: str) -> list[dict[str, Any]]:
    """The drafts of ``name``, most recently saved first."""
    return sorted(app.store.query(COLLECTION, owner=name), key=lambda d: d.get("saved_at", ""), reverse=True)


def discard(app: App, key: str, reason: str = "discarded by its owner") -> None:
    """Remove a draft of the acting user (after it was filed, or when no longer wanted)."""
    actor = app.actor("record.file", "discard drafts")
    with app.store.transaction():
        draft = _owned(app, key, actor["name"])
        app.store.delete(COLLECTION, key, actor=actor["name"], action="draft.discard", reason=reason,
                         detail={"form": draft["form"]})


__all__ = ["COLLECTION", "discard", "get", "mine", "save"]
