"""The store loses nothing: concurrent writers, a writer killed mid-write, and tamper detection."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qms.audit import digest
from qms.errors import StoreError
from qms.store import BUCKET_SIZE, Store, bucket_of
from qms.verify import verify_store

# Tests of the folder store's own files: on TinyDB in every run (PostgreSQL: tests/test_pg_*.py).
pytestmark = pytest.mark.folder_store

WORKER = Path(__file__).with_name("store_worker.py")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}


def test_put_get_query_and_overwrite(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    store.put("items", "A-1", {"state": "open", "dept": "品质部"}, actor="t", action="file")
    store.put("items", "A-2", {"state": "closed", "dept": "品质部"}, actor="t", action="file")
    store.put("items", "A-1", {"state": "closed", "dept": "品质部"}, actor="t", action="move")
    assert store.get("items", "A-1") == {"state": "closed", "dept": "品质部"}
    assert len(store.query("items", state="closed")) == 2
    assert store.query("items", where=lambda o: o["state"] == "open") == []
    assert store.get("items", "missing") is None
    assert verify_store(store, tmp_path).ok


def test_returned_objects_are_copies(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    store.put("items", "A-1", {"tags": ["x"]}, actor="t", action="file")
    got = store.get("items", "A-1")
    assert got is not None
    got["tags"].append("y")
    assert store.get("items", "A-1") == {"tags": ["x"]}


def test_buckets_hold_a_bounded_number_of_objects() -> None:
    assert bucket_of("KS-2026-0001") == bucket_of(f"KS-2026-{BUCKET_SIZE - 1:04d}")
    assert bucket_of("KS-2026-0001") != bucket_of(f"KS-2026-{BUCKET_SIZE:04d}")
    assert bucket_of("KS-2026-0001") != bucket_of("KS-2027-0001")
    assert bucket_of("zhang") == bucket_of("zhang") and bucket_of("zhang").startswith("h")


def test_audit_log_is_hash_chained(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    for i in range(3):
        store.put("items", f"A-{i}", {"i": i}, actor="t", action="file", reason="why")
    entries = list(store.audit.entries())
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert entries[1]["prev"] == entries[0]["hash"] and entries[2]["prev"] == entries[1]["hash"]
    assert entries[2]["state"] == digest({"i": 2})
    assert store.audit.head() == entries[-1]["hash"]


@pytest.mark.slow
def test_four_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    records = tmp_path / "records"
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(records), str(w), "200"], env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outputs]
    store = Store(records)
    items = store.query("items")
    assert len(items) == 800
    numbers = sorted(int(o["number"][3:]) for o in items)
    assert numbers == list(range(1, 801)), "numbers must be unique and without gaps"
    for w in range(4):
        assert sorted(o["i"] for o in items if o["worker"] == str(w)) == list(range(200))
    report = verify_store(store, tmp_path)
    assert report.ok, report.problems
    assert report.entries == 800


@pytest.mark.slow
def test_a_writer_killed_mid_write_loses_nothing_committed(tmp_path: Path) -> None:
    records = tmp_path / "records"
    proc = subprocess.Popen([sys.executable, str(WORKER), str(records), "k", "100000"], env=_env(),
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acknowledged = [proc.stdout.readline().strip() for _ in range(60)]
    time.sleep(0.05)  # let it get into the middle of further writes
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    store = Store(records)
    stored = {o["number"] for o in store.query("items")}
    assert set(acknowledged) <= stored, "an acknowledged write was lost"
    report = verify_store(store, tmp_path)
    # The write under way when the writer died is rolled back or forward with its audit entry.
    assert report.ok, report.problems
    # The store keeps working after the crash, and a new write chains on cleanly.
    store.put("items", "IT-999999", {"after": "crash"}, actor="t", action="file")
    assert store.get("items", "IT-999999") == {"after": "crash"}
    chain_problems, _ = store.audit.check_chain()
    assert chain_problems == []


def _store_with_items(tmp_path: Path) -> Store:
    store = Store(tmp_path / "records")
    for i in range(1, 4):
        store.put("items", f"IT-{i}", {"i": i, "note": "原始"}, actor="t", action="file")
    return store


@pytest.fixture(params=[True, False], ids=["full", "incremental"])
def full(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Each tamper test runs ``qms verify --full`` and plain ``qms verify`` from a checkpoint taken before the tamper."""
    from qms import verify

    # The files look old enough for the checkpoint to trust their stat signatures (the case to get right).
    monkeypatch.setattr(verify, "now_ns", lambda: time.time_ns() + 60_000_000_000)
    return bool(request.param)


def _checkpoint(store: Store, tmp_path: Path, full: bool) -> None:
    """For the incremental run: a clean verify leaves its checkpoint before the tamper."""
    if not full:
        assert verify_store(store, tmp_path, full=False).ok
        time.sleep(0.02)  # the tamper lands in a later tick of the file-time clock


def test_a_hand_edited_store_file_is_named(tmp_path: Path, full: bool) -> None:
    store = _store_with_items(tmp_path)
    _checkpoint(store, tmp_path, full)
    bucket = next((tmp_path / "records" / "db" / "items").glob("*.json"))
    data = json.loads(bucket.read_text("utf-8"))
    for doc in data["objects"].values():
        if doc["_key"] == "IT-2":
            doc["obj"]["note"] = "篡改"
    bucket.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = verify_store(Store(tmp_path / "records"), tmp_path, full=full)
    assert [p.object for p in report.problems] == ["items/IT-2"]
    assert store  # the original handle is still usable


def test_an_object_added_by_hand_is_named(tmp_path: Path, full: bool) -> None:
    store = _store_with_items(tmp_path)
    _checkpoint(store, tmp_path, full)
    bucket = next((tmp_path / "records" / "db" / "items").glob("*.json"))
    data = json.loads(bucket.read_text("utf-8"))
    data["objects"]["99"] = {"_key": "IT-3b", "obj": {"forged": True}}
    bucket.write_text(json.dumps(data), encoding="utf-8")
    report = verify_store(Store(tmp_path / "records"), tmp_path, full=full)
    assert [p.object for p in report.problems] == ["items/IT-3b"]
    assert "never logged" in report.problems[0].message


def test_an_edited_audit_entry_is_named(tmp_path: Path, full: bool) -> None:
    store = _store_with_items(tmp_path)
    _checkpoint(store, tmp_path, full)
    log = tmp_path / "records" / "audit.log"
    lines = log.read_text("utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace('"actor":"t"', '"actor":"mallory"')
    log.write_text("".join(lines), encoding="utf-8")
    report = verify_store(Store(tmp_path / "records"), tmp_path, full=full)
    assert any(p.object == "audit.log line 2" and "edited" in p.message for p in report.problems)


def test_a_removed_audit_entry_breaks_the_chain(tmp_path: Path, full: bool) -> None:
    store = _store_with_items(tmp_path)
    _checkpoint(store, tmp_path, full)
    log = tmp_path / "records" / "audit.log"
    lines = log.read_text("utf-8").splitlines(keepends=True)
    log.write_text(lines[0] + lines[2], encoding="utf-8")
    report = verify_store(Store(tmp_path / "records"), tmp_path, full=full)
    objects = {p.object for p in report.problems}
    assert "audit.log line 2" in objects and "items/IT-2" in objects


def test_a_changed_blob_and_a_changed_registered_file_are_named(tmp_path: Path, full: bool) -> None:
    store = Store(tmp_path / "records")
    sha = store.put_blob(b"calibration certificate", actor="t", action="attach", detail={"name": "cert.pdf"})
    out = tmp_path / "records" / "pdf" / "QP-1.pdf"
    out.parent.mkdir(parents=True)
    out.write_bytes(b"%PDF-1.7 rendered")
    import hashlib

    store.register_file("records/pdf/QP-1.pdf", hashlib.sha256(out.read_bytes()).hexdigest(), actor="t", action="render")
    assert verify_store(store, tmp_path, full=full).ok
    time.sleep(0.02)
    store.blob_path(sha).write_bytes(b"calibration certificate (edited)")
    out.write_bytes(b"%PDF-1.7 rendered and edited")
    objects = {p.object for p in verify_store(store, tmp_path, full=full).problems}
    assert objects == {f"attachment {sha[:12]}", "records/pdf/QP-1.pdf"}


def test_a_corrupt_store_file_is_a_clear_error(tmp_path: Path) -> None:
    store = _store_with_items(tmp_path)
    bucket = next((tmp_path / "records" / "db" / "items").glob("*.json"))
    bucket.write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="not valid JSON"):
        Store(tmp_path / "records").get("items", "IT-1")
    assert store


def test_put_many_writes_each_bucket_once_and_logs_every_object(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    store.put("items", "IT-000001", {"i": 0}, actor="t", action="file")
    objects = {f"IT-{i:06d}": {"i": i} for i in range(1, 1201)}
    assert store.put_many("items", objects, actor="t", action="import") == 1200
    assert len(store.keys("items")) == 1200
    assert store.get("items", "IT-000001") == {"i": 1}
    buckets = list((tmp_path / "records" / "db" / "items").glob("*.json"))
    assert len(buckets) == 1200 // BUCKET_SIZE + 1
    report = verify_store(store, tmp_path)
    assert report.ok and report.entries == 1201


def test_bucket_files_open_with_plain_tinydb(tmp_path: Path) -> None:
    from tinydb import Query, TinyDB

    store = Store(tmp_path / "records")
    store.put("items", "IT-7", {"note": "样品"}, actor="t", action="file")
    store.put("items", "IT-7", {"note": "样品 (改)"}, actor="t", action="move")
    bucket = next((tmp_path / "records" / "db" / "items").glob("*.json"))
    with TinyDB(str(bucket)) as db:
        docs = db.table("objects").search(Query()._key == "IT-7")
    assert [d["obj"] for d in docs] == [{"note": "样品 (改)"}]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_transaction_that_raises_puts_back_objects_numbers_blobs_and_the_log(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    store.put("items", "A-1", {"state": "open"}, actor="t", action="file")
    store.next_number("items:2026", lambda n: False)
    before = _files(tmp_path / "records")
    with pytest.raises(RuntimeError), store.transaction():
        store.put("items", "A-1", {"state": "closed"}, actor="t", action="move")
        store.put("items", "B-9", {"state": "open"}, actor="t", action="file")
        assert store.next_number("items:2026", lambda n: False) == 2
        store.put_blob(b"photo", actor="t", action="attach", detail={})
        with store.transaction():  # a nested use belongs to the outer unit of work
            store.log_event("items", "A-1", actor="t", action="notify")
        raise RuntimeError("a later step refused")
    assert _files(tmp_path / "records") == before
    assert store.get("items", "A-1") == {"state": "open"} and store.get("items", "B-9") is None
    assert store.next_number("items:2026", lambda n: False) == 2
    assert verify_store(store, tmp_path).ok


def test_a_transaction_keeps_its_writes_on_the_exceptions_it_names(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    with pytest.raises(PermissionError), store.transaction(keep_on=(PermissionError,)):
        store.put("logins", "li", {"failures": 1}, actor="li", action="login.failed")
        raise PermissionError("wrong password")
    assert store.get("logins", "li") == {"failures": 1}
    assert [e["action"] for e in store.audit.entries()] == ["login.failed"]
