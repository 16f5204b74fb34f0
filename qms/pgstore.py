"""The record store on PostgreSQL: the objects, numbers and hash-chained audit log of ``qms.store``, as rows.

A workspace whose ``qms.toml`` names ``[store] url = "postgresql://…"`` (or that is opened with
``QMS_STORE_URL`` set, see ``qms.backend``) keeps its store in one schema of that database::

    objects      (collection, key) → body JSONB, with indexes on the fields registers filter on
    counters     sequence → the last number handed out (gapless: a row lock held until commit)
    audit        seq → the entry's canonical JSON line, exactly as ``records/audit.log`` would hold it
    chain        the one row holding the chain head (seq, hash); its row lock serialises appends
    projections  derived rows of ``project`` (the due list's open deadlines), by the seq they were
                 computed at; rebuilt from ``objects`` and ``audit`` when missing

A unit of work is one server-side transaction. Objects and counters are written as the unit goes;
its audit entries are chained at the end, under the ``chain`` row lock, in the same transaction:
so the state of every object and its log entry commit together or not at all, and writers on
several hosts still form one chain, in the order their appends were serialised. The lock is taken
as late as possible so that concurrent writers overlap everything but the append itself.

Attachments and rendered PDFs stay files under the workspace folder, by sha256, as on the folder
store. The audit table refuses UPDATE, DELETE and TRUNCATE (a trigger): it is append-only.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb, set_json_loads
from psycopg_pool import ConnectionPool, PoolTimeout

from qms import clock
from qms.audit import GENESIS, ChainProblem, canonical, digest, entry_hash
from qms.errors import NotFound, StoreError, WriteConflict
from qms.intent import Recovery
from qms.store import Store, atomic_write

POOL_SIZE = 8
#: The relation made last by ``_DDL``: a schema without it is made (or brought up to date) on opening.
SCHEMA_MARK = "projections_form"
_CURSORS = itertools.count(1)  # names of server-side cursors, unique in the process
# The pool logs each failed reconnection attempt as a warning on stderr; qms reports failures itself.
logging.getLogger("psycopg.pool").addHandler(logging.NullHandler())
logging.getLogger("psycopg.pool").propagate = False
_POOLS: dict[tuple[int, str], ConnectionPool] = {}
_POOLS_LOCK = threading.Lock()
_READY: set[tuple[str, str]] = set()


def close_pools() -> None:
    """Close this process's connection pools (before the server they use goes away, in tests).

    A process that ends does not need to: its connections close with it, and the pools' threads are
    daemons (closing them at exit would make every command spend a quarter of a second ending).
    """
    for key, pool in list(_POOLS.items()):
        if key[0] == os.getpid():
            pool.close()
    _POOLS.clear()
    _READY.clear()


def _sorted_loads(data: str | bytes) -> Any:
    """JSON as the folder store hands it out: every object's keys in sorted order (its files are written
    with sorted keys), where JSONB would give its own order (shorter keys first)."""
    return json.loads(data, object_pairs_hook=lambda pairs: dict(sorted(pairs)))


def _configure(conn: psycopg.Connection[Any]) -> None:
    set_json_loads(_sorted_loads, conn)


def pool_for(url: str) -> ConnectionPool:
    """This process's connection pool for ``url`` (a forked child opens its own)."""
    key = (os.getpid(), url)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            # One plain connection first: a server that cannot be reached is one line at once, not a
            # pool retrying in the background until its timeout.
            try:
                psycopg.connect(url, connect_timeout=10).close()
            except psycopg.Error as exc:
                raise StoreError(f"cannot connect to the database at {safe_url(url)} ({_first_line(exc)}); check "
                                 "that the server runs and the [store] url in qms.toml (or QMS_STORE_URL)") from exc
            # No check on every checkout (a round trip per write): a connection the server dropped
            # fails its next statement, which is reported (writes) or tried once more (reads).
            pool = ConnectionPool(url, min_size=1, max_size=POOL_SIZE, open=False, name="qms",
                                  kwargs={"autocommit": True}, configure=_configure)
            try:
                pool.open(wait=True, timeout=15)
            except PoolTimeout as exc:
                pool.close()
                raise StoreError(f"cannot connect to the database at {safe_url(url)}; check that the server "
                                 "runs and the [store] url in qms.toml (or QMS_STORE_URL)") from exc
            _POOLS[key] = pool
        return pool


def safe_url(url: str) -> str:
    """``url`` without a password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an unreadable database url)"
    info.pop("password", None)
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items() if v is not None})


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _lost(exc: BaseException) -> StoreError:
    """What a failed write says: undone by a collision with another writer, or not confirmed (connection lost)."""
    # psycopg counts a deadlock or serialization failure as an OperationalError too, but the server
    # then rolled the whole unit back on purpose: nothing was kept, so it is safe to do it again.
    if isinstance(exc, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)):
        return WriteConflict("another writer changed the same records at the same moment, so this write was "
                             f"undone whole; do it again ({_first_line(exc)})")
    return StoreError("the connection to the database was lost during the write, so it was not confirmed: "
                      f"check whether it was stored (`qms record list`), then run the command again ({_first_line(exc)})")


_DDL = """
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.objects (
    collection text NOT NULL, key text NOT NULL, body jsonb NOT NULL, PRIMARY KEY (collection, key));
CREATE INDEX IF NOT EXISTS objects_form_state ON {s}.objects (collection, (body->>'form'), (body->>'state'));
CREATE TABLE IF NOT EXISTS {s}.counters (sequence text PRIMARY KEY, value bigint NOT NULL);
CREATE TABLE IF NOT EXISTS {s}.audit (
    seq bigint PRIMARY KEY, collection text NOT NULL, key text NOT NULL, line text NOT NULL);
CREATE INDEX IF NOT EXISTS audit_object ON {s}.audit (collection, key, seq);
CREATE INDEX IF NOT EXISTS audit_collection ON {s}.audit (collection, seq);
CREATE TABLE IF NOT EXISTS {s}.chain (
    one boolean PRIMARY KEY DEFAULT true CHECK (one), seq bigint NOT NULL, hash text NOT NULL);
INSERT INTO {s}.chain (one, seq, hash) VALUES (true, 0, '{genesis}') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS {s}.projections (
    name text NOT NULL, version text NOT NULL, collection text NOT NULL, key text NOT NULL, form text,
    row jsonb NOT NULL, PRIMARY KEY (name, version, collection, key));
ALTER TABLE {s}.projections ADD COLUMN IF NOT EXISTS form text;
CREATE TABLE IF NOT EXISTS {s}.projection_marks (
    name text NOT NULL, version text NOT NULL, collection text NOT NULL, upto bigint NOT NULL,
    PRIMARY KEY (name, version, collection));
TRUNCATE {s}.projections, {s}.projection_marks;  -- derived: rebuilt on first use after an upgrade
CREATE INDEX IF NOT EXISTS projections_form ON {s}.projections (name, version, collection, form);
CREATE OR REPLACE FUNCTION {s}.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP; END $$;
CREATE OR REPLACE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON {s}.audit
    FOR EACH ROW EXECUTE FUNCTION {s}.audit_append_only();
CREATE OR REPLACE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {s}.audit
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.audit_append_only();
"""


class _Unit:
    """The running unit of work: its connection, its audit entries waiting to be chained, files it made."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.entries: list[dict[str, Any]] = []
        self.new_files: list[Path] = []
        self.after: list[Callable[[], None]] = []


class PgAuditLog:
    """The audit table read as the log file is: ``head``, ``last``, ``entries``, ``check_chain``."""

    def __init__(self, store: PgStore) -> None:
        self.store = store
        self.path: Path | None = None  # no file: readers that need bytes call ``export``

    def _q(self, query: str) -> sql.Composed:
        # A read of the log inside a unit of work sees that unit's entries, as in the folder store's
        # log file: they are chained now (the unit then holds the chain lock until it ends).
        self.store._chain_pending()
        return sql.SQL(query).format(s=self.store.schema_id)

    def head(self) -> str:
        last = self.last()
        return str(last["hash"]) if last else GENESIS

    def last(self) -> dict[str, Any] | None:
        row = self.store._one(self._q("SELECT line FROM {s}.audit ORDER BY seq DESC LIMIT 1"))
        return json.loads(row[0]) if row else None

    def count(self) -> int:
        row = self.store._one(self._q("SELECT count(*) FROM {s}.audit"))
        return int(row[0]) if row else 0

    def lines(self, after: int = 0) -> Iterator[tuple[int, str]]:
        """(seq, canonical line) of every entry after ``after``, in order, streamed."""
        with self.store._reading() as conn, self.store._block(conn):
            with conn.cursor(name=f"qms_audit_{next(_CURSORS)}") as cur:
                cur.itersize = 5000
                cur.execute(self._q("SELECT seq, line FROM {s}.audit WHERE seq > %s ORDER BY seq"), (after,))
                for seq, line in cur:
                    yield int(seq), str(line)

    def entries(self) -> Iterator[dict[str, Any]]:
        for _, line in self.lines():
            yield json.loads(line)

    def entries_for(self, collection: str, key: str) -> list[dict[str, Any]]:
        """Every entry about one object, oldest first (an index lookup, not a scan)."""
        rows = self.store._all(self._q("SELECT line FROM {s}.audit WHERE collection = %s AND key = %s ORDER BY seq"),
                               (collection, key))
        return [json.loads(r[0]) for r in rows]

    def page(self, first: int, count: int) -> list[dict[str, Any]]:
        """Entries ``first`` … ``first + count - 1`` (0 = oldest)."""
        rows = self.store._all(self._q("SELECT line FROM {s}.audit WHERE seq > %s AND seq <= %s ORDER BY seq"),
                               (first, first + count))
        return [json.loads(r[0]) for r in rows]

    def export(self) -> bytes:
        """The log as the bytes of ``audit.log``: one canonical line per entry (a bundle, a migration)."""
        return b"".join(line.encode("utf-8") + b"\n" for _, line in self.lines())

    def check_chain(self, *, offset: int = 0, prev: str = GENESIS, line: int = 1,
                    ) -> tuple[list[ChainProblem], list[dict[str, Any]]]:
        """Every broken entry and the entries, checking each hash, link and place in the sequence."""
        problems: list[ChainProblem] = []
        entries: list[dict[str, Any]] = []
        number = line - 1
        for seq, raw in self.lines(after=offset):
            number += 1
            try:
                entry = json.loads(raw)
            except json.JSONDecodeError:
                problems.append(ChainProblem(number, "not valid JSON (the log was edited)"))
                prev = ""
                continue
            if entry.get("hash") != entry_hash(entry) or entry.get("seq") != seq:
                problems.append(ChainProblem(number, f"entry for {entry.get('collection')}/{entry.get('key')} was "
                                             "edited (its hash does not match its content)"))
            elif entry.get("prev") != prev and prev != "":
                problems.append(ChainProblem(number, "chain broken (an entry before it was removed or reordered)"))
            prev = entry.get("hash", "")
            entries.append(entry)
        return problems, entries


class PgStore(Store):
    """The store of one workspace in one schema of a PostgreSQL database; the interface of ``Store``."""

    kind = "postgresql"

    def __init__(self, root: Path, url: str, schema: str) -> None:
        # Not Store.__init__: nothing of the folder store but the blobs and the folder itself is used.
        self.root = root
        self.db = root / "db"  # never written here; named so that code asking for it gets a path
        self.blobs = root / "blobs"
        self.url = url
        self.schema = schema
        self.schema_id = sql.Identifier(schema)
        self.audit = PgAuditLog(self)  # type: ignore[assignment]
        self._local = threading.local()
        self.recovered: list[Recovery] = []
        self._pool = pool_for(url)
        self._ensure_schema()

    def describe(self) -> str:
        return f"PostgreSQL {safe_url(self.url)}, schema {self.schema}"

    # -- connections ---------------------------------------------------------------------

    def _q(self, query: str, **parts: Any) -> sql.Composed:
        return sql.SQL(query).format(s=self.schema_id, **parts)

    def _ensure_schema(self) -> None:
        key = (self.url, self.schema)
        if key in _READY:
            return
        with self._pool.connection() as conn, conn.transaction():
            exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                                  (f"{sql.Identifier(self.schema).as_string(conn)}.{SCHEMA_MARK}",)).fetchone()
            if not (exists and exists[0]):
                # One creator at a time: concurrent CREATE ... IF NOT EXISTS can still collide in the catalog.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema,))
                conn.execute(sql.SQL(_DDL.replace("{genesis}", GENESIS)).format(s=self.schema_id))
        _READY.add(key)

    @staticmethod
    def _block(conn: psycopg.Connection[Any]) -> Any:
        """A transaction around a read that needs one (a server-side cursor), unless one is open already."""
        idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        return conn.transaction() if idle else nullcontext()

    def _unit(self) -> _Unit | None:
        return getattr(self._local, "unit", None)

    def _chain_pending(self) -> None:
        unit = self._unit()
        if unit is not None and unit.entries:
            self._seal(unit)

    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection[Any]]:
        """The running unit's connection (so it reads its own writes), else a pooled one for this read."""
        unit = self._unit()
        if unit is not None:
            yield unit.conn
            return
        try:
            with self._pool.connection() as conn:  # autocommit: each read one round trip, its own snapshot
                yield conn
        except psycopg.OperationalError as exc:
            raise StoreError(f"the database at {safe_url(self.url)} cannot be read ({_first_line(exc)}); "
                             "check that it runs, then run the command again") from exc

    def _one(self, query: sql.Composed, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        rows = self._all(query, params)
        return rows[0] if rows else None

    def _all(self, query: sql.Composed, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """One read; outside a unit of work it is tried once more on a fresh connection when the
        pooled one turns out to be dead (the server restarted since it was opened)."""
        try:
            with self._reading() as conn:
                return conn.execute(query, params).fetchall()
        except StoreError as exc:
            if self._unit() is not None or not isinstance(exc.__cause__, psycopg.OperationalError):
                raise
        with self._reading() as conn:
            return conn.execute(query, params).fetchall()

    def _write(self) -> psycopg.Connection[Any]:
        unit = self._unit()
        if unit is None:
            raise StoreError("a write outside a transaction")  # every writer below opens one first
        return unit.conn

    # -- transactions --------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, keep_on: tuple[type[BaseException], ...] = ()) -> Iterator[Store]:
        """One server-side transaction; nested uses in one thread share it (see ``Store.transaction``)."""
        if self.fixed_clock_allowed is not None:
            clock.allow_fixed(self.fixed_clock_allowed)
        clock.check_writable()
        if self._unit() is not None:
            yield self
            return
        try:
            conn = self._pool.getconn(timeout=60)
        except psycopg.OperationalError as exc:
            raise _lost(exc) from exc
        except Exception as exc:  # PoolTimeout: every connection busy for a minute
            raise StoreError(f"no database connection came free in 60 s ({_first_line(exc)}); try again") from exc
        unit = _Unit(conn)
        try:
            conn.execute("BEGIN")
        except psycopg.OperationalError as exc:
            self._pool.putconn(conn)
            raise _lost(exc) from exc
        self._local.unit = unit
        committed = False
        try:
            try:
                yield self
                sealed = self._seal(unit, commit=True)
            except keep_on:
                self._seal(unit)
                self._finish(unit)
                raise
            except psycopg.OperationalError as exc:  # a collision (deadlock) or a lost connection
                self._abandon(unit)
                raise _lost(exc) from exc
            except BaseException:
                self._abandon(unit)
                raise
            else:
                self._finish(unit, sealed=sealed)
                committed = True
        finally:
            self._local.unit = None
            self._pool.putconn(conn)
        if committed and self.after_commit is not None:
            self.after_commit(self)

    def _finish(self, unit: _Unit, *, sealed: bool = False) -> None:
        try:
            if not sealed:
                unit.conn.execute("COMMIT")
        except psycopg.OperationalError as exc:
            self._forget(unit)
            raise _lost(exc) from exc
        for step in unit.after:
            step()

    def _abandon(self, unit: _Unit) -> None:
        try:
            unit.conn.execute("ROLLBACK")
        except psycopg.Error:
            pass  # a lost connection has rolled back on the server already
        self._forget(unit)

    @staticmethod
    def _forget(unit: _Unit) -> None:
        for path in unit.new_files:
            path.unlink(missing_ok=True)

    def _seal(self, unit: _Unit, *, commit: bool = False) -> bool:
        """Chain the unit's entries onto the log under the chain row's lock, in its transaction.

        With ``commit``, the COMMIT goes in the same round trip as the entries; True when it did.
        """
        if not unit.entries:
            return False
        conn = unit.conn
        try:
            seq, prev = conn.execute(self._q("SELECT seq, hash FROM {s}.chain FOR UPDATE")).fetchone()  # type: ignore[misc]
            fixed = clock.is_fixed()
            rows: list[tuple[int, str, str, str]] = []
            for entry in unit.entries:
                seq += 1
                entry["seq"], entry["prev"] = seq, prev
                if fixed:
                    entry.setdefault("clock", "fixed")
                entry["hash"] = prev = entry_hash(entry)
                rows.append((seq, entry["collection"], entry["key"], canonical(entry).decode("utf-8")))
            with conn.cursor() as cur:
                if len(rows) > 20:
                    with cur.copy(self._q("COPY {s}.audit (seq, collection, key, line) FROM STDIN")) as copy:
                        for row in rows:
                            copy.write_row(row)
                    cur.execute(self._q("UPDATE {s}.chain SET seq = %s, hash = %s"), (seq, prev))
                    if commit:
                        cur.execute("COMMIT")
                else:
                    # A few entries: sent with the head's update in one round trip (pipeline mode),
                    # since the chain lock is held from here until the commit.
                    with conn.pipeline():
                        cur.executemany(self._q("INSERT INTO {s}.audit (seq, collection, key, line) VALUES (%s, %s, %s, %s)"),
                                        rows)
                        cur.execute(self._q("UPDATE {s}.chain SET seq = %s, hash = %s"), (seq, prev))
                        if commit:
                            cur.execute("COMMIT")
        except psycopg.OperationalError as exc:
            raise _lost(exc) from exc
        unit.entries = []
        return commit

    # -- what the folder store recovers: nothing here, the server does ------------------

    def recover(self, *, wait: bool = True) -> list[Recovery]:
        return []

    @contextmanager
    def settled(self) -> Iterator[list[Recovery]]:
        yield []

    def pending_intent(self) -> bool:
        return False

    def last_committed(self) -> dict[str, Any] | None:
        return self.audit.last()  # committed work, or inside a unit of work its own latest entry

    # -- reading -------------------------------------------------------------------------

    def get(self, collection: str, key: str) -> dict[str, Any] | None:
        """The object under ``key``.

        Inside a unit of work its row is share-locked until the unit ends, so no other writer changes
        it in between: a read-modify-write is not lost (as under the folder store's lock). Shared, so
        that the rows every filing reads (the pinned form, the user) do not queue the writers; two
        units changing the same object at the same moment end in a deadlock the server breaks, and
        one of them is refused with a request to run it again.
        """
        lock = " FOR SHARE" if self._unit() is not None else ""
        row = self._one(self._q("SELECT body FROM {s}.objects WHERE collection = %s AND key = %s" + lock),
                        (collection, key))
        return row[0] if row else None

    def keys(self, collection: str) -> list[str]:
        return [r[0] for r in self._all(self._q("SELECT key FROM {s}.objects WHERE collection = %s ORDER BY key"),
                                        (collection,))]

    def iter(self, collection: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for key, body in self._all(self._q("SELECT key, body FROM {s}.objects WHERE collection = %s ORDER BY key"),
                                   (collection,)):
            yield key, body

    def _where(self, fields: dict[str, Any]) -> tuple[sql.Composable, list[Any]]:
        """SQL conditions for the string-valued ``fields`` (the rest is filtered in Python)."""
        parts: list[sql.Composable] = []
        params: list[Any] = []
        for name, value in fields.items():
            if isinstance(value, str):
                parts.append(sql.SQL("body->>{} = %s").format(sql.Literal(name)))
                params.append(value)
            elif isinstance(value, frozenset) and value and all(isinstance(v, str) for v in value):
                parts.append(sql.SQL("body->>{} = ANY(%s)").format(sql.Literal(name)))
                params.append(sorted(value))
        return sql.SQL("").join(sql.SQL(" AND ") + p for p in parts), params

    def query(self, collection: str, where: Callable[[dict[str, Any]], bool] | None = None,
              **fields: Any) -> list[dict[str, Any]]:
        """Objects whose top-level ``fields`` equal the given values (a frozenset: any of them) and pass ``where``.

        String values are matched by the server on indexed expressions; the rest here, as the folder store does.
        """
        cond, params = self._where(fields)
        rows = self._all(self._q("SELECT body FROM {s}.objects WHERE collection = %s{cond} ORDER BY key", cond=cond),
                         (collection, *params))
        out = []
        for (obj,) in rows:
            if all(obj.get(k) in v if isinstance(v, frozenset) else obj.get(k) == v for k, v in fields.items()) \
                    and (where is None or where(obj)):
                out.append(obj)
        return out

    def project(self, collection: str, name: str, version: str,
                fn: Callable[[str, dict[str, Any]], Any], **fields: Any) -> list[Any]:
        """``fn(key, obj)`` for every object of ``collection`` (``None`` dropped), kept in ``projections``.

        Rows are recomputed only for the objects the audit log shows changed since the projection
        was last brought up to date (its mark, an audit seq); the mark is safe because seqs are
        handed out under the chain lock, so none commits behind it. ``fields`` are not used to
        compute (every object's row is kept); a ``form`` among them narrows the rows returned to that
        form's (or forms') objects, and callers filter them as on the folder store.
        """
        marks = self._q("SELECT upto FROM {s}.projection_marks WHERE name = %s AND version = %s AND collection = %s")
        ident = (name, version, collection)
        if self._unit() is not None:
            # Inside a unit of work its own writes are not chained yet: compute without the cache.
            return [r for r in (fn(k, o) for k, o in self.iter(collection)) if r is not None]
        with self._reading() as conn:
            row = conn.execute(marks, ident).fetchone()
            head = conn.execute(self._q("SELECT seq FROM {s}.chain")).fetchone()
            upto = int(row[0]) if row else -1
            now = int(head[0]) if head else 0
            if upto < now:
                if upto < 0:
                    changed = conn.execute(self._q("SELECT key, body FROM {s}.objects WHERE collection = %s"),
                                           (collection,)).fetchall()
                    gone: list[str] = []
                else:
                    # The objects the log shows written or removed since the mark, and their bodies now.
                    touched = [r[0] for r in conn.execute(self._q(
                        "SELECT DISTINCT key FROM {s}.audit WHERE collection = %s AND seq > %s AND seq <= %s"),
                        (collection, upto, now)).fetchall()]
                    changed = conn.execute(self._q(
                        "SELECT key, body FROM {s}.objects WHERE collection = %s AND key = ANY(%s)"),
                        (collection, touched)).fetchall()
                    present = {k for k, _ in changed}
                    gone = [k for k in touched if k not in present]
                keep = [(k, r, o.get("form")) for k, r, o in ((k, fn(k, o), o) for k, o in changed) if r is not None]
                kept = {k for k, _, _ in keep}
                drop = [k for k, _ in changed if k not in kept] + gone
                try:
                    with conn.transaction():
                        self._keep_projection(conn, ident, upto, now, keep, drop)
                except psycopg.errors.OperationalError:
                    raise
                except psycopg.Error:
                    pass  # another reader brought it up to date at the same moment: the same rows
            # Narrowed by form, as the folder store narrows to the buckets holding the form (callers still filter).
            forms = fields.get("form")
            wanted = [forms] if isinstance(forms, str) else sorted(forms) if isinstance(forms, frozenset) else None
            narrow = sql.SQL(" AND form = ANY(%s)" if wanted is not None else "")
            rows = conn.execute(self._q("SELECT row FROM {s}.projections WHERE name = %s AND version = %s AND "
                                        "collection = %s{narrow} ORDER BY key", narrow=narrow),
                                (*ident, *([wanted] if wanted is not None else []))).fetchall()
        return [r[0] for r in rows]

    def _keep_projection(self, conn: psycopg.Connection[Any], ident: tuple[str, str, str], upto: int, now: int,
                         keep: list[tuple[str, Any, Any]], drop: list[str]) -> None:
        """Store the recomputed rows of a projection and move its mark to ``now``, committed."""
        where = "name = %s AND version = %s AND collection = %s"
        with conn.cursor() as cur:
            if upto < 0:
                cur.execute(self._q("DELETE FROM {s}.projections WHERE " + where), ident)
            else:
                stale = drop + [k for k, _, _ in keep]
                if stale:
                    cur.execute(self._q("DELETE FROM {s}.projections WHERE " + where + " AND key = ANY(%s)"),
                                (*ident, stale))
            with cur.copy(self._q("COPY {s}.projections (name, version, collection, key, form, row) FROM STDIN")) \
                    as copy:
                for k, r, form in keep:
                    copy.write_row((*ident, k, form if isinstance(form, str) else None, json.dumps(r, ensure_ascii=False)))
            cur.execute(self._q(
                "INSERT INTO {s}.projection_marks (name, version, collection, upto) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (name, version, collection) DO UPDATE SET upto = GREATEST("
                "{s}.projection_marks.upto, EXCLUDED.upto)"), (*ident, now))

    def sequences(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self._all(self._q("SELECT sequence, value FROM {s}.counters"))}

    def is_empty(self) -> bool:
        row = self._one(self._q("SELECT (SELECT count(*) FROM {s}.objects) + (SELECT count(*) FROM {s}.audit)"
                                " + (SELECT count(*) FROM {s}.counters)"))
        return not row or int(row[0]) == 0

    def load(self, objects: dict[str, dict[str, dict[str, Any]]], sequences: dict[str, int], log: bytes) -> None:
        """Fill an empty schema with another store's objects, sequences and audit log, in one transaction."""
        lines = [line for line in log.decode("utf-8").split("\n") if line]
        rows: list[tuple[int, str, str, str]] = []
        for line in lines:
            entry = json.loads(line)
            rows.append((int(entry["seq"]), str(entry["collection"]), str(entry["key"]), line))
        with self.transaction():
            if not self.is_empty():
                raise StoreError(f"schema {self.schema} already holds a store; a migration fills only an empty one")
            conn = self._write()
            with conn.cursor() as cur:
                with cur.copy(self._q("COPY {s}.objects (collection, key, body) FROM STDIN")) as copy:
                    for collection, objs in objects.items():
                        for key, obj in objs.items():
                            copy.write_row((collection, key, json.dumps(obj, ensure_ascii=False)))
                with cur.copy(self._q("COPY {s}.audit (seq, collection, key, line) FROM STDIN")) as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.executemany(self._q("INSERT INTO {s}.counters (sequence, value) VALUES (%s, %s)"),
                                list(sequences.items()))
                if rows:
                    last = json.loads(rows[-1][3])
                    cur.execute(self._q("UPDATE {s}.chain SET seq = %s, hash = %s"), (last["seq"], last["hash"]))

    def collections(self) -> list[str]:
        return [r[0] for r in self._all(self._q("SELECT DISTINCT collection FROM {s}.objects ORDER BY collection"))]

    def history(self, collection: str, key: str) -> list[dict[str, Any]]:
        return self.audit.entries_for(collection, key)  # type: ignore[attr-defined]

    def audit_bytes(self) -> bytes:
        return self.audit.export()  # type: ignore[attr-defined]

    def signature(self, collection: str) -> tuple[Any, ...]:
        """What changes whenever an object of ``collection`` is written: its latest audit seq."""
        row = self._one(self._q("SELECT max(seq) FROM {s}.audit WHERE collection = %s"), (collection,))
        return (row[0] if row else None,)

    # -- writing -------------------------------------------------------------------------

    def _upsert(self, collection: str, objects: dict[str, dict[str, Any]]) -> None:
        conn = self._write()
        upsert = self._q("INSERT INTO {s}.objects (collection, key, body) VALUES (%s, %s, %s)"
                         " ON CONFLICT (collection, key) DO UPDATE SET body = EXCLUDED.body")
        if len(objects) == 1:
            [(key, obj)] = objects.items()
            conn.execute(upsert, (collection, key, Jsonb(obj)))
            return
        with conn.cursor() as cur:
            cur.executemany(upsert, [(collection, key, Jsonb(obj)) for key, obj in objects.items()])

    def put(self, collection: str, key: str, obj: dict[str, Any], *, actor: str, action: str, reason: str = "",
            detail: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.transaction():
            self._upsert(collection, {key: obj})
            return self._log(collection, key, digest(obj), actor, action, reason, detail)

    def put_many(self, collection: str, objects: dict[str, dict[str, Any]], *, actor: str, action: str,
                 reason: str = "") -> int:
        with self.transaction():
            self._copy_in(collection, objects)
            self._pending_all(collection, [(key, digest(obj)) for key, obj in objects.items()], actor, action, reason)
        return len(objects)

    def _pending_all(self, collection: str, states: list[tuple[str, str]], actor: str, action: str,
                     reason: str) -> None:
        """One audit entry per (key, state) of a bulk write, all at one time, chained when the unit commits."""
        at = clock.stamp()
        for key, state in states:
            self._pending({"at": at, "actor": actor, "action": action, "collection": collection, "key": key,
                           "state": state, "reason": reason})

    def _copy_in(self, collection: str, objects: dict[str, dict[str, Any]]) -> None:
        """Insert many objects with COPY (a bulk import's new keys), upserting any that already exist."""
        conn = self._write()
        existing = {r[0] for r in conn.execute(self._q(
            "SELECT key FROM {s}.objects WHERE collection = %s AND key = ANY(%s)"), (collection, list(objects))).fetchall()}
        if existing:
            self._upsert(collection, {k: objects[k] for k in existing})
        with conn.cursor() as cur:
            with cur.copy(self._q("COPY {s}.objects (collection, key, body) FROM STDIN")) as copy:
                for key, obj in objects.items():
                    if key not in existing:
                        copy.write_row((collection, key, json.dumps(obj, ensure_ascii=False)))

    def commit_staged(self, collection: str, staged: list[tuple[Path, str, str]], *, actor: str, action: str,
                      reason: str = "", chunk: int = 2000) -> int:
        """Insert the staged objects (``stage`` wrote them to files without holding anything) and log them."""
        files = list(dict.fromkeys(path for path, _, _ in staged))
        with self.transaction():
            for path in files:
                raw = json.loads(path.read_bytes())
                self._copy_in(collection, {d["_key"]: d["obj"] for d in raw["objects"].values()})
            self._pending_all(collection, [(key, state) for _, key, state in staged], actor, action, reason)
        for path in files:
            path.unlink(missing_ok=True)
        return len(staged)

    def sequence_value(self, sequence: str) -> int:
        row = self._one(self._q("SELECT value FROM {s}.counters WHERE sequence = %s"), (sequence,))
        return int(row[0]) if row else 0

    def _counter(self, sequence: str) -> int:
        """The counter's value, its row locked until the unit of work ends (gapless numbering)."""
        # One round trip: the upsert makes the row if needed and locks it either way.
        row = self._write().execute(self._q(
            "INSERT INTO {s}.counters AS c (sequence, value) VALUES (%s, 0) ON CONFLICT (sequence)"
            " DO UPDATE SET value = c.value RETURNING value"), (sequence,)).fetchone()
        return int(row[0]) if row else 0

    def _set_counter(self, sequence: str, value: int) -> None:
        self._write().execute(self._q("UPDATE {s}.counters SET value = %s WHERE sequence = %s"), (value, sequence))

    def advance_sequence(self, sequence: str, expected: int, to: int) -> bool:
        with self.transaction():
            if self._counter(sequence) != expected:
                return False
            self._set_counter(sequence, to)
            return True

    def next_number(self, sequence: str, taken: Callable[[int], bool]) -> int:
        with self.transaction():
            n = self._counter(sequence) + 1
            while taken(n):
                n += 1
            self._set_counter(sequence, n)
            return n

    def next_numbers(self, sequence: str, count: int, taken: Callable[[int], bool]) -> list[int]:
        with self.transaction():
            n = self._counter(sequence)
            out: list[int] = []
            while len(out) < count:
                n += 1
                if not taken(n):
                    out.append(n)
            self._set_counter(sequence, n)
            return out

    def delete(self, collection: str, key: str, *, actor: str, action: str, reason: str,
               detail: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.transaction():
            gone = self._write().execute(self._q("DELETE FROM {s}.objects WHERE collection = %s AND key = %s"),
                                         (collection, key))
            if not gone.rowcount:
                raise NotFound(f"no object {collection}/{key} to remove")
            return self._log(collection, key, None, actor, action, reason, detail)

    def _pending(self, entry: dict[str, Any]) -> dict[str, Any]:
        unit = self._unit()
        assert unit is not None  # callers hold a transaction
        unit.entries.append(entry)
        return entry

    def _log(self, collection: str, key: str, state: str | None, actor: str, action: str, reason: str,
             detail: dict[str, Any] | None) -> dict[str, Any]:
        entry: dict[str, Any] = {"at": clock.stamp(), "actor": actor, "action": action, "collection": collection,
                                 "key": key, "state": state, "reason": reason}
        if detail:
            entry["detail"] = detail
        # Chained (seq, prev, hash filled in on this very dict) when the unit of work commits.
        return self._pending(entry)

    def log_event(self, collection: str, key: str, *, actor: str, action: str, reason: str = "",
                  detail: dict[str, Any] | None = None) -> dict[str, Any]:
        if collection in ("file", "blob"):
            raise ValueError("files and blobs are logged with register_file() and put_blob()")
        with self.transaction():
            row = self._one(self._q("SELECT body FROM {s}.objects WHERE collection = %s AND key = %s"), (collection, key))
            state = digest(row[0]) if row else None
            return self._log(collection, key, state, actor, action, reason, detail)

    # -- blobs: files under the workspace folder, as on the folder store ------------------

    def put_blob(self, data: bytes, *, actor: str, action: str, detail: dict[str, Any]) -> str:
        sha = hashlib.sha256(data).hexdigest()
        with self.transaction():
            path = self.blob_path(sha)
            if not path.exists():
                atomic_write(path, data)
                unit = self._unit()
                assert unit is not None
                unit.new_files.append(path)  # removed again if the unit of work is refused
            self._log("blob", sha, sha, actor, action, "", detail)
        return sha

    def delete_blob(self, sha: str, *, actor: str, action: str, reason: str,
                    detail: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.transaction():
            path = self.blob_path(sha)
            unit = self._unit()
            assert unit is not None
            unit.after.append(lambda: path.unlink(missing_ok=True))  # only once the disposal is committed
            return self._log("blob", sha, None, actor, action, reason, detail)


__all__ = ["PgStore", "PgAuditLog", "close_pools", "pool_for", "safe_url"]
