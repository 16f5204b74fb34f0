"""``qms verify``: replay the audit log and name every object whose bytes no longer match it.

The log says, for every document revision, record, user, attachment and registered file, the
sha256 of its last state. A full verification (``qms verify --full``) recomputes the whole chain,
then re-reads and re-hashes every stored object and file and compares. A hand edit anywhere shows
up as a named problem; a write interrupted by a crash does not, because it is recovered (rolled
back or forward, and logged) before the check.

An incremental verification (plain ``qms verify``) starts from the checkpoint the last clean
verification left (``qms.verify_checkpoint``). What it re-reads:

- the whole audit log's bytes, hashed in one pass (cheap), so that the part verified before must
  be byte for byte what it was; only the entries after it are parsed and their chain replayed;
- every bucket file, blob and registered file whose stat signature (inode, size, mtime_ns, ctime_ns)
  differs from the checkpoint's, that is new or gone, or that was changed within ``RACY_NS`` of the
  last verification; and the bucket of every object a new log entry names. Those are hashed, parsed
  and checked like in a full run, signatures included.

What it does not re-read: the other files' bytes. Every one of them is still listed and stat-ed,
so a file added, removed, resized, rewritten (new inode) or edited in place is caught, the last
even when its size and mtime are put back with ``os.utime``, because the edit moves its ctime and
only the kernel sets that. An edit made with the system clock turned back, by writing to the disk
device, or together with a forged checkpoint goes unseen until a full run: run ``qms verify --full``
on a schedule (and ``--since`` against a chain head kept outside the folder).

The other checks: signatures in the files re-read are checked against the key registrations the
checkpoint keeps, the others keep their verdicts, and a new key registration since the checkpoint
makes the run a full one (a replaced key can change the verdict on signatures not re-read). The time
check carries on from the checkpoint's high-water mark over the new entries only; a changed
``fixed_clock`` setting makes the run a full one. An unfinished write (``records/.intent``) is
recovered first and, where it cannot be, makes the run a full one. ``--since`` (``qms.anchors``)
always reads the whole log, as it must compare it with a head kept outside. A damaged checkpoint
makes the run a full one.
When the log no longer begins with the bytes verified before, the run is a full one and also names
``audit.log``: it was truncated or rewritten before the checkpoint.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from qms import admin_actions, clock
from qms import verify_checkpoint as cp
from qms.audit import GENESIS, digest
from qms.chronology import HighWater, backward_steps
from qms.errors import QMSError, StoreError
from qms.signature_report import Finding, SignatureReport, check_signatures, is_registration
from qms.signature_report import registrations as known_keys
from qms.store import Store, bucket_of, sha256_file
from qms.verify_checkpoint import Checkpoint, FileMark
from qms.workspace import CONFIG_NAME, parse_config

FULL = "full"
INCREMENTAL = "incremental"


@dataclass(frozen=True)
class Problem:
    """One object that does not match the audit log, or one broken line of the log."""

    object: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Plain data for ``--json``."""
        return asdict(self)


@dataclass
class Report:
    """The outcome of a verification run."""

    problems: list[Problem]
    entries: int
    objects: int
    head: str
    signatures: dict[str, Any] = field(default_factory=dict)
    #: ``full`` or ``incremental`` (from the checkpoint of the last clean verification).
    mode: str = FULL
    #: Files whose bytes were read and hashed (every one in a full run; the changed ones otherwise).
    reread: int = 0
    #: Audit entries whose chain was replayed (all in a full run; those after the checkpoint otherwise).
    replayed: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and the auditor site."""
        return {"ok": self.ok, "entries": self.entries, "objects": self.objects, "head": self.head,
                "problems": [p.as_dict() for p in self.problems], "signatures": self.signatures,
                "mode": self.mode, "reread": self.reread, "replayed": self.replayed}


def verify_store(store: Store, workspace_root: Path, *, full: bool = True) -> Report:
    """Check the chain, then every stored object, blob and registered file against it.

    With ``full`` False it checks incrementally from the checkpoint of the last clean verification
    (see the module docstring), and in full when there is no usable one. A clean run of either
    kind leaves a new checkpoint; a run that found problems leaves the old one, so the next run
    finds them again.

    It runs under the write lock, after recovering a write a crash left unfinished (``qms.intent``):
    an interrupted write is not tampering, and a writer half-way through is not judged.
    """
    # The run makes millions of short-lived objects (parsed entries and records) and frees them by
    # reference counting; the cyclic collector would only walk them again and again (~10% of a full run).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _verify_settled(store, workspace_root, full)
    finally:
        if collecting:
            gc.enable()


def _verify_settled(store: Store, workspace_root: Path, full: bool) -> Report:
    if store.kind == "postgresql":
        return _rows(store, workspace_root, _fixed_clock_allowed(workspace_root))
    with store.settled():
        started = now_ns()
        allowed = _fixed_clock_allowed(workspace_root)
        # An unfinished write a read-only copy could not recover: judge the files as they are, in full.
        pending = store.pending_intent()
        prior = None if full or pending else cp.load(store.root)
        if prior is not None and prior.fixed_clock_allowed != allowed:
            prior = None  # the time check of the entries verified before would now differ
        found: tuple[Report, Checkpoint] | None = None
        rewritten: Problem | None = None
        if prior is not None:
            prefix, whole, size = cp.log_digests(store.audit.path, prior.offset)
            if prefix != prior.log_sha256:
                rewritten = Problem("audit.log", (
                    f"no longer begins with the {prior.entries} entries verified on {prior.at} (up to #{prior.seq} "
                    f"{prior.hash[:16]}…): it was truncated or rewritten before them; check it against a chain head "
                    "kept outside the folder with `qms verify --since` (after restoring the folder from a backup, "
                    f"remove {cp.checkpoint_path(store.root).relative_to(workspace_root).as_posix()} instead)"))
            else:
                found = _incremental(store, workspace_root, prior, allowed, started, (whole, size))
        report, mark = found if found is not None else _full(store, workspace_root, allowed, started)
        if rewritten is not None:
            report.problems.insert(0, rewritten)
        if pending:
            report.problems.insert(0, Problem(
                "records/.intent", "a write was interrupted and could not be recovered here "
                "(the workspace is read-only); run `qms doctor` where it can be written"))
        elif report.ok:
            cp.save(store.root, mark)
        return report


def now_ns() -> int:
    """The wall clock that file ages are judged by (``verify_checkpoint.RACY_NS``); tests move it on."""
    return time.time_ns()


def _fixed_clock_allowed(workspace_root: Path) -> bool:
    try:
        return parse_config(workspace_root / CONFIG_NAME).fixed_clock_allowed
    except (OSError, QMSError):
        return False  # no readable qms.toml: nothing vouches for a fixed clock


class _Buckets:
    """Where each logged object's bucket file is, relative to ``records/`` (the checkpoint's grouping)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._folders: dict[str, str] = {}

    def of(self, collection: str, key: str) -> str:
        folder = self._folders.get(collection)
        if folder is None:
            folder = self._folders[collection] = self.rel(self.store.bucket_path(collection, "x").parent) + "/"
        return f"{folder}{bucket_of(key)}.json"

    def rel(self, path: Path) -> str:
        return path.relative_to(self.store.root).as_posix()


def _read_bucket(store: Store, path: Path, workspace_root: Path,
                 problems: list[Problem]) -> tuple[bytes, dict[str, dict[str, Any]]] | None:
    """One bucket file's bytes and objects; None when it is gone or unreadable, the latter added to
    ``problems`` by its path and what is wrong, so that one damaged file does not stop the check of the rest."""
    try:
        return store.read_bucket(path)
    except StoreError as exc:
        cause = exc.__cause__
        if isinstance(cause, UnicodeDecodeError):
            what = f"is not valid UTF-8 (byte {cause.object[cause.start:cause.start + 1]!r} at offset {cause.start})"
        elif isinstance(cause, json.JSONDecodeError):
            what = f"is not valid JSON ({cause.msg} at line {cause.lineno} column {cause.colno})"
        else:
            what = f"cannot be read ({exc})"
    except (AttributeError, KeyError, TypeError) as exc:
        what = f"is not a store file (expected TinyDB's layout {{\"objects\": {{id: {{\"_key\", \"obj\"}}}}}}; {exc!r})"
    try:
        name = path.relative_to(workspace_root).as_posix()
    except ValueError:
        name = path.as_posix()
    problems.append(Problem(name, f"{what}: changed outside qms; its objects could not be checked"))
    return None


def _stored_problems(collection: str, objs: dict[str, dict[str, Any]],
                     expected: dict[str, str | None]) -> list[Problem]:
    """The objects of one bucket file that the log does not account for (``expected``: the states it logged)."""
    problems = []
    for key, obj in objs.items():
        state = expected.get(key)
        if key not in expected:
            problems.append(Problem(f"{collection}/{key}", "stored but never logged (added by hand or by an interrupted write)"))
        elif state is None:
            problems.append(Problem(f"{collection}/{key}", "present although the audit log says it was removed"))
        elif digest(obj) != state:
            problems.append(Problem(f"{collection}/{key}", "content differs from its last logged state (changed outside qms)"))
    return problems


class _Read:
    """What a full run read, one unit at a time (a bucket file, or a collection's rows), against the log."""

    def __init__(self, expected: dict[tuple[str, str], str | None]) -> None:
        self.expected = expected
        self.seen: set[tuple[str, str]] = set()
        self.to_sign: list[tuple[str, dict[str, Any]]] = []
        self.where_rel: dict[str, str] = {}
        self.checked = 0

    def unit(self, collection: str, objs: dict[str, dict[str, Any]], rel: str) -> list[Problem]:
        """The objects of one unit that the log does not account for; each is kept for the signature check."""
        self.checked += len(objs)
        self.seen.update((collection, key) for key in objs)
        for key, obj in objs.items():
            self.to_sign.append((f"{collection}/{key}", obj))
            self.where_rel[f"{collection}/{key}"] = rel
        logged = {key: self.expected[(collection, key)] for key in objs if (collection, key) in self.expected}
        return _stored_problems(collection, objs, logged)

    def missing(self, named: Callable[[str, str], bool]) -> list[Problem]:
        """Objects the log has that no unit held (unless ``named`` already), counting blobs and files checked."""
        problems = []
        for (collection, key), state in sorted(self.expected.items()):
            if collection in ("blob", "file"):
                self.checked += 1
            elif collection != "event" and state is not None and (collection, key) not in self.seen \
                    and not named(collection, key):
                problems.append(Problem(f"{collection}/{key}", "missing from the store although the audit log has it"))
        return problems


def _check_file(path: Path, mark_key: str, want: str, known: dict[str, FileMark], marks: dict[str, FileMark],
                started: int) -> tuple[str | None, int]:
    """Whether the file at ``path`` holds bytes with sha256 ``want``: "missing", "differs" or None,
    and how many files were read (0 when its stat signature is the one verified before)."""
    stat = cp.stat_of(path)
    if stat is None:
        return "missing", 0
    mark = known.get(mark_key)
    if mark is not None and mark.stat is not None and mark.stat == stat and mark.sha256 == want:
        marks[mark_key] = mark
        return None, 0
    sha = sha256_file(path)
    marks[mark_key] = FileMark(cp.settled(stat, started), sha)
    return (None if sha == want else "differs"), 1


def _file_problems(store: Store, workspace_root: Path, blobs: dict[str, str | None], files: dict[str, str | None],
                   known: dict[str, FileMark], marks: dict[str, FileMark], started: int) -> tuple[list[Problem], int]:
    """Every attachment and registered file that is missing or whose bytes differ; the files read."""
    problems: list[Problem] = []
    reread = 0
    for sha, state in sorted(blobs.items()):
        if state is None:
            continue  # disposed under retention: the log keeps the fact; the bytes may be gone
        found, n = _check_file(store.blob_path(sha), f"blob:{sha}", sha, known, marks, started)
        reread += n
        if found == "missing":
            problems.append(Problem(f"attachment {sha[:12]}", "file is missing"))
        elif found:
            problems.append(Problem(f"attachment {sha[:12]}", "bytes differ from their recorded sha256"))
    for rel, state in sorted(files.items()):
        if state is None:
            continue
        found, n = _check_file(workspace_root / rel, f"file:{rel}", state, known, marks, started)
        reread += n
        if found == "missing":
            problems.append(Problem(rel, "file is missing"))
        elif found:
            problems.append(Problem(rel, "bytes differ from the sha256 logged when it was made"))
    return problems, reread


def _signature_summary(signed: SignatureReport, where_rel: dict[str, str], order: list[str],
                       kept: dict[str, list[dict[str, str]]]) -> tuple[SignatureReport, dict[str, list[dict[str, str]]]]:
    """Findings of the objects checked now (``signed``) with those ``kept`` for the other bucket files,
    in bucket order; and the findings per bucket file for the checkpoint."""
    by_rel: dict[str, list[dict[str, str]]] = dict(kept)
    for rel in {where_rel[f.object] for f in signed.findings}:
        by_rel[rel] = []
    for f in signed.findings:
        by_rel[where_rel[f.object]].append(f.as_dict())
    ordered = {rel: by_rel[rel] for rel in order if by_rel.get(rel)}
    findings = [Finding(**d) for items in ordered.values() for d in items]
    return SignatureReport(findings=findings, problems=signed.problems), ordered


def _full(store: Store, workspace_root: Path, allowed: bool, started: int) -> tuple[Report, Checkpoint]:
    """Replay the whole chain and read every file: the verification as it always was, plus a checkpoint."""
    chain_problems, entries = store.audit.check_chain()
    problems = [Problem(f"audit.log line {p.line}", p.message) for p in chain_problems]
    expected: dict[tuple[str, str], str | None] = {}
    for entry in entries:
        expected[(entry.get("collection", ""), entry.get("key", ""))] = entry.get("state")
    where = _Buckets(store)
    objects: dict[str, tuple[str, dict[str, str | None]]] = {}
    blobs: dict[str, str | None] = {}
    files: dict[str, str | None] = {}
    for (collection, key), state in expected.items():
        if collection == "blob":
            blobs[key] = state
        elif collection == "file":
            files[key] = state
        elif collection != "event":
            rel = where.of(collection, key)
            objects.setdefault(rel, (collection, {}))[1][key] = state
    marks: dict[str, FileMark] = {}
    reread = 0
    read = _Read(expected)
    unreadable: set[str] = set()
    for collection in store.collections():
        for path in store.buckets(collection):
            stat = cp.stat_of(path)
            bucket = _read_bucket(store, path, workspace_root, problems)
            if bucket is None:
                unreadable.add(where.rel(path))
                continue
            data, objs = bucket
            rel = where.rel(path)
            reread += 1
            marks[rel] = FileMark(cp.settled(stat, started), hashlib.sha256(data).hexdigest())
            problems.extend(read.unit(collection, objs, rel))
    # An object in an unreadable file is named by its file already.
    problems.extend(read.missing(lambda collection, key: where.of(collection, key) in unreadable))
    checked, to_sign, where_rel = read.checked, read.to_sign, read.where_rel
    found, n = _file_problems(store, workspace_root, blobs, files, {}, marks, started)
    problems.extend(found)
    reread += n
    mark = HighWater()
    problems.extend(_time_problems(entries, allowed, mark))
    # Each signature against the key the log registered for its signer (qms.signature_report).
    registrations = [e for e in entries if is_registration(e)]
    signed, findings = _signature_summary(check_signatures(store, registrations, to_sign), where_rel, list(marks), {})
    problems.extend(Problem(obj, message) for obj, message in signed.problems)
    admin = admin_actions.check(entries, known_keys(registrations))  # each admin action signed by its admin
    problems.extend(Problem(obj, message) for obj, message in admin.problems)
    _, whole, size = cp.log_digests(store.audit.path, 0)
    last = entries[-1] if entries else {}
    report = Report(problems=problems, entries=len(entries), objects=checked, head=last.get("hash", ""),
                    signatures=signed.summary() | {"admin_actions": admin.summary()}, mode=FULL, reread=reread,
                    replayed=len(entries))
    return report, Checkpoint(
        seq=int(last.get("seq", 0)), hash=last.get("hash", GENESIS), offset=size, entries=len(entries),
        log_sha256=whole, at=clock.stamp(), fixed_clock_allowed=allowed,
        high_water=(mark.latest.isoformat() if mark.latest else None, mark.seq), objects=objects, blobs=blobs,
        files=files, marks=marks, registrations=registrations, findings=findings)


def _rows(store: Store, workspace_root: Path, allowed: bool) -> Report:
    """Verify a store on PostgreSQL: the chain from its first entry, every object row and every file.

    The same checks as a full run over bucket files, with each row in place of a file: an object
    whose body differs from its last logged state, one never logged, one the log has but the table
    lacks, and every attachment and registered file by its sha256. There is no checkpoint: the server
    keeps no file signatures to judge what changed by, so every run is a full one.
    """
    started = now_ns()
    chain_problems, entries = store.audit.check_chain()
    problems = [Problem(f"audit entry {p.line}", p.message) for p in chain_problems]
    expected: dict[tuple[str, str], str | None] = {}
    for entry in entries:
        expected[(entry.get("collection", ""), entry.get("key", ""))] = entry.get("state")
    blobs = {k: v for (c, k), v in expected.items() if c == "blob"}
    files = {k: v for (c, k), v in expected.items() if c == "file"}
    read = _Read(expected)
    for collection in store.collections():
        problems.extend(read.unit(collection, dict(store.iter(collection)), collection))
    problems.extend(read.missing(lambda collection, key: False))
    checked, to_sign, where_rel = read.checked, read.to_sign, read.where_rel
    found, reread = _file_problems(store, workspace_root, blobs, files, {}, {}, started)
    problems.extend(found)
    problems.extend(_time_problems(entries, allowed, HighWater()))
    registrations = [e for e in entries if is_registration(e)]
    signed, _ = _signature_summary(check_signatures(store, registrations, to_sign), where_rel,
                                   sorted(set(where_rel.values())), {})
    problems.extend(Problem(obj, message) for obj, message in signed.problems)
    admin = admin_actions.check(entries, known_keys(registrations))
    problems.extend(Problem(obj, message) for obj, message in admin.problems)
    last = entries[-1] if entries else {}
    return Report(problems=problems, entries=len(entries), objects=checked, head=last.get("hash", ""),
                  signatures=signed.summary() | {"admin_actions": admin.summary()}, mode=FULL, reread=reread,
                  replayed=len(entries))


def _incremental(store: Store, workspace_root: Path, prior: Checkpoint, allowed: bool, started: int,
                 log: tuple[str, int]) -> tuple[Report, Checkpoint] | None:
    """Replay the chain from ``prior`` and re-read the files changed since; None when it takes a full run.

    ``prior``'s log part was found unchanged (``log``: the sha256 and length of the whole log now).
    """
    chain_problems, new = store.audit.check_chain(offset=prior.offset, prev=prior.hash, line=prior.entries + 1)
    if any(is_registration(e) for e in new):
        return None  # a new or replaced key can change the verdict on signatures in files not re-read
    problems = [Problem(f"audit.log line {p.line}", p.message) for p in chain_problems]
    where = _Buckets(store)
    objects = prior.objects
    touched: set[str] = set()
    for entry in new:
        collection, key, state = entry.get("collection", ""), entry.get("key", ""), entry.get("state")
        if collection == "blob":
            prior.blobs[key] = state
        elif collection == "file":
            prior.files[key] = state
        elif collection != "event":
            rel = where.of(collection, key)
            objects.setdefault(rel, (collection, {}))[1][key] = state
            touched.add(rel)  # re-read even if its file looks unchanged: the log now expects something else
    marks: dict[str, FileMark] = {}
    kept: dict[str, list[dict[str, str]]] = {}
    on_disk: set[str] = set()
    to_sign: list[tuple[str, dict[str, Any]]] = []
    where_rel: dict[str, str] = {}
    checked = reread = 0
    for collection in store.collections():
        for path in store.buckets(collection):
            rel = where.rel(path)
            on_disk.add(rel)
            expect = objects.get(rel, (collection, {}))[1]
            stat = cp.stat_of(path)
            known = prior.marks.get(rel)
            if known is not None and known.stat is not None and known.stat == stat and rel not in touched:
                # As verified: the same keys, each in the state the log expects (nothing new names them).
                marks[rel] = known
                checked += sum(1 for state in expect.values() if state is not None)
                kept[rel] = prior.findings.get(rel, [])
                continue
            read = _read_bucket(store, path, workspace_root, problems)
            if read is None:
                continue
            data, objs = read
            reread += 1
            sha = hashlib.sha256(data).hexdigest()
            marks[rel] = FileMark(cp.settled(stat, started), sha)
            checked += len(objs)
            if known is not None and known.sha256 == sha and rel not in touched:
                kept[rel] = prior.findings.get(rel, [])  # the very bytes verified before (touched or copied back)
                continue
            problems.extend(_stored_problems(collection, objs, expect))
            problems.extend(Problem(f"{collection}/{key}", "missing from the store although the audit log has it")
                            for key, state in sorted(expect.items()) if state is not None and key not in objs)
            for key, obj in objs.items():
                to_sign.append((f"{collection}/{key}", obj))
                where_rel[f"{collection}/{key}"] = rel
    for rel, (collection, expect) in sorted(objects.items()):
        if rel not in on_disk:  # a whole bucket file gone
            problems.extend(Problem(f"{collection}/{key}", "missing from the store although the audit log has it")
                            for key, state in sorted(expect.items()) if state is not None)
    checked += len(prior.blobs) + len(prior.files)
    found, n = _file_problems(store, workspace_root, prior.blobs, prior.files, prior.marks, marks, started)
    problems.extend(found)
    reread += n
    latest, seq = prior.high_water
    mark = HighWater(datetime.fromisoformat(latest) if latest else None, seq)
    problems.extend(_time_problems(new, allowed, mark))
    signed, findings = _signature_summary(check_signatures(store, prior.registrations, to_sign), where_rel,
                                          list(marks), kept)
    problems.extend(Problem(obj, message) for obj, message in signed.problems)
    admin = admin_actions.check(new, known_keys(prior.registrations),
                                signed_before=admin_actions.signed_in(store.audit.path, prior.offset))
    problems.extend(Problem(obj, message) for obj, message in admin.problems)
    entries = prior.entries + len(new)
    head = new[-1]["hash"] if new else (prior.hash if prior.entries else "")
    report = Report(problems=problems, entries=entries, objects=checked, head=head,
                    signatures=signed.summary() | {"admin_actions": admin.summary()},
                    mode=INCREMENTAL, reread=reread, replayed=len(new))
    whole, size = log
    return report, Checkpoint(
        seq=int(new[-1].get("seq", 0)) if new else prior.seq, hash=new[-1].get("hash", "") if new else prior.hash,
        offset=size, entries=entries, log_sha256=whole, at=clock.stamp(), fixed_clock_allowed=allowed,
        high_water=(mark.latest.isoformat() if mark.latest else None, mark.seq), objects=objects,
        blobs=prior.blobs, files=prior.files, marks=marks, registrations=prior.registrations, findings=findings)


def _time_problems(entries: list[dict[str, Any]], allowed: bool, mark: HighWater) -> list[Problem]:
    """Audit entries whose times go backwards (fixed-clock entries pass in a demo or test workspace)."""
    return [Problem(f"audit.log entry {s.seq}", s.message)
            for s in backward_steps(entries, fixed_clock_allowed=allowed, mark=mark)]
