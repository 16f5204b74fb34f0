"""The read-only record query the core hands to plugin hooks (``qms.hookspecs.RecordQuery``).

Hooks that judge one record against others (a number unique in a register, the state of the
equipment a record names) receive ``query(form=None, state=None, **fields)``: the stored records
whose top-level keys equal the given values, as copies, so a plugin can read but never change
what the store holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qms.hookspecs import RecordQuery

if TYPE_CHECKING:
    from qms.app import App

COLLECTION = "records"


def record_query(app: App) -> RecordQuery:
    """A ``RecordQuery`` over the records of ``app``'s workspace."""

    def query(form: str | None = None, state: str | None = None, **fields: Any) -> list[dict[str, Any]]:
        wanted: dict[str, Any] = {k: v for k, v in (("form", form), ("state", state)) if v is not None}
        return app.store.query(COLLECTION, None, **wanted, **fields)

    return query


__all__ = ["record_query"]
