"""The record store: TinyDB files in bounded buckets, an inter-process lock, atomic writes, the audit log.

Layout under a workspace's ``records/``::

    db/<collection>/<bucket>.json   TinyDB files, each holding a bounded number of objects
    db/_sequences.json              next numbers of the numbering sequences
    blobs/<ab>/<sha256>             attachments and other bytes, stored by their hash
    audit.log                       the hash-chained audit log (``qms.audit``)
    .intent                         the write-ahead intent of the unit of work under way (``qms.intent``)
    staging/import-<pid>-<id>/      bucket files a bulk import built without the lock (``stage``),
                                    renamed into db/ by its commit (``commit_staged``)
    .qms.lock                       the write lock

Plain TinyDB rewrites a whole file on every write; putting at most ``BUCKET_SIZE`` objects in a
file keeps the cost of a write flat however many objects the store holds. Every write happens
under one exclusive file lock with a fresh read of the bucket inside it, is written to a temporary
file and renamed over the old one, and is followed by its audit entry. Readers take no
lock (a rename is atomic) and cache parsed buckets until their inode, size or mtime changes.

A transaction is a unit of work: the outermost ``transaction()`` remembers the bytes of every file
it is about to change and the length of the audit log, and puts them back when the work inside it
raises, so a refused command leaves no stray object, no used-up number and no audit entry. The
same bytes go to ``.intent`` (fsynced before each file changes, with a commit mark after the audit
entries), so a crash is undone, or completed, by whoever next opens the workspace, and logged. The new
bytes of every file the unit wrote, their folders and its audit entries are fsynced together just
before the commit mark (``Store._sync_unit``): one wait instead of one per file.

This is the only module that imports TinyDB. Its public surface is deliberately narrow (put, get,
query by fields, next number, blobs) so the same interface can later run on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from qms import clock, faults
from qms.audit import AuditLog, canonical, digest
from qms.errors import NotFound, StoreError
from qms.intent import Intent, Recovery

BUCKET_SIZE = 256
LOCK_TIMEOUT = 60.0
#: How often (seconds) a reader looks again for a dead writer's unfinished write (``Store._check``).
RECHECK_SECONDS = 1.0
#: Top-level fields whose values each bucket's entry in the bucket index lists, so that a query on
#: one of them opens only the buckets holding the value (a plugin's query by form reads only the
#: buckets of its own forms).
INDEXED = ("form",)
Signature = tuple[int, int, int]
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
_HASHED = re.compile(r"h[0-9a-f]{2}")
_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


_POOL: tuple[int, ThreadPoolExecutor] | None = None


def _fsync_path(path: Path) -> None:
    # fsync acts on the inode, so a fresh descriptor flushes what an earlier, closed one wrote.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_all(paths: list[Path]) -> None:
    """fsync every path (file or folder) concurrently; returns when all are durable, raises the first error."""
    global _POOL
    if len(paths) == 1:
        _fsync_path(paths[0])
        return
    if _POOL is None or _POOL[0] != os.getpid():  # a forked child gets a pool of its own
        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=8, thread_name_prefix="qms-fsync"))
    for _ in _POOL[1].map(_fsync_path, paths):
        pass


def atomic_write(path: Path, data: bytes, *, steps: bool = False, unsynced: set[Path] | None = None) -> None:
    """Write ``data`` to ``path`` so a reader or a crash sees either the old or the new bytes.

    ``steps`` marks the crash-test steps ``temp`` and ``replaced`` (``qms.faults``) for store writes.
    ``unsynced`` (a unit of work's, see ``Store._sync_unit``) defers the fsync of the new bytes and of
    the folder: both are added to it and made durable together before the unit's commit mark. That is
    safe because the intent already holds the file's old bytes durably, so until the mark is durable
    a crash rolls the file back whatever state the rename or the new bytes were left in.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if unsynced is None:
                os.fsync(f.fileno())
        if steps:
            faults.reached("temp")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if unsynced is None:
        _fsync_path(path.parent)
    else:
        unsynced.update((path, path.parent))
    if steps:
        faults.reached("replaced")


class AtomicJSONStorage(Storage):
    """A TinyDB storage that reads the whole file and replaces it atomically on write."""

    def __init__(self, path: str, unsynced: set[Path] | None = None) -> None:
        self.path = Path(path)
        self.unsynced = unsynced  # see ``atomic_write``

    def read(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        return data

    def write(self, data: dict[str, Any]) -> None:
        atomic_write(self.path, json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"), steps=True,
                     unsynced=self.unsynced)

    def close(self) -> None:
        pass


def _family(bucket: str) -> str:
    """The family of a bucket file name: the name without its number (``KS-2026-12.json`` → ``KS-2026-``);
    the hashed buckets of unnumbered keys are one family, ``h``."""
    stem = bucket[:-5] if bucket.endswith(".json") else bucket
    family = stem.rstrip("0123456789")
    return "h" if _HASHED.fullmatch(stem) else _SAFE.sub("_", family) or "_"


def bucket_of(key: str) -> str:
    """The bucket file name for ``key``: numbered keys group by number, others by hash."""
    m = _TRAILING_NUMBER.match(key)
    if m and len(m.group(2)) <= 12:
        return _SAFE.sub("_", m.group(1)) + str(int(m.group(2)) // BUCKET_SIZE)
    return "h" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:2]


class Store:
    """Objects by collection and key, with the audit log; one instance per workspace ``records/``."""

    #: Which backend this is: ``"folder"`` (TinyDB files here) or ``"postgresql"`` (``qms.pgstore``).
    kind = "folder"
    #: Whether the workspace honours ``QMS_NOW`` (set by ``App``); None leaves the clock as it is.
    fixed_clock_allowed: bool | None = None
    #: Called with the store after each outermost unit of work commits, once the lock is released
    #: (``App`` keeps a signed chain head there now and then: ``anchors.keep_periodic_anchor``).
    after_commit: Callable[[Store], object] | None = None

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db = root / "db"
        self.blobs = root / "blobs"
        self.audit = AuditLog(root / "audit.log")
        self._lock = FileLock(str(root / ".qms.lock"), timeout=LOCK_TIMEOUT)
        self._cache: dict[Path, tuple[Signature, dict[str, dict[str, Any]]]] = {}
        # The bucket index (values of INDEXED fields per bucket) and projections, as last read or
        # computed by this process, so a long-running server re-reads neither file on every request.
        self._values: dict[Path, tuple[Signature, dict[str, frozenset[str]]]] = {}
        self._values_seen: dict[str, tuple[tuple[int, int, int | None] | None, dict[Path, dict[str, frozenset[str]]]]] = {}
        self._listing: dict[Path, tuple[tuple[int, int, int | None], list[Path]]] = {}
        self._projections: dict[Path, tuple[str, dict[str, Any]]] = {}
        # The journal of the outermost transaction, per thread: the lock is held per thread too.
        self._local = threading.local()
        self._intent = Intent(root)
        #: What this instance found unfinished and recovered (``qms doctor`` reports it).
        self.recovered: list[Recovery] = []
        self._checked_at: float | None = None

    # -- locking ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, keep_on: tuple[type[BaseException], ...] = ()) -> Iterator[Store]:
        """Hold the workspace write lock; nested uses in one process share it.

        The outermost use is one unit of work: if anything inside it raises, every file it wrote
        (objects, sequences, blobs) gets its old bytes back and the audit log its old length.
        ``keep_on`` names exceptions that keep what was written before them (a failed login counts
        the failure, then refuses); it applies to the outermost use only.

        The same holds across a crash: the unit of work writes its intent (``qms.intent``) before
        it changes a file, and the next writer (or a reader, or ``qms verify``) that finds an
        unfinished intent rolls it back or forward before going on, so objects and their audit
        entries are either both there or neither.
        """
        if self.fixed_clock_allowed is not None:
            clock.allow_fixed(self.fixed_clock_allowed)  # the clock follows the workspace being written
        clock.check_writable()  # before anything is written: no change at a pretended time
        self.root.mkdir(parents=True, exist_ok=True)
        committed = False
        try:
            with self._lock:
                if getattr(self._local, "journal", None) is not None:
                    yield self
                    return
                self._recover_locked()
                journal = _Journal(self._audit_size())
                self._local.journal = journal
                try:
                    yield self
                    self._sync_unit(journal)  # inside the try: a failed fsync rolls the unit back
                except keep_on:
                    self._commit(journal)
                    raise
                except BaseException:
                    self._roll_back(journal)
                    raise
                else:
                    self._commit(journal)
                    committed = True
                finally:
                    self._intent.close()
                    self._local.journal = None
        except Timeout as exc:
            raise StoreError(
                f"the workspace is locked by another writer for over {LOCK_TIMEOUT:.0f} s; "
                f"try again, or remove {self._lock.lock_file} if no qms process is running"
            ) from exc
        if committed and self.after_commit is not None:
            self.after_commit(self)

    def _audit_size(self) -> int | None:
        try:
            return self.audit.path.stat().st_size
        except FileNotFoundError:
            return None

    def _remember(self, *paths: Path) -> None:
        """Keep the bytes each of ``paths`` holds before the current transaction first changes it.

        In memory for a refused command, and (except derived cache files) durably in the intent,
        before the file changes, for a crash: several paths with one fsync (a bulk filing).
        """
        journal: _Journal | None = getattr(self._local, "journal", None)
        if journal is None:
            return
        records: list[tuple[str, bytes | None]] = []
        for path in paths:
            if path in journal.files:
                continue
            try:
                old: bytes | None = path.read_bytes()
            except FileNotFoundError:
                old = None
            journal.files[path] = old
            if not path.is_relative_to(self.root / "cache"):
                records.append((path.relative_to(self.root).as_posix(), old))
        if records:
            self._begin(journal)
            self._intent.remember(records)

    def _begin(self, journal: _Journal | None = None, *, durable: bool = False) -> None:
        """Open the intent of the running unit of work before its first change (file or audit entry).

        ``durable`` (before an audit append) fsyncs it now; before a file change the file's own
        record does.
        """
        journal = journal if journal is not None else getattr(self._local, "journal", None)
        if journal is not None and not self._intent.open:
            self._intent.begin(journal.audit_size, clock.stamp())
        if durable:
            self._intent.sync()

    def _commit(self, journal: _Journal) -> None:
        """Make every file and audit entry of the unit of work durable, then mark it done."""
        self._sync_unit(journal)
        self._intent.commit()

    def _unsynced(self) -> set[Path] | None:
        """The running unit of work's files (and folders) whose fsync waits for ``_sync_unit``; None outside one."""
        journal: _Journal | None = getattr(self._local, "journal", None)
        return None if journal is None else journal.unsynced

    def _sync_unit(self, journal: _Journal) -> None:
        """fsync, all at once, what the unit of work wrote with its fsync deferred.

        These are the new bytes of each file it replaced, the folders holding them (a rename is
        durable only once its folder is) and its audit entries. Each must be durable before the
        commit mark is (a mark that survives a power cut is rolled forward, so whatever it covers must
        be on disk), but none must be before another: until the mark, a crash rolls all of them back
        from the intent, whose records were fsynced before each file changed. So they are issued
        together, in threads (``os.fsync`` releases the GIL), and the journal commits of the file
        system that they wait on are shared: one wait instead of one per file.
        """
        paths = sorted(journal.unsynced)
        journal.unsynced.clear()
        if paths:
            _fsync_all(paths)

    def _roll_back(self, journal: _Journal) -> None:
        """Put back what a failed transaction wrote: old file bytes, the audit log's old length."""
        for path, old in journal.files.items():
            self._restore(path, old)
        self._truncate_audit(journal.audit_size)
        # Durably empty: a stale intent read after later writes would undo them.
        self._intent.clear()

    def _restore(self, path: Path, old: bytes | None) -> None:
        self._cache.pop(path, None)
        if old is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write(path, old)

    def _truncate_audit(self, size: int | None) -> int:
        """Cut the audit log back to ``size`` bytes (``None``: it did not exist); the entries cut."""
        current = self._audit_size()
        if current is None or current == (size or 0):
            if size is None and current == 0:
                self.audit.path.unlink(missing_ok=True)
            return 0
        with self.audit.path.open("r+b") as f:
            f.seek(size or 0)
            dropped = f.read().count(b"\n")
            f.truncate(size or 0)
            f.flush()
            os.fsync(f.fileno())
        if size is None:
            self.audit.path.unlink(missing_ok=True)
        return dropped

    # -- recovery after a crash -------------------------------------------------------------

    def _recover_locked(self) -> Recovery | None:
        """Under the write lock: finish an unfinished unit of work a dead writer left, and log it.

        Without a commit mark its files get their old bytes back and the log its old length (rolled
        back); with one, everything was already written (rolled forward). Either way one audit
        entry (``store.recover``, collection ``event``) says what was done, chained on normally. A
        crash during recovery leaves the intent in place, and the next recovery repeats it.
        """
        self._checked_at = time.monotonic()
        if not self._intent.has_pending():
            return None
        pending = self._intent.pending()
        if pending is None or pending.header.get("torn"):
            self._intent.clear()  # the header never became durable: nothing was changed
            return None
        files: list[str] = []
        seen: set[str] = set()
        root = self.root.resolve()
        for rel, old in pending.files:
            if rel in seen:
                continue
            seen.add(rel)
            if not (root / rel).resolve().is_relative_to(root):
                raise StoreError(f"{self._intent.path} names {rel!r}, outside the store; check the workspace "
                                 "with `qms verify`, then empty that file by hand")
            files.append(rel)
            if not pending.committed:
                self._restore(self.root / rel, old)
        dropped = 0 if pending.committed else self._truncate_audit(pending.header.get("audit_size"))
        # A writer killed between writing a temporary file and renaming it leaves it behind. Under
        # the lock no writer has one open in the folders of db/ and blobs/, so those are garbage.
        for folder in {(self.root / rel).parent for rel in files}:
            if folder.is_relative_to(self.db) or folder.is_relative_to(self.blobs):
                for tmp in folder.glob(".tmp-*"):
                    tmp.unlink(missing_ok=True)
        faults.reached("recover-restored")
        recovery = Recovery(outcome="rolled forward" if pending.committed else "rolled back",
                            started=str(pending.header.get("started") or ""), pid=pending.header.get("pid"),
                            files=files, audit_entries_dropped=dropped)
        self.audit.append({
            "at": clock.stamp(), "actor": "qms", "action": "store.recover", "collection": "event",
            "key": "store", "state": None,
            "reason": f"recovered after an interrupted write: {recovery.describe()}",
            "detail": recovery.as_dict(),
        })
        faults.reached("recover-logged")
        self._intent.clear()
        self._listing.clear()
        self._values_seen.clear()
        self.recovered.append(recovery)
        return recovery

    def recover(self, *, wait: bool = True) -> list[Recovery]:
        """Recover an unfinished write if there is one; what was recovered (``qms doctor``).

        With ``wait`` False a writer holding the lock is left alone (its unit of work is not
        unfinished, only under way). A read-only workspace is read as it is.
        """
        self._checked_at = time.monotonic()
        if getattr(self._local, "journal", None) is not None or not self._intent.has_pending():
            return []
        try:
            self._lock.acquire(timeout=LOCK_TIMEOUT if wait else 0)
        except Timeout:
            if wait:
                raise StoreError(f"the workspace is locked by another writer for over {LOCK_TIMEOUT:.0f} s; "
                                 "try again") from None
            return []
        except OSError:
            return []  # the lock file cannot be made: a read-only copy
        try:
            found = self._recover_locked()
        finally:
            self._lock.release()
        return [found] if found else []

    @contextmanager
    def settled(self) -> Iterator[list[Recovery]]:
        """Hold the write lock, with any unfinished write recovered: a view no writer is half-way through.

        Yields what was recovered. A workspace that cannot be locked (a read-only copy) is read as it is.
        """
        if getattr(self._local, "journal", None) is not None:
            yield []  # inside this thread's own unit of work: its view is already consistent
            return
        try:
            self._lock.acquire()
        except Timeout as exc:
            raise StoreError(f"the workspace is locked by another writer for over {LOCK_TIMEOUT:.0f} s; "
                             "try again") from exc
        except OSError:
            yield []
            return
        try:
            found = self._recover_locked()
            yield [found] if found else []
        finally:
            self._lock.release()

    def pending_intent(self) -> bool:
        """True when an unfinished write is waiting to be recovered (or is under way)."""
        return self._intent.has_pending()

    def last_committed(self) -> dict[str, Any] | None:
        """The last audit entry of committed work: the head to hand out (in a PDF, a bundle, ``qms head``).

        Read under the write lock, so it is never an entry of another writer's unit of work under
        way, which a refusal or a crash may still roll back. Inside this thread's own unit of work
        it is that unit's latest entry.
        """
        with self.settled():
            return self.audit.last()

    def _check(self) -> None:
        """Before reading: recover a dead writer's unfinished work if the lock is free.

        On the first read of this instance, then at most once a second, so a long-running server
        does not show a dead writer's half-done work until the next write comes along.
        """
        if self._checked_at is None or time.monotonic() - self._checked_at > RECHECK_SECONDS:
            self.recover(wait=False)

    # -- reading ---------------------------------------------------------------------------

    def _path(self, collection: str, key: str) -> Path:
        return self.db / _SAFE.sub("_", collection) / f"{bucket_of(key)}.json"

    def _load(self, path: Path) -> dict[str, dict[str, Any]]:
        """The objects in one bucket by key, from cache while the file is unchanged."""
        self._check()
        try:
            st = path.stat()
        except FileNotFoundError:
            self._cache.pop(path, None)
            return {}
        sig = (st.st_ino, st.st_size, st.st_mtime_ns)
        cached = self._cache.get(path)
        if cached and cached[0] == sig:
            return cached[1]
        objects = self._parse(path)
        self._cache[path] = (sig, objects)
        return objects

    @staticmethod
    def _parse(path: Path) -> dict[str, dict[str, Any]]:
        """The objects of one bucket file by key, parsed now (a missing file holds none)."""
        try:
            raw = AtomicJSONStorage(str(path)).read() or {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StoreError(f"store file {path} is not valid JSON ({exc}); run `qms verify` to see what changed") from exc
        return {doc["_key"]: doc["obj"] for doc in raw.get("objects", {}).values()}

    def _owned(self, path: Path) -> Iterator[dict[str, Any]]:
        """The objects of one bucket as the caller's own copies.

        A bucket this process already holds unchanged is copied from memory; any other is parsed
        from its file and handed over as it is, not cached: parsing once is half the cost of
        parsing and then copying, which is what a new process's query over a form pays.
        """
        self._check()
        try:
            st = path.stat()
        except FileNotFoundError:
            return
        cached = self._cache.get(path)
        if cached and cached[0] == (st.st_ino, st.st_size, st.st_mtime_ns):
            for obj in cached[1].values():
                yield json.loads(json.dumps(obj))
            return
        yield from self._parse(path).values()

    def get(self, collection: str, key: str) -> dict[str, Any] | None:
        """The object stored under ``key``, or ``None``."""
        obj = self._load(self._path(collection, key)).get(key)
        return json.loads(json.dumps(obj)) if obj is not None else None

    def require(self, collection: str, key: str, what: str = "object") -> dict[str, Any]:
        """The object under ``key``; a ``NotFound`` error naming it otherwise."""
        obj = self.get(collection, key)
        if obj is None:
            raise NotFound(f"no {what} {key!r}; list them with `qms {collection.rstrip('s')} list`")
        return obj

    def keys(self, collection: str) -> list[str]:
        """Every key in ``collection``."""
        return [k for path in self._buckets(collection) for k in self._load(path)]

    def _buckets(self, collection: str) -> list[Path]:
        self._check()
        folder = self.db / _SAFE.sub("_", collection)
        key = self._folder_key(folder)
        if key is None:
            return []
        known = self._listing.get(folder)
        if known is not None and known[0] == key:
            return known[1]
        # A writer killed between creating its temporary file and renaming it leaves a ``.tmp-*``
        # file behind; it was never a bucket, so readers must not take it for one.
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".json") and not e.name.startswith("."))
        paths = [folder / n for n in names]
        self._listing[folder] = (key, paths)
        return paths

    def _folder_key(self, folder: Path) -> tuple[int, int, int | None] | None:
        """What changes whenever a bucket of ``folder`` is written: the folder's inode and mtime, and
        the audit log's length (every write through the store is logged, and a timestamp alone may
        not move between two renames in the same clock tick). None when the folder does not exist."""
        try:
            st = folder.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, self._audit_size())

    def bucket_path(self, collection: str, key: str) -> Path:
        """The bucket file that holds (or would hold) ``key`` of ``collection`` (``qms verify``)."""
        return self._path(collection, key)

    def buckets(self, collection: str) -> list[Path]:
        """Every bucket file of ``collection``, in order (``qms verify`` checks them one by one)."""
        return list(self._buckets(collection))

    def read_bucket(self, path: Path) -> tuple[bytes, dict[str, dict[str, Any]]] | None:
        """The bytes of one bucket file and its objects by key, read now, never from the cache
        (``qms verify`` judges the very bytes it hashed); None when the file is gone."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            raw = json.loads(data) or {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StoreError(f"store file {path} is not valid JSON ({exc}); run `qms verify` to see what changed") from exc
        return data, {doc["_key"]: doc["obj"] for doc in raw.get("objects", {}).values()}

    def iter(self, collection: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (key, object) in ``collection``; objects are shared with the cache: do not mutate."""
        for path in self._buckets(collection):
            yield from self._load(path).items()

    def query(self, collection: str, where: Callable[[dict[str, Any]], bool] | None = None, **fields: Any) -> list[dict[str, Any]]:
        """Objects whose top-level ``fields`` equal the given values and that pass ``where``; copies.

        A field given as a frozenset matches any of its values. A field of ``INDEXED`` given as a
        string or a frozenset narrows the scan to the buckets that hold its values.
        """
        out = []
        for path in self._buckets_with(collection, fields):
            for obj in self._owned(path):
                if all(obj.get(k) in v if isinstance(v, frozenset) else obj.get(k) == v for k, v in fields.items()) \
                        and (where is None or where(obj)):
                    out.append(obj)
        return out

    def _buckets_with(self, collection: str, fields: dict[str, Any]) -> list[Path]:
        """The buckets of ``collection`` that can hold an object matching the indexed ``fields``."""
        paths = self._buckets(collection)
        wanted = {k: frozenset([v]) if isinstance(v, str) else v for k, v in fields.items()
                  if k in INDEXED and isinstance(v, str | frozenset)}
        if not wanted:
            return paths
        index = self._bucket_values(collection, paths)
        return [p for p in paths if p in index and all(not v.isdisjoint(index[p].get(k, ())) for k, v in wanted.items())]

    def _bucket_values(self, collection: str, paths: list[Path]) -> dict[Path, dict[str, frozenset[str]]]:
        """For each bucket, the values its objects hold in the ``INDEXED`` fields.

        Kept in memory and in ``cache/<collection>.index.json`` by the bucket's inode, size and
        mtime, and recomputed for a bucket whose file changed. Like ``project``'s cache it is
        derived data: never trusted over a changed bucket, outside ``db/`` and the audit log, safe
        to delete, and never read by ``qms verify``.
        """
        folder_key = self._folder_key(self.db / _SAFE.sub("_", collection))
        seen = self._values_seen.get(collection)
        if seen is not None and seen[0] == folder_key and folder_key is not None:
            return seen[1]  # no bucket of the collection was written since
        cache_path = self.root / "cache" / f"{_SAFE.sub('_', collection)}.index.json"
        on_disk: dict[str, Any] | None = None
        out: dict[Path, dict[str, frozenset[str]]] = {}
        changed = False
        for path in paths:
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            sig = (st.st_ino, st.st_size, st.st_mtime_ns)
            known = self._values.get(path)
            if known is None or known[0] != sig:
                if on_disk is None:
                    on_disk = self._read_cache(cache_path, "index:" + ",".join(INDEXED))
                entry = on_disk.get(path.name)
                if entry is not None and tuple(entry.get("sig", ())) == sig:
                    values = {k: frozenset(v) for k, v in entry.get("values", {}).items()}
                else:
                    objects = self._load(path).values()
                    values = {k: frozenset(o[k] for o in objects if isinstance(o.get(k), str)) for k in INDEXED}
                    changed = True
                known = (sig, values)
                self._values[path] = known
            out[path] = known[1]
        if changed:
            buckets = {p.name: {"sig": list(self._values[p][0]), "values": {k: sorted(v) for k, v in vals.items()}}
                       for p, vals in out.items()}
            self._write_cache(cache_path, "index:" + ",".join(INDEXED), buckets)
        self._values_seen[collection] = (folder_key, out)
        return out

    def _read_cache(self, path: Path, version: str) -> dict[str, Any]:
        """The per-bucket entries of a derived cache file, or nothing when it is missing, unreadable or stale."""
        try:
            cached = json.loads(path.read_bytes())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return {}
        if not isinstance(cached, dict) or cached.get("version") != version or not isinstance(cached.get("buckets"), dict):
            return {}
        return cached["buckets"]

    def _write_cache(self, path: Path, version: str, buckets: dict[str, Any]) -> None:
        try:
            self._remember(path)
            atomic_write(path, json.dumps({"version": version, "buckets": buckets},
                                          ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        except OSError:
            pass  # a read-only workspace still answers, just without the cache

    def project(self, collection: str, name: str, version: str,
                fn: Callable[[str, dict[str, Any]], Any], **fields: Any) -> list[Any]:
        """``fn(key, obj)`` for every object of ``collection`` (``None`` results dropped), cached on disk.

        A scan such as the due list needs a few fields of every record; parsing every bucket costs
        seconds at 100k records in each new process. The results per bucket are kept under
        ``cache/<collection>.<name>/`` with the bucket's inode, size and mtime, and recomputed
        only for buckets that changed since (or all of them when ``version`` changes, e.g. when
        the projection's inputs change). The cache is derived data: it is never trusted over a
        changed bucket, is outside ``db/`` and the audit log, and may be deleted at any time. The rows
        returned are shared with this process's copy of that cache: read them, do not change them.
        ``fields`` of ``INDEXED`` (e.g. ``form=``, or a frozenset of values meaning any of them)
        visit only the buckets that can hold them; the rows of other objects in those buckets still
        come back, so callers filter them as before.

        The cache is one file per bucket family (the bucket name without its number: one form's
        prefix and year), so a process that visits one form's buckets parses only that form's rows,
        not the rows of every record in the workspace.
        """
        folder = self.root / "cache" / f"{_SAFE.sub('_', collection)}.{_SAFE.sub('_', name)}"
        all_paths = self._buckets(collection)
        paths = self._buckets_with(collection, fields) if fields else all_paths
        names = {p.name for p in all_paths}
        families: dict[str, list[Path]] = {}
        for path in paths:
            families.setdefault(_family(path.name), []).append(path)
        out: list[Any] = []
        for family, members in families.items():
            cache_path = folder / f"{family}.json"
            remembered = self._projections.get(cache_path)
            if remembered is not None and remembered[0] == version:
                buckets: dict[str, Any] = remembered[1]
            else:
                buckets = self._read_cache(cache_path, version)
            # Buckets of the family not visited now (narrowed by ``fields``) keep their rows while they exist.
            fresh: dict[str, Any] = {k: v for k, v in buckets.items() if k in names}
            changed = len(fresh) != len(buckets)
            for path in members:
                try:
                    st = path.stat()
                except FileNotFoundError:
                    changed = True
                    fresh.pop(path.name, None)
                    continue
                sig = [st.st_ino, st.st_size, st.st_mtime_ns]
                entry = buckets.get(path.name)
                if entry is None or entry.get("sig") != sig:
                    rows = [r for r in (fn(k, o) for k, o in self._load(path).items()) if r is not None]
                    entry = {"sig": sig, "rows": rows}
                    changed = True
                fresh[path.name] = entry
                out.extend(entry["rows"])
            if changed:
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    folder.with_name(folder.name + ".json").unlink(missing_ok=True)  # the one-file layout before
                except OSError:
                    pass  # a read-only workspace still answers, just without the cache
                self._write_cache(cache_path, version, fresh)
            self._projections[cache_path] = (version, fresh)
        return out

    def signature(self, collection: str) -> tuple[Any, ...]:
        """What changes whenever an object of ``collection`` is written (a cache's key): its folder's
        listing with each bucket's inode, size and mtime."""
        folder = self.db / _SAFE.sub("_", collection)
        try:
            with os.scandir(folder) as entries:
                found = [(e.name, e.stat()) for e in entries if e.name.endswith(".json") and not e.name.startswith(".")]
        except FileNotFoundError:
            return ()
        return tuple(sorted((name, st.st_ino, st.st_size, st.st_mtime_ns) for name, st in found))

    def history(self, collection: str, key: str) -> list[dict[str, Any]]:
        """Every audit entry about one object, oldest first."""
        return [e for e in self.audit.entries() if e.get("collection") == collection and e.get("key") == key]

    def audit_bytes(self) -> bytes:
        """The audit log as the bytes of ``audit.log`` (a bundle, a migration)."""
        return self.audit.path.read_bytes() if self.audit.path.exists() else b""

    def sequences(self) -> dict[str, int]:
        """The last number each numbering sequence handed out."""
        path = self.db / "_sequences.json"
        return {k: int(v) for k, v in json.loads(path.read_bytes()).items()} if path.exists() else {}

    def is_empty(self) -> bool:
        """Whether nothing was ever stored or logged here (a migration's target must be)."""
        return not self.collections() and not self.audit.path.exists() and not (self.db / "_sequences.json").exists()

    def load(self, objects: dict[str, dict[str, dict[str, Any]]], sequences: dict[str, int], log: bytes) -> None:
        """Fill an empty store with another's objects (by collection), sequences and audit log bytes
        (``qms store migrate``): written as they are, not logged again, so the chain is the same here."""
        if not self.is_empty():
            raise StoreError(f"{self.root} already holds a store; a migration fills only an empty one")
        with self.transaction():
            for collection, objs in objects.items():
                by_bucket: dict[Path, dict[str, dict[str, Any]]] = {}
                for key, obj in objs.items():
                    by_bucket.setdefault(self._path(collection, key), {})[key] = obj
                for path, group in by_bucket.items():
                    self._write_bucket(path, group)
            path = self.db / "_sequences.json"
            self._remember(path, self.audit.path)
            atomic_write(path, json.dumps(sequences, ensure_ascii=False, sort_keys=True).encode("utf-8"),
                         unsynced=self._unsynced())
            atomic_write(self.audit.path, log, unsynced=self._unsynced())

    def collections(self) -> list[str]:
        """Every collection that holds at least one bucket."""
        return sorted(p.name for p in self.db.iterdir() if p.is_dir()) if self.db.is_dir() else []

    # -- writing ---------------------------------------------------------------------------

    def put(
        self, collection: str, key: str, obj: dict[str, Any], *, actor: str, action: str, reason: str = "",
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store ``obj`` under ``key`` and log the change; returns the audit entry."""
        with self.transaction():
            self._write_bucket(self._path(collection, key), {key: obj})
            return self._log(collection, key, digest(obj), actor, action, reason, detail)

    def _write_bucket(self, path: Path, group: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Upsert ``group`` into one bucket with a single fresh read and a single atomic write.

        The file keeps TinyDB's layout (table ``objects``, string document ids), so TinyDB opens it
        as is; going through TinyDB's own upsert would read the file three times and write it twice.
        Returns the bucket's table as written (document id → ``{"_key", "obj"}``).
        """
        self._remember(path)
        storage = AtomicJSONStorage(str(path), self._unsynced())
        raw = storage.read() or {}
        table = raw.setdefault("objects", {})
        index = {doc["_key"]: doc_id for doc_id, doc in table.items()}
        next_id = max((int(i) for i in table), default=0) + 1
        for key, obj in group.items():
            doc_id = index.get(key)
            if doc_id is None:
                doc_id, next_id = str(next_id), next_id + 1
            table[doc_id] = {"_key": key, "obj": obj}
        storage.write(raw)
        return table

    @staticmethod
    def _indexed_values(objects: list[dict[str, Any]]) -> dict[str, frozenset[str]]:
        """The values ``objects`` hold in the ``INDEXED`` fields: one bucket's entry in the bucket index."""
        return {k: frozenset(o[k] for o in objects if isinstance(o.get(k), str)) for k in INDEXED}

    def _staged_values(self) -> dict[Path, dict[str, frozenset[str]]]:
        """The ``INDEXED`` values of each file ``stage`` wrote, for ``commit_staged`` to index it by.

        Made on first use, not in ``__init__``: a backend built on this class need not run it.
        """
        found: dict[Path, dict[str, frozenset[str]]] = self.__dict__.setdefault("_staged_index_values", {})
        return found

    def _index_written(self, collection: str, written: dict[Path, dict[str, frozenset[str]]]) -> None:
        """Enter buckets a bulk write just wrote into the bucket index, with their values and file signatures.

        Called under the lock, after the files are in place: the signature is that of the bytes the
        values were taken from, so the next reader finds the index current instead of parsing every
        bucket of a bulk load (about 1 s at 100k records) to rebuild it. Still derived data: a unit
        of work rolled back leaves files with other signatures, whose entries are then recomputed.
        """
        if not written:
            return
        cache_path = self.root / "cache" / f"{_SAFE.sub('_', collection)}.index.json"
        version = "index:" + ",".join(INDEXED)
        on_disk = self._read_cache(cache_path, version)
        for path, values in written.items():
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            sig = (st.st_ino, st.st_size, st.st_mtime_ns)
            self._values[path] = (sig, values)
            on_disk[path.name] = {"sig": list(sig), "values": {k: sorted(v) for k, v in values.items()}}
        try:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return  # a read-only cache folder: the next reader indexes these buckets itself
        self._write_cache(cache_path, version, on_disk)

    def put_many(self, collection: str, objects: dict[str, dict[str, Any]], *, actor: str, action: str,
                 reason: str = "") -> int:
        """Store many objects at once (bulk import): each bucket is rewritten once, one log append.

        Either every object is written and logged, or none is: a crash in the middle is rolled back
        when the workspace is next opened.
        """
        by_bucket: dict[Path, dict[str, dict[str, Any]]] = {}
        for key, obj in objects.items():
            by_bucket.setdefault(self._path(collection, key), {})[key] = obj
        with self.transaction():
            self._remember(*by_bucket)  # every bucket's old bytes in the intent with one fsync
            written = {path: self._indexed_values([d["obj"] for d in self._write_bucket(path, group).values()])
                       for path, group in by_bucket.items()}
            self._index_written(collection, written)
            at = clock.stamp()
            self._begin(durable=True)
            self.audit.append_many([
                {"at": at, "actor": actor, "action": action, "collection": collection, "key": key,
                 "state": digest(obj), "reason": reason}
                for key, obj in objects.items()
            ])
        return len(objects)

    def stage(self, folder: Path, collection: str, objects: dict[str, dict[str, Any]]) -> list[tuple[Path, str, str]]:
        """Write ``objects`` as bucket files into ``folder`` (outside ``db/``), without the lock (bulk import).

        Returns (staged file, key, sha256 of the object) per object, for ``commit_staged``. Nothing in
        ``db/`` or the audit log changes; a staged folder may be deleted at any time.
        """
        by_bucket: dict[str, dict[str, dict[str, Any]]] = {}
        for key, obj in objects.items():
            by_bucket.setdefault(bucket_of(key), {})[key] = obj
        folder.mkdir(parents=True, exist_ok=True)
        base = sum(1 for _ in folder.iterdir())
        out: list[tuple[Path, str, str]] = []
        for n, (name, group) in enumerate(by_bucket.items(), start=base):
            # A counter first: a bucket that spans two batches is staged twice and merged at commit.
            path = folder / f"{n:06d}-{name}.json"
            raw = {"objects": {str(i): {"_key": k, "obj": o} for i, (k, o) in enumerate(group.items(), start=1)}}
            with path.open("wb") as f:
                f.write(json.dumps(raw, ensure_ascii=False, sort_keys=True).encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())  # durable before it is renamed into db/ at commit
            self._staged_values()[path] = self._indexed_values(list(group.values()))
            out.extend((path, key, digest(obj)) for key, obj in group.items())
        return out

    def commit_staged(self, collection: str, staged: list[tuple[Path, str, str]], *, actor: str, action: str,
                      reason: str = "", chunk: int = 2000) -> int:
        """Move staged bucket files (``stage``) into ``db/`` and log every object, as one unit of work.

        Call inside ``transaction()``. A staged bucket whose file does not exist yet is renamed into
        place (its absence is what the intent remembers, so a roll-back removes it); one that exists
        (the last, partly filled bucket before the import) is merged with one read and one write.
        The audit entries are appended in chunks; a failure or a crash anywhere rolls all of it back.
        """
        folder = self.db / _SAFE.sub("_", collection)
        files = list(dict.fromkeys(path for path, _, _ in staged))
        targets = {path: folder / path.name.split("-", 1)[1] for path in files}
        with self.transaction():
            self._remember(*dict.fromkeys(targets.values()))  # every bucket's old bytes with one fsync
            folder.mkdir(parents=True, exist_ok=True)
            written: dict[Path, dict[str, frozenset[str]]] = {}
            for path, target in targets.items():
                staged_values = self._staged_values().pop(path, None)
                if target.exists():
                    raw = json.loads(path.read_bytes())
                    table = self._write_bucket(target, {d["_key"]: d["obj"] for d in raw["objects"].values()})
                    written[target] = self._indexed_values([d["obj"] for d in table.values()])
                else:
                    os.replace(path, target)
                    if staged_values is not None:  # staged by this instance: its values are known
                        written[target] = staged_values
                    else:
                        written.pop(target, None)  # left for the next reader to index
            _fsync_path(folder)
            self._index_written(collection, written)
            self._begin(durable=True)
            at = clock.stamp()
            for start in range(0, len(staged), chunk):
                self.audit.append_many([
                    {"at": at, "actor": actor, "action": action, "collection": collection, "key": key,
                     "state": state, "reason": reason}
                    for _, key, state in staged[start:start + chunk]
                ])
        return len(staged)

    def sequence_value(self, sequence: str) -> int:
        """The last number ``sequence`` handed out, read without the lock (a bulk import predicts its numbers)."""
        path = self.db / "_sequences.json"
        try:
            seqs: dict[str, int] = json.loads(path.read_bytes())
        except FileNotFoundError:
            return 0
        return int(seqs.get(sequence, 0))

    def advance_sequence(self, sequence: str, expected: int, to: int) -> bool:
        """Under the lock: set ``sequence`` to ``to`` if it still stands at ``expected``; False (nothing
        written) when another writer moved it since (the bulk import's predicted numbers are taken)."""
        with self.transaction():
            path = self.db / "_sequences.json"
            seqs: dict[str, int] = json.loads(path.read_bytes()) if path.exists() else {}
            if seqs.get(sequence, 0) != expected:
                return False
            seqs[sequence] = to
            self._remember(path)
            atomic_write(path, json.dumps(seqs, ensure_ascii=False, sort_keys=True).encode("utf-8"), steps=True,
                         unsynced=self._unsynced())
            return True

    def delete(self, collection: str, key: str, *, actor: str, action: str, reason: str,
               detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """Remove ``key`` (retention disposal); the log keeps the fact, not the content."""
        with self.transaction():
            path = self._path(collection, key)
            self._remember(path)
            with TinyDB(str(path), storage=AtomicJSONStorage) as db:
                if not db.table("objects").remove(Query()._key == key):
                    raise NotFound(f"no object {collection}/{key} to remove")
            return self._log(collection, key, None, actor, action, reason, detail)

    def _log(self, collection: str, key: str, state: str | None, actor: str, action: str, reason: str,
             detail: dict[str, Any] | None) -> dict[str, Any]:
        self._begin(durable=True)
        entry: dict[str, Any] = {
            "at": clock.stamp(), "actor": actor, "action": action, "collection": collection,
            "key": key, "state": state, "reason": reason,
        }
        if detail:
            entry["detail"] = detail
        unsynced = self._unsynced()
        if unsynced is None:
            return self.audit.append(entry)
        # Its fsync waits for the unit's others (``_sync_unit``): the intent's header, durable by now,
        # cuts the entry off again if the unit dies before its commit mark.
        unsynced.add(self.audit.path)
        return self.audit.append(entry, sync=False)

    def log_event(self, collection: str, key: str, *, actor: str, action: str, reason: str = "",
                  detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """Log an event that changes no stored state (a login, a notification, an export)."""
        if collection in ("file", "blob"):
            raise ValueError("files and blobs are logged with register_file() and put_blob()")
        with self.transaction():
            current = self.get(collection, key)
            state = digest(current) if current is not None else None
            return self._log(collection, key, state, actor, action, reason, detail)

    def next_number(self, sequence: str, taken: Callable[[int], bool]) -> int:
        """The next free number of ``sequence``; call inside ``transaction()`` and store it there too.

        ``taken(n)`` says whether ``n`` is already used; it guards against a sequence file that fell
        behind because a writer died between storing an object and advancing the sequence.
        """
        with self.transaction():
            path = self.db / "_sequences.json"
            seqs: dict[str, int] = json.loads(path.read_bytes()) if path.exists() else {}
            n = seqs.get(sequence, 0) + 1
            while taken(n):
                n += 1
            seqs[sequence] = n
            self._remember(path)
            atomic_write(path, json.dumps(seqs, ensure_ascii=False, sort_keys=True).encode("utf-8"), steps=True,
                         unsynced=self._unsynced())
            return n

    def next_numbers(self, sequence: str, count: int, taken: Callable[[int], bool]) -> list[int]:
        """``count`` next free numbers of ``sequence`` with one write of the sequence file (bulk import)."""
        with self.transaction():
            path = self.db / "_sequences.json"
            seqs: dict[str, int] = json.loads(path.read_bytes()) if path.exists() else {}
            n = seqs.get(sequence, 0)
            out: list[int] = []
            while len(out) < count:
                n += 1
                if not taken(n):
                    out.append(n)
            seqs[sequence] = n
            self._remember(path)
            atomic_write(path, json.dumps(seqs, ensure_ascii=False, sort_keys=True).encode("utf-8"), steps=True,
                         unsynced=self._unsynced())
            return out

    # -- blobs and files ------------------------------------------------------------------

    def blob_path(self, sha: str) -> Path:
        """Where the blob with this sha256 lives (whether or not it exists)."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise NotFound(f"{sha!r} is not a sha256 of a stored file")
        return self.blobs / sha[:2] / sha

    def put_blob(self, data: bytes, *, actor: str, action: str, detail: dict[str, Any]) -> str:
        """Store bytes by their sha256 and log them; returns the hash."""
        sha = hashlib.sha256(data).hexdigest()
        with self.transaction():
            path = self.blob_path(sha)
            if not path.exists():
                self._remember(path)
                atomic_write(path, data, steps=True, unsynced=self._unsynced())
            self._log("blob", sha, sha, actor, action, "", detail)
        return sha

    def delete_blob(self, sha: str, *, actor: str, action: str, reason: str,
                    detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """Remove a blob (retention disposal); the log keeps its hash and the fact, not the bytes."""
        with self.transaction():
            self._remember(self.blob_path(sha))
            self.blob_path(sha).unlink(missing_ok=True)
            return self._log("blob", sha, None, actor, action, reason, detail)

    def register_file(self, relpath: str, data_sha: str | None, *, actor: str, action: str,
                      detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """Log the sha256 of a file under the workspace (a rendered PDF) for ``verify``; ``None`` releases it."""
        with self.transaction():
            return self._log("file", relpath, data_sha, actor, action, "", detail)


class _Journal:
    """What the outermost transaction changed: each file's bytes before (``None``: absent), the log's length."""

    def __init__(self, audit_size: int | None) -> None:
        self.files: dict[Path, bytes | None] = {}
        self.audit_size = audit_size
        #: Files, folders and the audit log written with their fsync deferred to ``Store._sync_unit``.
        self.unsynced: set[Path] = set()


def sha256_file(path: Path) -> str:
    """sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


__all__ = ["Store", "atomic_write", "bucket_of", "canonical", "sha256_file"]
