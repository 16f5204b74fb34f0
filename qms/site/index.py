"""In-memory indexes that keep the site fast at a hundred thousand records: records by form, search text, audit lines.

A long-running server cannot re-read and re-filter every record per request and stay under 200 ms,
so it keeps:

* ``RecordIndex``: one small ``Entry`` per record (number, form, state, department, filing date,
  closed flag and a case-folded search text), the entries of each form sorted newest first. Before
  each use it compares the names, inodes, sizes and mtimes of the record buckets with what it saw;
  only when a bucket changed does it walk the store again, and records whose stored object is the
  very object it indexed last time (the store caches unchanged buckets) are reused without work.
* ``AuditIndex``: the byte offset of every complete line of ``audit.log``, extended from the last
  known size as the log grows (it is append-only), so a page of the log is a few seeks.

Both are thread-safe: the server handles requests on several threads.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qms.store import Store

RECORDS = "records"
#: Fields copied into an entry's search text besides the record's data values.
_TEXT_KEYS = ("number", "form", "state", "dept", "created_by", "procedure")


@dataclass(frozen=True)
class Entry:
    """What the register and search need of one record; ``obj`` is the store's cached object (never mutate)."""

    number: str
    form: str
    state: str
    dept: str
    created: str  # ISO date-time of filing
    closed: bool
    text: str  # case-folded: number, form, state, department, filer and every data value
    obj: dict[str, Any]


def _flatten(value: Any, out: list[str]) -> None:
    """Every scalar inside ``value`` as text (nested groups and tables included)."""
    if isinstance(value, dict):
        for item in value.values():
            _flatten(item, out)
    elif isinstance(value, list):
        for item in value:
            _flatten(item, out)
    elif value is not None and value != "":
        out.append(str(value))


def search_text(record: dict[str, Any]) -> str:
    """The case-folded text a search matches against: Chinese has no word breaks, so plain substrings."""
    parts = [str(record.get(k, "")) for k in _TEXT_KEYS]
    _flatten(record.get("data", {}), parts)
    for att in record.get("attachments") or []:
        parts.append(str(att.get("name", "")))
    return "\n".join(parts).casefold()


def _entry(record: dict[str, Any]) -> Entry:
    return Entry(
        number=str(record.get("number", "")), form=str(record.get("form", "")), state=str(record.get("state", "")),
        dept=str(record.get("dept", "")), created=str(record.get("created_at", "")), closed=bool(record.get("closed")),
        text=search_text(record), obj=record,
    )


def folder_signature(folder: Path) -> tuple[tuple[str, int, int, int], ...]:
    """Name, inode, size and mtime of every bucket file in ``folder``: changes whenever the store writes one."""
    try:
        with os.scandir(folder) as it:
            sig = []
            for item in it:
                if item.name.endswith(".json") and not item.name.startswith("."):
                    st = item.stat(follow_symlinks=False)
                    sig.append((item.name, st.st_ino, st.st_size, st.st_mtime_ns))
    except FileNotFoundError:
        return ()
    return tuple(sorted(sig))


class RecordIndex:
    """Every record of a store, by number and by form (newest first), refreshed when the store's files change."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, int, int, int], ...] | None = None
        self.by_number: dict[str, Entry] = {}
        self.by_form: dict[str, list[Entry]] = {}
        self.newest: list[Entry] = []
        #: Bumped on every rebuild, so caches built on the index (overdue numbers) know when to drop.
        self.version = 0
        self._depts: dict[tuple[int, str], list[str]] = {}

    def refresh(self) -> RecordIndex:
        """Bring the index up to date with the store; a stat of each bucket when nothing changed."""
        signature = folder_signature(self.store.db / RECORDS)
        if signature == self._signature:
            return self
        with self._lock:
            if signature == self._signature:
                return self
            old = self.by_number
            by_number: dict[str, Entry] = {}
            for number, obj in self.store.iter(RECORDS):
                previous = old.get(number)
                # Unchanged buckets come back as the same cached objects: reuse their entries as they are.
                by_number[number] = previous if previous is not None and previous.obj is obj else _entry(obj)
            newest = sorted(by_number.values(), key=lambda e: (e.created, e.number), reverse=True)
            by_form: dict[str, list[Entry]] = {}
            for entry in newest:
                by_form.setdefault(entry.form, []).append(entry)
            self.by_number, self.by_form, self.newest = by_number, by_form, newest
            self._signature = signature
            self.version += 1
        return self

    def entries(self, form: str | None = None) -> list[Entry]:
        """The entries of one form (or all), newest first."""
        return self.by_form.get(form, []) if form else self.newest

    def states(self, form: str) -> list[str]:
        """The states records of ``form`` are in, in order of first appearance (oldest first)."""
        seen: dict[str, None] = {}
        for entry in reversed(self.by_form.get(form, [])):
            seen.setdefault(entry.state, None)
        return list(seen)

    def depts(self, form: str) -> list[str]:
        """The departments that filed records on ``form``, sorted (worked out once per index version)."""
        key = (self.version, form)
        found = self._depts.get(key)
        if found is None:
            found = sorted({e.dept for e in self.by_form.get(form, []) if e.dept})
            self._depts = {k: v for k, v in self._depts.items() if k[0] == self.version}
            self._depts[key] = found
        return found


def matches(entries: Iterable[Entry], needle: str, limit: int) -> tuple[list[Entry], int]:
    """Up to ``limit`` entries whose text contains ``needle`` (case-folded), and how many match in all."""
    folded = needle.casefold()
    found = [e for e in entries if folded in e.text]
    return found[:limit], len(found)


class AuditIndex:
    """Byte offsets of the complete lines of an append-only audit log, newest last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._offsets: list[int] = []
        self._size = 0  # bytes indexed so far (always at a line end)
        self._ino = -1
        #: Line numbers (0-based) of the entries about each (collection, key), oldest first.
        self.by_key: dict[tuple[str, str], list[int]] = {}
        self.head = ""

    def refresh(self) -> AuditIndex:
        """Index lines appended since the last call (or everything, if the file was replaced or shrank)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            with self._lock:
                self._offsets, self._size, self._ino = [], 0, -1
            return self
        with self._lock:
            if st.st_ino != self._ino or st.st_size < self._size:
                self._offsets, self._size, self._ino = [], 0, st.st_ino
                self.by_key, self.head = {}, ""
            if st.st_size == self._size:
                return self
            with self.path.open("rb") as f:
                f.seek(self._size)
                chunk = f.read(st.st_size - self._size)
            pos = self._size
            start = 0
            while True:
                end = chunk.find(b"\n", start)
                if end < 0:
                    break  # a torn last line is not an entry (yet)
                try:
                    entry = json.loads(chunk[start:end])
                    self.by_key.setdefault((str(entry.get("collection")), str(entry.get("key"))), []).append(
                        len(self._offsets))
                    self.head = str(entry.get("hash", ""))
                except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                    pass  # shown as unreadable on its page; `qms verify` names it
                self._offsets.append(pos + start)
                start = end + 1
            self._size = pos + start
        return self

    def __len__(self) -> int:
        return len(self._offsets)

    def about(self, collection: str, key: str) -> list[dict[str, Any]]:
        """Every entry about one object, oldest first."""
        with self._lock:
            numbers = list(self.by_key.get((collection, key), []))
        out: list[dict[str, Any]] = []
        for n in numbers:
            out.extend(self.lines(n, 1))
        return out

    def lines(self, first: int, count: int) -> list[dict[str, Any]]:
        """Entries ``first`` … ``first + count - 1`` (0 = oldest), parsed; a line that is not JSON is shown as such."""
        with self._lock:
            offsets = self._offsets[first:first + count + 1]
            limit = self._size
        if not offsets:
            return []
        out = []
        with self.path.open("rb") as f:
            for i, start in enumerate(offsets[:count]):
                end = offsets[i + 1] if i + 1 < len(offsets) else limit
                f.seek(start)
                raw = f.read(end - start)
                try:
                    out.append(json.loads(raw))
                except (json.JSONDecodeError, UnicodeDecodeError):
                    out.append({"seq": first + i + 1, "action": "(unreadable line)", "reason": raw[:200].decode("utf-8", "replace")})
        return out
