"""In-memory indexes that keep the site fast at a hundred thousand records: records by form, search text, audit lines.

A long-running server cannot re-read and re-filter every record per request and stay under 200 ms,
so it keeps:

* ``RecordIndex``: one small ``Entry`` per record (number, form, state, department, filing date,
  closed flag and a case-folded search text), the entries of each form sorted newest first with
  position lists per state and department and the filing dates for bisection (``FormIndex``), and
  all search texts joined into one string (``TextIndex``). Before each use it compares the names,
  inodes, sizes and mtimes of the record buckets with what it saw; only when a bucket changed does
  it walk the store again, and records whose stored object is the very object it indexed last time
  (the store caches unchanged buckets) are reused without work.
* ``AuditIndex``: the byte offset of every complete line of ``audit.log``, extended from the last
  known size as the log grows (it is append-only), so a page of the log is a few seeks.

Both are thread-safe: the server handles requests on several threads.
"""

from __future__ import annotations

import json
import os
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
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


class FormIndex:
    """The records of one form, newest first, with what the register's filters need precomputed.

    ``by_state`` and ``by_dept`` hold positions (ascending, so newest first) into ``entries``;
    ``days`` are the filing dates oldest first, so a date range is two bisections and a slice.
    A filter walks only the shortest applicable position list, never all of a form's records.
    """

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.states = [e.state for e in entries]
        self.depts = [e.dept for e in entries]
        self.days = [e.created[:10] for e in reversed(entries)]
        self.by_state: dict[str, list[int]] = {}
        self.by_dept: dict[str, list[int]] = {}
        for i, e in enumerate(entries):
            self.by_state.setdefault(e.state, []).append(i)
            self.by_dept.setdefault(e.dept, []).append(i)
        self.dept_names = sorted(d for d in self.by_dept if d)

    def select(self, state: str = "", dept: str = "", since: str = "", until: str = "") -> Sequence[int]:
        """Positions of the matching entries, newest first (a ``range`` when only dates filter)."""
        n = len(self.entries)
        lo_asc = bisect_left(self.days, since) if since else 0
        hi_asc = bisect_right(self.days, until) if until else n
        lo, hi = n - hi_asc, n - lo_asc  # the same records, as positions in newest-first order
        if hi <= lo:
            return range(0)
        lists = []
        if state:
            lists.append(self.by_state.get(state, []))
        if dept:
            lists.append(self.by_dept.get(dept, []))
        if not lists:
            return range(lo, hi)
        shortest = min(lists, key=len)
        if len(shortest) > (hi - lo):
            shortest = range(lo, hi)  # type: ignore[assignment]
        states, depts = self.states, self.depts
        return [i for i in shortest if lo <= i < hi and (not state or states[i] == state) and (not dept or depts[i] == dept)]


class TextIndex:
    """Every record's search text joined into one string, newest first: one C-speed ``find`` per match."""

    SEP = "\x00"

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self.starts: list[int] = []
        pos = 0
        for e in entries:
            self.starts.append(pos)
            pos += len(e.text) + 1
        self.blob = self.SEP.join(e.text for e in entries)

    def find(self, needle: str, limit: int) -> tuple[list[Entry], int]:
        """Up to ``limit`` entries (newest first) whose text contains ``needle``, and how many do in all."""
        folded = needle.casefold().replace(self.SEP, "")
        if not folded:
            return [], 0
        blob, starts, entries = self.blob, self.starts, self.entries
        found: list[Entry] = []
        total = 0
        pos = 0
        while True:
            at = blob.find(folded, pos)
            if at < 0:
                break
            k = bisect_right(starts, at) - 1
            total += 1
            if len(found) < limit:
                found.append(entries[k])
            pos = starts[k + 1] if k + 1 < len(starts) else len(blob)  # one hit per record
        return found, total


class Snapshot:
    """One consistent view of every record: by number, newest first, per form, and the search text."""

    def __init__(self, by_number: dict[str, Entry], version: int) -> None:
        self.by_number = by_number
        self.version = version
        self.newest = sorted(by_number.values(), key=lambda e: (e.created, e.number), reverse=True)
        grouped: dict[str, list[Entry]] = {}
        for entry in self.newest:
            grouped.setdefault(entry.form, []).append(entry)
        self.forms = {form: FormIndex(entries) for form, entries in grouped.items()}
        self.text = TextIndex(self.newest)
        self._empty = FormIndex([])

    def form(self, form: str) -> FormIndex:
        """The index of one form (empty when nothing was filed on it)."""
        return self.forms.get(form, self._empty)

    def entries(self, form: str | None = None) -> list[Entry]:
        """The entries of one form (or all), newest first."""
        return self.form(form).entries if form else self.newest

    def depts(self, form: str) -> list[str]:
        """The departments that filed records on ``form``, sorted."""
        return self.form(form).dept_names


class RecordIndex:
    """Snapshots of every record of a store, rebuilt when the store's record files change.

    Small stores are rebuilt before the request is answered. Once a rebuild has taken longer than
    ``BACKGROUND_AFTER`` seconds (tens of thousands of records), later rebuilds run in a thread
    while requests keep reading the previous snapshot, so one write does not stall every reader;
    a new record then shows up a moment after it is filed. ``refresh(wait=True)`` always waits.
    """

    BACKGROUND_AFTER = 0.15

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._signature: tuple[Any, ...] | None = None
        self._snapshot = Snapshot({}, 0)
        self._worker: threading.Thread | None = None
        self.last_build = 0.0

    def _build(self, signature: tuple[tuple[str, int, int, int], ...]) -> None:
        start = time.perf_counter()
        old = self._snapshot.by_number
        by_number: dict[str, Entry] = {}
        for number, obj in self.store.iter(RECORDS):
            previous = old.get(number)
            # Unchanged buckets come back as the same cached objects: reuse their entries as they are.
            by_number[number] = previous if previous is not None and (previous.obj is obj or previous.obj == obj) else _entry(obj)
        self._snapshot = Snapshot(by_number, self._snapshot.version + 1)
        self._signature = signature
        self.last_build = time.perf_counter() - start

    def _background(self, signature: tuple[tuple[str, int, int, int], ...]) -> None:
        try:
            with self._lock:
                self._build(signature)
        finally:
            self._worker = None

    def refresh(self, wait: bool = False) -> Snapshot:
        """The current snapshot, rebuilt first (or in the background for a large store) if the store changed."""
        signature = self.store.signature(RECORDS)
        if signature == self._signature:
            return self._snapshot
        if not wait and self._signature is not None and self.last_build > self.BACKGROUND_AFTER:
            # Taken before the thread starts: a quick rebuild could otherwise swap it in under us,
            # and this request would wait for nothing or see a half-announced snapshot.
            snapshot = self._snapshot
            if self._worker is None:
                self._worker = threading.Thread(target=self._background, args=(signature,), daemon=True,
                                                name="qms-site-index")
                self._worker.start()
            return snapshot
        with self._lock:
            if signature != self._signature:
                self._build(signature)
        return self._snapshot


def audit_index(store: Store) -> AuditIndex:
    """The site's view of ``store``'s audit log: offsets into ``audit.log``, or the audit table's rows."""
    return RowAuditIndex(store) if store.kind == "postgresql" else AuditIndex(store.audit.path)


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


class RowAuditIndex(AuditIndex):
    """The same reads over the audit table of a store on PostgreSQL: entry n is the row with seq n + 1."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.root / "audit.log")
        self.log: Any = store.audit
        self._count = 0

    def refresh(self) -> AuditIndex:
        last = self.log.last()
        self._count = int(last["seq"]) if last else 0
        self.head = str(last["hash"]) if last else ""
        return self

    def __len__(self) -> int:
        return self._count

    def about(self, collection: str, key: str) -> list[dict[str, Any]]:
        return list(self.log.entries_for(collection, key))

    def lines(self, first: int, count: int) -> list[dict[str, Any]]:
        return list(self.log.page(first, count))
