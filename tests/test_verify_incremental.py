"""Plain ``qms verify`` checks only what changed since the last clean verify, and still names every tampered object.

Each tamper is made after a clean verify has left its checkpoint; the files it left are made to
look old enough to be trusted by their stat signature (``verify.now_ns`` moved on), which is the
case the incremental mode must not be fooled in.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from recordkit import FORM_NUMBER, as_user, good_data, make_workspace, run

from qms import records, verify
from qms.audit import canonical, entry_hash
from qms.store import Store
from qms.verify import verify_store
from qms.verify_checkpoint import checkpoint_path

# Tests of the folder store's own files: on TinyDB in every run (PostgreSQL: tests/test_pg_*.py).
pytestmark = pytest.mark.folder_store


@pytest.fixture(autouse=True)
def files_look_old(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verification runs a minute after the files were written, so their stat signatures are kept."""
    monkeypatch.setattr(verify, "now_ns", lambda: time.time_ns() + 60_000_000_000)


def _store(tmp_path: Path, n: int = 600) -> Store:
    store = Store(tmp_path / "records")
    store.put_many("items", {f"IT-{i:04d}": {"i": i, "note": "原始"} for i in range(1, n + 1)}, actor="t", action="load")
    return store


def _checkpointed(tmp_path: Path) -> Store:
    store = _store(tmp_path)
    first = verify_store(store, tmp_path, full=False)
    assert first.ok and first.mode == "full"  # no checkpoint yet
    time.sleep(0.02)  # the tamper lands in a later tick of the file-time clock than the writes before it
    return store


def _both(tmp_path: Path) -> dict[str, set[str]]:
    """The objects named by a plain (incremental) and then by a full verify (the plain one first)."""
    inc = verify_store(Store(tmp_path / "records"), tmp_path, full=False)
    full = verify_store(Store(tmp_path / "records"), tmp_path, full=True)
    return {"incremental": {p.object for p in inc.problems}, "full": {p.object for p in full.problems}}


def _bucket(tmp_path: Path, key: str) -> Path:
    return Store(tmp_path / "records").bucket_path("items", key)


def test_incremental_verify_after_new_work_replays_only_the_new_entries_and_rereads_only_changed_files(
        tmp_path: Path) -> None:
    store = _checkpointed(tmp_path)
    store.put("items", "IT-0601", {"i": 601}, actor="t", action="file")
    store.put("items", "IT-0002", {"i": 2, "note": "更正"}, actor="t", action="amend")
    report = verify_store(Store(tmp_path / "records"), tmp_path, full=False)
    assert report.ok and report.mode == "incremental"
    assert report.replayed == 2 and report.entries == 602 and report.objects == 601
    assert report.reread == 2  # the two buckets written, not the others
    again = verify_store(Store(tmp_path / "records"), tmp_path, full=False)
    assert again.ok and again.replayed == 0 and again.reread == 0
    full = verify_store(Store(tmp_path / "records"), tmp_path, full=True)
    assert full.ok and full.mode == "full" and full.replayed == 602 and full.reread == 3


def test_an_edit_that_keeps_the_file_size_and_mtime_is_named_by_plain_verify(tmp_path: Path) -> None:
    _checkpointed(tmp_path)
    bucket = _bucket(tmp_path, "IT-0300")
    st = bucket.stat()
    data = bucket.read_bytes()
    edited = data.replace(b'"i": 300,', b'"i": 900,', 1)
    assert edited != data and len(edited) == len(data)
    with bucket.open("r+b") as f:  # in place: same inode
        f.write(edited)
    os.utime(bucket, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = bucket.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)
    assert _both(tmp_path) == {"incremental": {"items/IT-0300"}, "full": {"items/IT-0300"}}


def test_a_hand_edited_object_an_added_one_and_a_removed_bucket_are_named_in_both_modes(tmp_path: Path) -> None:
    _checkpointed(tmp_path)
    bucket = _bucket(tmp_path, "IT-0010")
    raw = json.loads(bucket.read_text("utf-8"))
    for doc in raw["objects"].values():
        if doc["_key"] == "IT-0010":
            doc["obj"]["note"] = "篡改"
    raw["objects"]["9999"] = {"_key": "IT-0011b", "obj": {"forged": True}}
    bucket.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    _bucket(tmp_path, "IT-0590").unlink()  # holds IT-0512 … IT-0600
    named = _both(tmp_path)
    gone = {f"items/IT-{i:04d}" for i in range(512, 601)}
    assert named["incremental"] == named["full"] == {"items/IT-0010", "items/IT-0011b"} | gone


def test_a_changed_blob_and_pdf_are_named_in_both_modes_and_again_on_the_next_verify(tmp_path: Path) -> None:
    store = _store(tmp_path, 3)
    sha = store.put_blob(b"calibration certificate", actor="t", action="attach", detail={"name": "cert.pdf"})
    pdf = tmp_path / "records" / "pdf" / "QP-1.pdf"
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(b"%PDF-1.7 rendered")
    import hashlib

    store.register_file("records/pdf/QP-1.pdf", hashlib.sha256(pdf.read_bytes()).hexdigest(), actor="t", action="render")
    assert verify_store(store, tmp_path, full=False).ok
    time.sleep(0.02)
    blob = store.blob_path(sha)
    st = blob.stat()
    with blob.open("r+b") as f:
        f.write(b"C")  # same size, same inode
    os.utime(blob, ns=(st.st_atime_ns, st.st_mtime_ns))
    pdf.write_bytes(b"%PDF-1.7 rendered and edited")
    expected = {f"attachment {sha[:12]}", "records/pdf/QP-1.pdf"}
    assert _both(tmp_path) == {"incremental": expected, "full": expected}
    # The failed runs left the old checkpoint: the next plain verify names them again.
    assert {p.object for p in verify_store(store, tmp_path, full=False).problems} == expected


def test_an_edited_audit_entry_before_the_checkpoint_is_named_in_both_modes(tmp_path: Path) -> None:
    _checkpointed(tmp_path)
    log = tmp_path / "records" / "audit.log"
    lines = log.read_text("utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace('"actor":"t"', '"actor":"x"')  # same length
    log.write_text("".join(lines), encoding="utf-8")
    # The plain run finds the log's verified part changed, runs in full and says so as well.
    assert _both(tmp_path) == {"incremental": {"audit.log", "audit.log line 2"}, "full": {"audit.log line 2"}}


def test_a_log_cut_back_and_rehashed_since_the_checkpoint_is_named_by_plain_verify(tmp_path: Path) -> None:
    store = _checkpointed(tmp_path)
    store.put("items", "IT-0601", {"i": 601}, actor="t", action="file")
    assert verify_store(store, tmp_path, full=False).ok
    # Someone holding the folder drops the last record and its log line: the chain itself is whole.
    log = tmp_path / "records" / "audit.log"
    kept = log.read_bytes().splitlines(keepends=True)[:-1]
    log.write_bytes(b"".join(kept))
    raw = json.loads(_bucket(tmp_path, "IT-0601").read_text("utf-8"))
    raw["objects"] = {i: d for i, d in raw["objects"].items() if d["_key"] != "IT-0601"}
    _bucket(tmp_path, "IT-0601").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    plain = verify_store(Store(tmp_path / "records"), tmp_path, full=False)
    assert [p.object for p in plain.problems] == ["audit.log"] and "truncated or rewritten" in plain.problems[0].message
    assert verify_store(Store(tmp_path / "records"), tmp_path, full=True).ok  # only a head kept outside shows it


def test_a_new_entry_whose_object_was_not_written_is_named(tmp_path: Path) -> None:
    _checkpointed(tmp_path)
    # A log line forged onto the chain for an object whose bucket is untouched.
    log = tmp_path / "records" / "audit.log"
    last = json.loads(log.read_bytes().splitlines()[-1])
    forged = {**last, "seq": last["seq"] + 1, "prev": last["hash"], "key": "IT-0005", "state": "0" * 64}
    forged["hash"] = entry_hash(forged)
    with log.open("ab") as f:
        f.write(canonical(forged) + b"\n")
    assert _both(tmp_path) == {"incremental": {"items/IT-0005"}, "full": {"items/IT-0005"}}


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"version": "verify:1"}', b'{"version": "verify:0"}'])
def test_a_missing_or_damaged_checkpoint_means_a_full_verify(tmp_path: Path, damage: bytes) -> None:
    _checkpointed(tmp_path)
    path = checkpoint_path(tmp_path / "records")
    path.write_bytes(damage)
    report = verify_store(Store(tmp_path / "records"), tmp_path, full=False)
    assert report.ok and report.mode == "full" and report.replayed == 600
    path.unlink()
    assert verify_store(Store(tmp_path / "records"), tmp_path, full=False).mode == "full"
    assert verify_store(Store(tmp_path / "records"), tmp_path, full=False).mode == "incremental"


def test_qms_verify_says_how_it_checked_and_full_replays_everything(tmp_path: Path) -> None:
    app = as_user(make_workspace(tmp_path / "ws"), "li")
    records.file(app, FORM_NUMBER, good_data())
    first = run(app, ["verify"])
    assert first.exit_code == 0 and "verify: intact" in first.output and "(full:" in first.output
    records.file(app, FORM_NUMBER, good_data(customer="另一家公司"))
    plain = run(app, ["verify"])
    assert plain.exit_code == 0 and "(incremental: " in plain.output, plain.output
    records.file(app, FORM_NUMBER, good_data(customer="另一家公司"))
    again = json.loads(run(app, ["verify", "--json"]).output)
    assert again["ok"] and again["mode"] == "incremental" and 0 < again["replayed"] < again["entries"]
    full = json.loads(run(app, ["verify", "--full", "--json"]).output)
    assert full["ok"] and full["mode"] == "full" and full["replayed"] == full["entries"]
    bucket = next((app.workspace.records / "db" / "records").glob("*.json"))
    st = bucket.stat()
    data = bucket.read_bytes()
    edited = data.replace("另一家公司".encode(), "别的一家司".encode(), 1)
    assert edited != data and len(edited) == len(data)
    with bucket.open("r+b") as f:
        f.write(edited)
    os.utime(bucket, ns=(st.st_atime_ns, st.st_mtime_ns))
    for args in (["verify"], ["verify", "--full"]):
        result = run(app, args)
        assert result.exit_code == 1 and "CHANGED records/" in result.output, result.output
