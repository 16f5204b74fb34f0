"""Moving a workspace's store between the folder (TinyDB) and PostgreSQL: ``qms store migrate``.

A migration reads every object, numbering sequence and audit entry of the store the workspace
runs on, writes them unchanged into an empty target (the same canonical log lines, so the same
chain), and then verifies the target as ``qms verify`` does: the chain must end in the same head,
with the same number of entries, and every object must match its last logged state. Only then does
it log the migration on the target and switch ``qms.toml`` to it.

It is idempotent: run again against the target it already filled (the target's log begins with
every entry of the source), it only finishes the switch. Any other non-empty target is refused.
Attachments and rendered PDFs stay where they are: both stores keep them under the workspace folder.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qms import clock
from qms.backend import default_schema, describe, is_database_url, open_at, settings_of
from qms.errors import Refused, UsageError
from qms.verify import verify_store
from qms.workspace import CONFIG_NAME, set_store_table

if TYPE_CHECKING:
    from qms.app import App
    from qms.store import Store


@dataclass
class Migration:
    """What a migration did: from where to where, how much, the head both sides end in."""

    source: str
    target: str
    objects: int
    entries: int
    head: str
    already: bool = False
    kept: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _target(app: App, to: str, schema: str | None) -> tuple[Store, str | None, str]:
    """The store ``to`` names for this workspace, with the url and schema to write into ``qms.toml``."""
    root = app.workspace.root
    if to in ("folder", "tinydb"):
        from qms.store import Store

        return Store(app.workspace.records), None, ""
    if not is_database_url(to):
        raise UsageError(f"--to {to!r} is neither a postgresql:// url nor \"folder\"; give one of them")
    chosen = schema or default_schema(root)
    return open_at(app.workspace.records, to, chosen), to, chosen


def _holds_source(target: Store, head: str, entries: int) -> bool:
    """Whether ``target`` already holds the source's log: its entry number ``entries`` ends in ``head``."""
    if entries == 0:
        return False
    for entry in target.audit.entries():
        if entry.get("seq") == entries:
            return bool(entry.get("hash") == head)
    return False


def migrate(app: App, to: str, schema: str | None, actor: str) -> Migration:
    """Copy the workspace's store to ``to`` (a postgresql:// url or ``"folder"``), verify it, switch to it."""
    source = app.store
    url_now, schema_now = settings_of(app.workspace.config.raw, app.workspace.root)
    target, url, chosen = _target(app, to, schema)
    if (url, chosen if url else "") == (url_now, schema_now if url_now else ""):
        raise Refused(f"the workspace already runs on {describe(source)}; nothing to migrate")
    checked = verify_store(source, app.workspace.root, full=True)
    if not checked.ok:
        raise Refused(f"the store to migrate has {len(checked.problems)} problem(s) (first: {checked.problems[0].object}: "
                      f"{checked.problems[0].message}); run `qms verify` and resolve them first")
    report = Migration(source=describe(source), target=describe(target), objects=checked.objects,
                       entries=checked.entries, head=checked.head)
    if not target.is_empty():
        if not _holds_source(target, checked.head, checked.entries):
            raise Refused(f"{describe(target)} already holds another store; migrate into an empty one "
                          "(a new schema with --schema, or an empty folder)")
        report.already = True
    else:
        objects = {c: dict(source.iter(c)) for c in source.collections()}
        target.load(objects, source.sequences(), source.audit_bytes())
        landed = verify_store(target, app.workspace.root, full=True)
        if not landed.ok or landed.head != checked.head or landed.entries != checked.entries:
            first = landed.problems[0] if landed.problems else None
            raise Refused(f"the copy on {describe(target)} does not verify as the source does "
                          f"({first.object + ': ' + first.message if first else 'a different chain head'}); "
                          "the workspace stays on its store")
        target.fixed_clock_allowed = source.fixed_clock_allowed
        target.log_event("event", "store", actor=actor, action="store.migrate",
                         reason=f"store migrated from {report.source}",
                         detail={"from": report.source, "to": report.target, "entries": checked.entries,
                                 "head": checked.head, "objects": checked.objects})
    if source.kind == "folder":
        report.kept = _set_aside(app.workspace.records)
    set_store_table(app.workspace.root / CONFIG_NAME, url or "folder", chosen)
    return report


def _set_aside(records: Path) -> str:
    """Move the folder store's files out of the way (kept, not deleted), so a later migration back finds it empty."""
    kept = records / f"before-migration-{clock.now().strftime('%Y%m%d-%H%M%S')}"
    kept.mkdir()
    for name in ("db", "audit.log", "cache"):
        if (records / name).exists():
            shutil.move(str(records / name), str(kept / name))
    return kept.relative_to(records.parent).as_posix()

