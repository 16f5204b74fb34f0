"""The checkpoint of ``qms verify``: how far the audit log was verified, and every file as it was verified.

``records/cache/verify.json`` is written after a verification that found nothing wrong. It holds
the audit log's seq, hash, byte length and the sha256 of those bytes; the state the log expects
of every object (grouped by bucket file), attachment and registered file; per bucket file, blob
and registered file its stat signature (inode, size, mtime_ns, ctime_ns) and the sha256 of its bytes
as verified; the key registrations and signature findings; and where the time check stood.

It is derived data, like the rest of ``records/cache/``: missing, unreadable, of another version
or not matching the log, it is ignored and the next verification is a full one. A stat
signature is kept only for a file whose mtime and ctime were already ``RACY_NS`` old when it was
verified: a change within the same timestamp tick would otherwise leave the signature as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from qms.store import atomic_write

VERSION = "verify:1"
#: How old (ns) a file's last change must be before its stat signature is trusted next time. File
#: timestamps come from a coarse clock (a tick of a few ms; 1–2 s on some file systems), so a file
#: changed in the same tick as the verification could change again without its signature moving.
RACY_NS = 2_000_000_000
NAME = "verify.json"


def checkpoint_path(store_root: Path) -> Path:
    """Where the checkpoint of the store at ``store_root`` (a workspace's ``records/``) lives."""
    return store_root / "cache" / NAME


def stat_of(path: Path) -> list[int] | None:
    """inode, size, mtime_ns and ctime_ns of ``path`` (None when it does not exist).

    The ctime is there because ``os.utime`` can put back a file's mtime after an edit but not its
    ctime: only the kernel sets that, to the time of the change.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def settled(stat: list[int] | None, started_ns: int) -> list[int] | None:
    """``stat`` when the file last changed ``RACY_NS`` before ``started_ns``, else None (re-read next time)."""
    if stat is None or max(stat[2], stat[3]) >= started_ns - RACY_NS:
        return None
    return stat


@dataclass
class FileMark:
    """One file as verified: its stat signature (None: re-read next time) and the sha256 of its bytes."""

    stat: list[int] | None
    sha256: str


@dataclass
class Checkpoint:
    """What a verification that found nothing wrong saw (see the module docstring)."""

    seq: int
    hash: str
    offset: int
    entries: int
    log_sha256: str
    at: str
    fixed_clock_allowed: bool
    #: The time check's high-water mark: the latest ``at`` (ISO) and its seq.
    high_water: tuple[str | None, int]
    #: Per bucket file (relative to ``records/``): its collection and the state the log expects of each key.
    objects: dict[str, tuple[str, dict[str, str | None]]]
    blobs: dict[str, str | None]
    files: dict[str, str | None]
    #: Per bucket file, blob (``blob:<sha>``) and registered file (``file:<path>``).
    marks: dict[str, FileMark]
    registrations: list[dict[str, Any]] = field(default_factory=list)
    #: Signature findings (``signature_report.Finding`` as dicts) per bucket file.
    findings: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def as_json(self) -> bytes:
        # By hand, not dataclasses.asdict: that deep-copies every one of the 100k logged states first.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["marks"] = {k: {"stat": m.stat, "sha256": m.sha256} for k, m in self.marks.items()}
        data["version"] = VERSION
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def load(store_root: Path) -> Checkpoint | None:
    """The checkpoint, or None when it is missing or damaged in any way (then verify in full)."""
    try:
        data = json.loads(checkpoint_path(store_root).read_bytes())
        if not isinstance(data, dict) or data.pop("version", None) != VERSION:
            return None
        data["high_water"] = (data["high_water"][0], int(data["high_water"][1]))
        data["objects"] = {str(rel): (str(c), dict(keys)) for rel, (c, keys) in data["objects"].items()}
        data["marks"] = {str(k): FileMark(list(m["stat"]) if m["stat"] is not None else None, str(m["sha256"]))
                         for k, m in data["marks"].items()}
        cp = Checkpoint(**data)
        if not (isinstance(cp.seq, int) and isinstance(cp.offset, int) and isinstance(cp.entries, int)
                and isinstance(cp.hash, str) and isinstance(cp.log_sha256, str)
                and isinstance(cp.blobs, dict) and isinstance(cp.files, dict)
                and isinstance(cp.registrations, list) and isinstance(cp.findings, dict)):
            return None
        return cp
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


def save(store_root: Path, checkpoint: Checkpoint) -> None:
    """Write the checkpoint atomically; a workspace that cannot be written just keeps none."""
    try:
        atomic_write(checkpoint_path(store_root), checkpoint.as_json())
    except OSError:
        pass


def discard(store_root: Path) -> None:
    """Remove the checkpoint (a verification found problems: the next one starts from scratch)."""
    try:
        checkpoint_path(store_root).unlink(missing_ok=True)
    except OSError:
        pass


def log_digests(path: Path, offset: int) -> tuple[str | None, str, int]:
    """sha256 of the log's first ``offset`` bytes (None when it is shorter), of all of it, and its length.

    One pass over the file: hashing bytes is cheap (about 1 GB/s), unlike re-hashing every entry.
    """
    whole = hashlib.sha256()
    prefix: str | None = None
    size = 0
    try:
        with path.open("rb") as f:
            while True:
                want = offset - size if size < offset else 1 << 20
                chunk = f.read(min(want, 1 << 20))
                if not chunk:
                    break
                whole.update(chunk)
                size += len(chunk)
                if size == offset:
                    prefix = whole.hexdigest()
    except FileNotFoundError:
        pass
    if offset == 0:
        prefix = hashlib.sha256(b"").hexdigest()
    return prefix, whole.hexdigest(), size
