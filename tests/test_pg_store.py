"""The store on PostgreSQL: gapless numbers, one chain, refusals, tampering, concurrency and crashes.

These run in every run of the suite against the run's throwaway server (``pg_url``); the rest of
the suite runs on PostgreSQL too with ``pytest --store=postgresql``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from qms.audit import digest
from qms.backend import open_at
from qms.pgstore import PgStore
from qms.store import Store
from qms.verify import verify_store

WORKER = Path(__file__).with_name("store_worker.py")


@pytest.fixture
def schema() -> str:
    return "t_" + uuid.uuid4().hex[:12]


@pytest.fixture
def store(tmp_path: Path, pg_url: str, schema: str) -> PgStore:
    made = open_at(tmp_path / "records", pg_url, schema)
    assert isinstance(made, PgStore)
    return made


def _sql(url: str, query: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def _file(store: Store, n_items: int = 1) -> list[str]:
    keys = []
    for _ in range(n_items):
        with store.transaction():
            n = store.next_number("items", lambda k: store.get("items", f"IT-{k:06d}") is not None)
            key = f"IT-{n:06d}"
            store.put("items", key, {"number": key, "form": "QR-1", "state": "open"}, actor="t", action="item.file")
        keys.append(key)
    return keys


def test_a_refused_unit_of_work_leaves_no_object_no_number_and_no_entry(store: PgStore, tmp_path: Path) -> None:
    _file(store)
    before = (store.keys("items"), store.sequence_value("items"), store.audit.count())  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        with store.transaction():
            n = store.next_number("items", lambda k: False)
            store.put("items", f"IT-{n:06d}", {"number": n}, actor="t", action="item.file")
            sha = store.put_blob(b"scan", actor="t", action="item.attach", detail={})
            assert store.blob_path(sha).exists()
            raise RuntimeError("refused at a later step")
    assert (store.keys("items"), store.sequence_value("items"), store.audit.count()) == before  # type: ignore[attr-defined]
    assert not store.blob_path(sha).exists()  # the attachment it brought is gone too
    assert _file(store) == ["IT-000002"]  # the next number is the one the refusal did not use up


def test_the_chain_is_one_with_the_objects_and_verify_finds_it_intact(store: PgStore, tmp_path: Path) -> None:
    _file(store, 5)
    store.delete("items", "IT-000002", actor="t", action="item.dispose", reason="保存期满")
    problems, entries = store.audit.check_chain()
    assert problems == [] and [e["seq"] for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0]["prev"] == "0" * 64 and all(b["prev"] == a["hash"] for a, b in zip(entries, entries[1:]))
    assert entries[-1]["state"] is None and store.get("items", "IT-000002") is None
    report = verify_store(store, tmp_path)
    assert report.ok, report.problems
    assert report.entries == 6 and report.objects == 4


def test_the_audit_table_refuses_update_and_delete(store: PgStore, pg_url: str, schema: str) -> None:
    _file(store)
    for statement in (f"UPDATE {schema}.audit SET line = 'x'", f"DELETE FROM {schema}.audit",
                      f"TRUNCATE {schema}.audit"):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            _sql(pg_url, statement)
    assert store.audit.count() == 1  # type: ignore[attr-defined]


def test_verify_names_every_row_changed_behind_its_back(store: PgStore, pg_url: str, schema: str,
                                                        tmp_path: Path) -> None:
    _file(store, 4)
    s = schema
    _sql(pg_url, f"UPDATE {s}.objects SET body = jsonb_set(body, '{{state}}', '\"closed\"') WHERE key = 'IT-000001'")
    _sql(pg_url, f"DELETE FROM {s}.objects WHERE key = 'IT-000002'")
    _sql(pg_url, f"INSERT INTO {s}.objects (collection, key, body) VALUES ('items', 'IT-000099', '{{}}')")
    # The owner of the database can switch the trigger off: the chain still gives the edit away.
    _sql(pg_url, f"ALTER TABLE {s}.audit DISABLE TRIGGER audit_no_change")
    _sql(pg_url, f"UPDATE {s}.audit SET line = replace(line, '\"actor\":\"t\"', '\"actor\":\"x\"') WHERE seq = 4")
    report = verify_store(store, tmp_path)
    found = {p.object: p.message for p in report.problems}
    assert "changed outside qms" in found["items/IT-000001"]
    assert "missing from the store" in found["items/IT-000002"]
    assert "never logged" in found["items/IT-000099"]
    assert "was edited" in found["audit entry 4"]
    assert not report.ok


def test_queries_by_form_and_state_use_the_server_and_match_the_folder_store(store: PgStore, tmp_path: Path) -> None:
    folder = Store(tmp_path / "folder")
    for target in (store, folder):
        for i in range(30):
            obj = {"number": f"R-{i:04d}", "form": f"QR-{i % 3}", "state": "open" if i % 2 else "closed", "n": i}
            target.put("records", obj["number"], obj, actor="t", action="record.file")
    for fields in ({"form": "QR-1"}, {"form": frozenset({"QR-1", "QR-2"}), "state": "open"}, {"n": 7}):
        assert store.query("records", **fields) == sorted(folder.query("records", **fields), key=lambda o: o["number"])
    rows = store.project("records", "open", "1", lambda k, o: k if o["state"] == "open" else None)
    assert sorted(rows) == [f"R-{i:04d}" for i in range(30) if i % 2]
    store.put("records", "R-0001", {"number": "R-0001", "form": "QR-1", "state": "closed"}, actor="t", action="close")
    store.delete("records", "R-0003", actor="t", action="dispose", reason="到期")
    rows = store.project("records", "open", "1", lambda k, o: k if o["state"] == "open" else None)
    assert sorted(rows) == [f"R-{i:04d}" for i in range(5, 30, 2)]


def _workers(tmp_path: Path, pg_url: str, schema: str, count: int, per: int,
             folders: list[Path]) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "QMS_WORKER_URL": pg_url, "QMS_WORKER_SCHEMA": schema}
    return [subprocess.Popen([sys.executable, str(WORKER), str(folders[w % len(folders)]), str(w), str(per)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for w in range(count)]


@pytest.mark.slow
def test_eight_writers_on_four_hosts_lose_nothing_and_form_one_chain(tmp_path: Path, pg_url: str,
                                                                     schema: str) -> None:
    # Four folders, as four hosts: two writers share each folder, and the folders share nothing
    # but the database (no lock file in common).
    folders = [tmp_path / f"host{h}" / "records" for h in range(4)]
    for folder in folders:
        folder.mkdir(parents=True)
    procs = _workers(tmp_path, pg_url, schema, 8, 200, folders)
    acknowledged: list[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        acknowledged += out.split()
    store = open_at(folders[0], pg_url, schema)
    keys = store.keys("items")
    assert len(acknowledged) == 1600 and len(set(acknowledged)) == 1600  # no duplicate number handed out
    assert sorted(acknowledged) == keys  # none lost, none stored unacknowledged
    assert keys == [f"IT-{n:06d}" for n in range(1, 1601)]  # no gap
    report = verify_store(store, folders[0])
    assert report.ok, report.problems[:5]
    assert report.entries == 1600


def _wait_for(proc: subprocess.Popen[str], prefix: str) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith(prefix), (line, proc.stderr.read() if proc.stderr else "")
    return line.split()[1]


def test_a_writer_killed_inside_its_transaction_leaves_neither_object_nor_entry(tmp_path: Path, pg_url: str,
                                                                                schema: str) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    store = open_at(folder, pg_url, schema)
    _file(store, 2)
    env = {**os.environ, "QMS_WORKER_URL": pg_url, "QMS_WORKER_SCHEMA": schema}
    proc = subprocess.Popen([sys.executable, str(WORKER), str(folder), "k", "1", "hold"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    key = _wait_for(proc, "holding")
    assert key == "IT-000003"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    # The server notices the dead client and rolls its transaction back: the row locks go with it.
    assert _file(store) == ["IT-000003"]
    assert store.keys("items") == ["IT-000001", "IT-000002", "IT-000003"]
    assert "worker" not in (store.get("items", "IT-000003") or {})  # the number went to the next writer
    report = verify_store(store, tmp_path)
    assert report.ok and report.entries == 3


@pytest.fixture
def own_server() -> Iterator[object]:
    """A server of this test's own, so that restarting it disturbs no other test."""
    from qms.pgcluster import Cluster

    cluster = Cluster.start()  # in a folder of its own under /tmp: the server user cannot enter tmp_path
    yield cluster
    cluster.stop()


@pytest.mark.slow
def test_a_server_restart_in_the_middle_of_a_batch_gives_a_clear_error_and_the_retry_completes(
        tmp_path: Path, own_server: object, schema: str) -> None:
    url = own_server.url  # type: ignore[attr-defined]
    folder = tmp_path / "records"
    folder.mkdir()
    open_at(folder, url, schema)  # the schema exists before the writers start
    procs = _workers(tmp_path, url, schema, 2, 300, [folder])
    assert procs[0].stdout is not None
    acknowledged = [procs[0].stdout.readline().strip() for _ in range(40)]  # well into the batch
    own_server.restart("immediate")  # type: ignore[attr-defined]  # as a crash: recovery from the WAL at start
    retries = ""
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        acknowledged += out.split()
        retries += err
    assert "retry: " in retries  # the client was told, in one line, and tried again
    assert "connection to the database was lost" in retries or "cannot be read" in retries
    from qms.pgstore import close_pools

    close_pools()
    store = open_at(folder, url, schema)
    keys = store.keys("items")
    assert set(acknowledged) <= set(keys) and len(set(acknowledged)) == len(acknowledged)
    assert keys == [f"IT-{n:06d}" for n in range(1, len(keys) + 1)]  # gapless: an unconfirmed write is whole or absent
    assert len(keys) - len(acknowledged) <= 2  # at most one write per writer was in doubt when the server went
    report = verify_store(store, folder)
    assert report.ok, report.problems[:5]
    assert report.entries == len(keys) and {digest(o) for _, o in store.iter("items")}


def test_a_rewritten_audit_table_is_caught_since_an_earlier_head(tmp_path: Path, pg_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from recordkit import make_workspace, run

    from qms.app import App
    from qms.audit import canonical, entry_hash
    from qms.backend import settings_of

    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")
    monkeypatch.setenv("QMS_STORE_URL", pg_url)
    app = make_workspace(tmp_path / "ws")
    assert app.store.kind == "postgresql"
    for i in range(5):
        app.store.put("items", f"IT-{i}", {"i": i}, actor="t", action="file")
    saved = run(app, ["head", "--save"])
    assert saved.exit_code == 0, saved.output
    last = app.store.audit.last()
    assert last is not None
    head = app.workspace.records / "anchors" / f"head-{last['seq']:010d}.json"
    app.store.put("items", "IT-100", {"i": 100}, actor="t", action="file")
    assert run(app, ["verify", "--since", str(head)]).exit_code == 0
    # The database's owner switches the trigger off, drops an early entry and re-hashes the rest:
    # the chain is whole again, but it no longer passes through the head kept outside.
    _, schema = settings_of(app.workspace.config.raw, app.workspace.root)
    entries = list(app.store.audit.entries())
    del entries[2]
    prev, rows = "0" * 64, []
    for seq, entry in enumerate(entries, start=1):
        full = {k: v for k, v in entry.items() if k != "hash"} | {"seq": seq, "prev": prev}
        full["hash"] = prev = entry_hash(full)
        rows.append((seq, full["collection"], full["key"], canonical(full).decode("utf-8")))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {schema}.audit DISABLE TRIGGER audit_no_change")
        conn.execute(f"DELETE FROM {schema}.audit")
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {schema}.audit (seq, collection, key, line) VALUES (%s, %s, %s, %s)", rows)
        conn.execute(f"UPDATE {schema}.chain SET seq = %s, hash = %s", (len(rows), prev))
    bad = run(App(app.workspace, app.host), ["verify", "--since", str(head)])
    assert bad.exit_code == 1, bad.output
    assert f"audit.log entry {last['seq']}: rewritten" in bad.output


def test_a_database_that_cannot_be_reached_is_one_line_at_once(tmp_path: Path) -> None:
    from qms.workspace import init_workspace, set_store_table

    ws = init_workspace(tmp_path / "ws", kind="test")
    set_store_table(ws.root / "qms.toml", f"postgresql://qms@/quality?host={tmp_path}/nowhere&port=1", "qms_x")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "qms", "--workspace", str(ws.root), "record", "list"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and time.monotonic() - started < 10
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot connect to the database at") \
        and "check that the server runs" in lines[0] and "Traceback" not in done.stderr, lines


@pytest.mark.folder_store  # the workspace is made without a [store] table; the test writes its own
@pytest.mark.parametrize(("table", "says"), [
    ('url = "mysql://x/y"', "store.url in qms.toml must start with postgresql://"),
    ('url = "postgresql:///x"\nschema = "Bad-Name"', "schema 'Bad-Name' must be lower-case letters"),
    ("url = 5", "store.url in qms.toml must be a string"),
])
def test_a_bad_store_table_is_one_line(tmp_path: Path, table: str, says: str) -> None:
    from click.testing import CliRunner

    from qms.cli import build
    from qms.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws", kind="test")
    config = ws.root / "qms.toml"
    config.write_text(f"[store]\n{table}\n\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    argv = ["--workspace", str(ws.root), "record", "list"]
    result = CliRunner().invoke(build(argv), argv)
    assert result.exit_code == 2 and says in result.output and len(result.output.strip().splitlines()) == 1


def test_two_units_changing_one_object_at_once_collide_and_done_again_both_land(store: PgStore, tmp_path: Path) -> None:
    import threading

    from qms.errors import WriteConflict
    from qms.records import retrying

    [key] = _file(store)
    both_read = threading.Barrier(2)
    tries: list[str] = []
    collided: list[str] = []

    def change(who: str) -> None:
        def unit() -> None:
            tries.append(who)
            try:
                with store.transaction():
                    body = store.get("items", key)  # share-locked until the unit ends
                    assert body is not None
                    if tries.count(who) == 1:
                        both_read.wait(timeout=30)  # the first time, both hold the row before either writes
                    body["by"] = [*body.get("by", []), who]
                    store.put("items", key, body, actor=who, action="item.update")
            except WriteConflict:
                collided.append(who)
                raise

        retrying(unit)

    threads = [threading.Thread(target=change, args=(who,)) for who in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(collided) == 1 and len(tries) == 3, "one unit was undone by the collision and done again"
    final = store.get("items", key)
    assert final is not None and sorted(final["by"]) == ["a", "b"], "neither change was lost"
    updates = [e for e in store.history("items", key) if e["action"] == "item.update"]
    assert sorted(e["actor"] for e in updates) == ["a", "b"]
    assert verify_store(store, tmp_path).ok
