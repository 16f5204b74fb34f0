"""The store's write-ahead intent: what an unfinished unit of work changed, so a crash can be undone.

``records/.intent`` is empty while no write is under way. The first change a unit of work makes
writes a header (the audit log's length before it, who started it and when), durable before that
change; every file it then changes first gets one line holding the file's old bytes (or ``null``:
it did not exist), fsynced before the file is replaced. The unit commits by appending a commit mark
after its audit entries are durable, and then empties the file. So whoever next opens the workspace
finds one of three things:

* an empty file: nothing to do;
* lines without a commit mark: the writer died before committing; its files get their old bytes
  back and the log its old length, dropping any entries it had appended (**rolled back**);
* a commit mark: everything was written and logged; the intent only was not yet emptied (**rolled
  forward**: nothing to put back).

A torn last line is a record whose file was never touched (the record is durable before the file
changes), so it is ignored. Files under ``cache/`` are derived data: they are not recorded (each
cache entry carries the signature of the bucket it came from and is recomputed when it differs).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from qms import faults

FILE_NAME = ".intent"


@dataclass(frozen=True)
class Recovery:
    """What was done with one unfinished unit of work found in the intent."""

    outcome: str  # "rolled back" or "rolled forward"
    started: str
    pid: int | None
    files: list[str]
    audit_entries_dropped: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and the audit entry."""
        return asdict(self)

    def describe(self) -> str:
        """One line for people."""
        what = (f"put back {len(self.files)} file(s) ({', '.join(self.files) or '-'}) and dropped "
                f"{self.audit_entries_dropped} unfinished audit entr{'y' if self.audit_entries_dropped == 1 else 'ies'}"
                if self.outcome == "rolled back" else
                f"its {len(self.files)} file(s) and audit entries were complete")
        return f"{self.outcome} a write started {self.started or '?'} by process {self.pid or '?'}: {what}"


@dataclass
class Pending:
    """An unfinished unit of work as read back from the intent file."""

    header: dict[str, Any]
    files: list[tuple[str, bytes | None]] = field(default_factory=list)
    committed: bool = False


class Intent:
    """The intent file of one workspace, as written by the unit of work holding the write lock."""

    def __init__(self, root: Path) -> None:
        self.path = root / FILE_NAME
        self._file: BinaryIO | None = None
        self._unsynced = False

    @property
    def open(self) -> bool:
        """True once the running unit of work has written its header."""
        return self._file is not None

    def begin(self, audit_size: int | None, started: str) -> None:
        """Write the header of a new unit of work, replacing whatever the file held.

        It becomes durable with the first record, or by ``sync`` before an audit entry that comes
        first: one fsync fewer per write, and still before the first change.
        """
        created = not self.path.exists()
        self._file = self.path.open("wb")
        self._line({"intent": 1, "audit_size": audit_size, "started": started, "pid": os.getpid()}, sync=False)
        if created:
            # The file's name must survive a power cut as surely as the files it protects.
            fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        faults.reached("intent")

    def remember(self, files: list[tuple[str, bytes | None]]) -> None:
        """Record (durably, one fsync) the bytes each file held before this unit of work first changes it."""
        assert self._file is not None
        for relpath, old in files:
            self._file.write(json.dumps({"path": relpath, "old": None if old is None else base64.b64encode(old).decode("ascii")},
                                        separators=(",", ":")).encode("utf-8") + b"\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._unsynced = False
        faults.reached("remember")

    def commit(self) -> None:
        """Mark the unit of work complete (its files and audit entries are durable), then empty the file.

        The mark is fsynced; emptying is not: a mark that survives a power cut is only rolled
        forward, which puts nothing back.
        """
        if self._file is None:
            return
        self._line({"commit": True})
        faults.reached("commit")
        self.clear(durable=False)
        faults.reached("done")

    def clear(self, *, durable: bool = True) -> None:
        """Empty the intent: nothing is pending any more."""
        f = self._file
        self._file = None
        if f is None:
            if self.path.exists() and self.path.stat().st_size:
                with self.path.open("r+b") as g:
                    g.truncate(0)
                    if durable:
                        os.fsync(g.fileno())
            return
        try:
            f.seek(0)
            f.truncate(0)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        finally:
            f.close()

    def close(self) -> None:
        """Close the file without changing it (the process is giving up on the unit of work)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def sync(self) -> None:
        """Make what was written so far durable (before a change that no record precedes)."""
        if self._file is not None and self._unsynced:
            os.fsync(self._file.fileno())
            self._unsynced = False

    def _line(self, record: dict[str, Any], *, sync: bool = True) -> None:
        assert self._file is not None
        self._file.write(json.dumps(record, separators=(",", ":")).encode("utf-8") + b"\n")
        self._file.flush()
        self._unsynced = not sync
        if sync:
            os.fsync(self._file.fileno())

    def pending(self) -> Pending | None:
        """The unfinished unit of work the file describes, or None when it is empty."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not data:
            return None
        lines = data.split(b"\n")
        complete = lines[:-1]  # the last element is b"" or a torn line, never acted on
        try:
            header = json.loads(complete[0]) if complete else None
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("intent") != 1:
            # Torn header: it is fsynced before any change, so nothing was changed.
            return Pending(header={"audit_size": None, "started": "", "pid": None, "torn": True})
        out = Pending(header=header)
        for raw in complete[1:]:
            try:
                record = json.loads(raw)
            except json.JSONDecodeError:
                break
            if record.get("commit"):
                out.committed = True
            elif isinstance(record.get("path"), str):
                old = record.get("old")
                out.files.append((record["path"], None if old is None else base64.b64decode(old)))
        return out

    def has_pending(self) -> bool:
        """Cheap check: does the file hold anything (one stat)?"""
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False
