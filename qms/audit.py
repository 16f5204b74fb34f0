"""The append-only, hash-chained audit log.

One JSON object per line in ``records/audit.log``. Each entry holds the hash of the previous
entry (``prev``) and the sha256 of the new state of the object it changed (``state``), and its own
``hash`` over everything else. An append costs the same at any log size: only the tail is read.
Callers hold the store's write lock while appending, so the chain has one writer at a time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qms import clock
from qms import faults

GENESIS = "0" * 64


def canonical(obj: Any) -> bytes:
    """The canonical bytes of a JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def digest(obj: Any) -> str:
    """sha256 of the canonical bytes of ``obj``."""
    return hashlib.sha256(canonical(obj)).hexdigest()


def entry_hash(entry: dict[str, Any]) -> str:
    """The hash an entry must carry: over every field except ``hash`` itself."""
    return digest({k: v for k, v in entry.items() if k != "hash"})


@dataclass(frozen=True)
class ChainProblem:
    """A line of the log that is broken: bad JSON, a wrong hash or a broken link."""

    line: int
    message: str


class AuditLog:
    """Append and read the hash-chained log at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _tail(self) -> tuple[dict[str, Any] | None, int]:
        """The last complete entry and the byte length of the complete part of the file."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return None, 0
        if size == 0:
            return None, 0
        with self.path.open("rb") as f:
            block = 1 << 16
            start = max(0, size - block)
            while True:
                f.seek(start)
                chunk = f.read(size - start)
                end = chunk.rfind(b"\n")
                # An entry is committed only with its newline; a torn tail is ignored.
                body = chunk[:end] if end >= 0 else b""
                nl = body.rfind(b"\n")
                if nl >= 0 or start == 0:
                    if end < 0:
                        return None, 0
                    last = body[nl + 1 :]
                    return json.loads(last), start + end + 1
                start = max(0, start - block)

    def head(self) -> str:
        """The hash of the last committed entry (the genesis hash for an empty log)."""
        last, _ = self._tail()
        return last["hash"] if last else GENESIS

    def last(self) -> dict[str, Any] | None:
        """The last committed entry (None for an empty log), read from the tail only."""
        return self._tail()[0]

    def append(self, entry: dict[str, Any], *, sync: bool = True) -> dict[str, Any]:
        """Chain ``entry`` to the log and write it durably; returns the entry with seq, prev and hash.

        ``sync=False`` leaves the fsync to the caller (a store unit of work makes it durable with its
        files, before its commit mark)."""
        return self._append([entry], sync=sync)[0]

    def append_many(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Chain several entries with one write and one fsync; returns them with seq, prev and hash."""
        return self._append(entries, sync=True)

    def _append(self, entries: list[dict[str, Any]], *, sync: bool) -> list[dict[str, Any]]:
        last, good = self._tail()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        seq = last["seq"] if last else 0
        prev = last["hash"] if last else GENESIS
        chained = []
        for entry in entries:
            seq += 1
            full = {**entry, "seq": seq, "prev": prev}
            if clock.is_fixed():
                full.setdefault("clock", "fixed")  # its time was set by QMS_NOW, not read from the clock
            full["hash"] = prev = entry_hash(full)
            chained.append(full)
        with self.path.open("ab") as f:
            if f.tell() != good:
                # A writer died mid-line: drop the torn, never-acknowledged tail before chaining on.
                f.truncate(good)
            data = b"".join(canonical(e) + b"\n" for e in chained)
            if faults.armed("audit-torn"):
                # Crash tests: die with half the lines written, as a power cut mid-write would.
                f.write(data[: len(data) // 2])
                f.flush()
                faults.die()
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        faults.reached("audit")
        return chained

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every parseable entry in order (use ``check_chain`` to judge them)."""
        if not self.path.exists():
            return
        with self.path.open("rb") as f:
            for raw in f:
                if raw.endswith(b"\n"):
                    try:
                        yield json.loads(raw)
                    except json.JSONDecodeError:
                        continue

    def check_chain(self, *, offset: int = 0, prev: str = GENESIS, line: int = 1,
                    ) -> tuple[list[ChainProblem], list[dict[str, Any]]]:
        """Every broken line and the entries that parsed, checking each hash and link.

        ``offset``, ``prev`` and ``line`` start the replay after a part already checked (the byte
        length of that part, the hash of its last entry and the number of the next line), as an
        incremental ``qms verify`` does from its checkpoint.
        """
        problems: list[ChainProblem] = []
        entries: list[dict[str, Any]] = []
        if not self.path.exists():
            return problems, entries
        with self.path.open("rb") as f:
            f.seek(offset)
            for number, raw in enumerate(f, start=line):
                if not raw.endswith(b"\n"):
                    problems.append(ChainProblem(number, "incomplete last line (a write was interrupted)"))
                    break
                try:
                    entry = json.loads(raw)
                except json.JSONDecodeError:
                    problems.append(ChainProblem(number, "not valid JSON (the log was edited)"))
                    prev = ""
                    continue
                if entry.get("hash") != entry_hash(entry):
                    problems.append(
                        ChainProblem(number, f"entry for {entry.get('collection')}/{entry.get('key')} was edited "
                                     f"(its hash does not match its content)")
                    )
                elif entry.get("prev") != prev and prev != "":
                    problems.append(ChainProblem(number, "chain broken (an entry before it was removed or reordered)"))
                prev = entry.get("hash", "")
                entries.append(entry)
        return problems, entries
