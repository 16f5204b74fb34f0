"""What a filing makes durable, and in which order: every file it replaced, their folders and the
audit log are fsynced before the intent's commit mark, and the fsyncs that need no order between
them are issued together, so a filing waits on four rounds of fsync instead of eight (on a disk that takes 50 ms per fsync, about 0.2 s a filing
instead of 0.4 s).

``os.fsync`` is watched (which inode, and whether it is a folder) while a real store files a
numbered record in a real workspace folder; the commit mark is found by reading the intent file at
the moment it is fsynced.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from qms.store import Store

# Tests of the folder store's own files: on TinyDB in every run (PostgreSQL: tests/test_pg_*.py).
pytestmark = pytest.mark.folder_store


def _watch_fsyncs(monkeypatch: pytest.MonkeyPatch, intent: Path, slow: float = 0.0) -> list[dict[str, Any]]:
    """Record each fsync: inode, folder or file, whether it was the commit mark, start and end.

    ``slow`` makes each fsync take that many seconds longer, as on a busy disk, so that fsyncs
    issued together surely overlap in time."""
    real = os.fsync
    calls: list[dict[str, Any]] = []
    guard = threading.Lock()

    def fsync(fd: int) -> None:
        st = os.fstat(fd)
        start = time.perf_counter()
        real(fd)
        time.sleep(slow)
        mark = False
        if st.st_ino == (intent.stat().st_ino if intent.exists() else -1):
            mark = intent.read_bytes().rstrip(b"\n").endswith(b'{"commit":true}')
        with guard:
            calls.append({"ino": st.st_ino, "dir": stat.S_ISDIR(st.st_mode), "mark": mark,
                          "start": start, "end": time.perf_counter()})

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


def _filing(store: Store, n: int) -> None:
    with store.transaction():
        number = store.next_number("items:2026", lambda k: store.get("items", f"IT-{k:06d}") is not None)
        store.put("items", f"IT-{number:06d}", {"n": n, "text": "批次色差"}, actor="t", action="item.file")


def test_a_filing_makes_its_files_folders_and_audit_entry_durable_before_the_commit_mark(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "records")
    _filing(store, 0)  # the folders exist from here on: the next filing replaces files in them
    calls = _watch_fsyncs(monkeypatch, store.root / ".intent")
    _filing(store, 1)
    marks = [i for i, c in enumerate(calls) if c["mark"]]
    assert len(marks) == 1, calls
    before = calls[:marks[0]]
    synced = {c["ino"] for c in before}
    bucket = store._path("items", "IT-000002")
    for path in (bucket, store.db / "_sequences.json", store.audit.path, bucket.parent, store.db):
        assert path.stat().st_ino in synced, f"{path} was not fsynced before the commit mark"
    assert all(c["end"] <= calls[marks[0]]["start"] for c in before)
    assert not calls[marks[0] + 1:], "nothing is fsynced after the commit mark"


def test_a_filing_waits_on_four_rounds_of_fsync_not_eight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "records")
    _filing(store, 0)
    calls = _watch_fsyncs(monkeypatch, store.root / ".intent", slow=0.05)
    _filing(store, 1)
    # Rounds: fsyncs that overlap in time were waited on together.
    rounds: list[list[dict[str, Any]]] = []
    for c in sorted(calls, key=lambda c: c["start"]):
        if rounds and c["start"] < max(o["end"] for o in rounds[-1]):
            rounds[-1].append(c)
        else:
            rounds.append([c])
    assert len(calls) >= 8  # the same files are made durable as before ...
    assert len(rounds) <= 4, [[("dir" if c["dir"] else c["ino"]) for c in r] for r in rounds]  # ... in fewer waits
