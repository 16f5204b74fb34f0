"""Reads by form touch only that form's buckets: the bucket index beside the TinyDB files.

``Store.query(form=...)`` opens only the buckets whose index entry lists the form. The index is
derived data (``records/cache/records.index.json``): it follows every write, is rebuilt when
missing or unreadable, and is never trusted over a bucket file that changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from qms import due
from qms.app import App
from qms.host import Host, make_plugin_manager
from qms.store import AtomicJSONStorage, Store
from qms.workspace import Workspace, init_workspace

# Tests of the folder store's own files: on TinyDB in every run (PostgreSQL: tests/test_pg_*.py).
pytestmark = pytest.mark.folder_store

FORM = "QR-9.7-01"  # a form no shipped plugin owns
FORM_DEF: dict[str, Any] = {
    "number": FORM, "title": "索引测试记录", "title_en": "Index Test Record", "edition": "A/0",
    "procedure": "QP-7.5-02", "prefix": "IX", "retention": {"years": 3, "after": "closed"},
    "schema": {"type": "object", "required": ["subject"],
               "properties": {"subject": {"type": "string", "title": "主题", "x-en": "Subject"}}},
    "sections": [{"title": "记录 Record", "fields": ["subject"]}],
}


def _record(i: int) -> dict[str, Any]:
    number = f"IX-2026-{i:04d}"
    return {"number": number, "form": FORM, "form_edition": "A/0", "procedure": "QP-7.5-02",
            "procedure_edition": "A/0", "state": "open", "data": {"subject": f"第 {i} 条"},
            "created_at": "2026-11-02T09:00:00", "created_by": "t", "dept": "品质部", "history": [],
            "signatures": [], "attachments": [], "amends": None, "amended_by": [], "closed": False}


class Reads:
    """The bucket files parsed while it is installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        original = AtomicJSONStorage.read

        def read(storage: AtomicJSONStorage) -> Any:
            self.paths.append(storage.path)
            return original(storage)

        monkeypatch.setattr(AtomicJSONStorage, "read", read)

    def of(self, collection: str) -> list[str]:
        return sorted({p.name for p in self.paths if p.parent.name == collection})


def test_a_query_by_form_opens_only_the_buckets_of_that_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "records")
    store.put_many("items", {f"A-2026-{i:04d}": {"form": "A"} for i in range(600)}, actor="t", action="file")
    store.put_many("items", {f"B-2026-{i:04d}": {"form": "B"} for i in range(10)}, actor="t", action="file")
    assert len(store.query("items", form="B")) == 10  # builds the index
    fresh = Store(tmp_path / "records")  # a new process: nothing in memory
    reads = Reads(monkeypatch)
    assert len(fresh.query("items", form="B")) == 10
    assert reads.of("items") == ["B-2026-0.json"]


def test_the_index_follows_writes_into_a_bucket_it_has_already_listed(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    store.put("items", "A-2026-0001", {"form": "A"}, actor="t", action="file")
    assert store.query("items", form="B") == []
    # Same bucket, another form: the bucket's file changed, so its index entry is recomputed.
    store.put("items", "A-2026-0002", {"form": "B", "n": 2}, actor="t", action="file")
    assert store.query("items", form="B") == [{"form": "B", "n": 2}]
    # Another process that wrote in between is seen too.
    Store(tmp_path / "records").put("items", "A-2026-0003", {"form": "B", "n": 3}, actor="t", action="file")
    assert [o["n"] for o in store.query("items", form="B")] == [2, 3]
    assert len(Store(tmp_path / "records").query("items", form="B")) == 2


@pytest.mark.parametrize("damage", ["delete", "garbage", "lie"])
def test_a_missing_broken_or_stale_index_is_rebuilt_from_the_buckets(tmp_path: Path, damage: str) -> None:
    store = Store(tmp_path / "records")
    store.put_many("items", {f"A-2026-{i:04d}": {"form": "A" if i % 2 else "B"} for i in range(300)}, actor="t",
                   action="file")
    assert len(store.query("items", form="B")) == 150
    index = tmp_path / "records" / "cache" / "items.index.json"
    assert index.is_file()
    if damage == "delete":
        index.unlink()
    elif damage == "garbage":
        index.write_bytes(b"\xff{not json")
    else:
        # An index that claims no bucket holds form B: its signatures still match, but only a
        # rewrite of the index could do that, and a rewritten bucket would not match it.
        data = json.loads(index.read_text(encoding="utf-8"))
        for entry in data["buckets"].values():
            entry["values"]["form"] = ["A"]
        index.write_text(json.dumps(data), encoding="utf-8")
        Store(tmp_path / "records").put("items", "A-2026-0002", {"form": "B", "again": True}, actor="t", action="file")
        assert any(o.get("again") for o in Store(tmp_path / "records").query("items", form="B"))
        return
    assert len(Store(tmp_path / "records").query("items", form="B")) == 150


def test_due_with_every_plugin_reads_no_bucket_of_a_form_no_plugin_owns(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    ws = init_workspace(tmp_path / "ws", kind="test")
    (ws.forms / f"{FORM}.yaml").write_text(yaml.safe_dump(FORM_DEF, allow_unicode=True), encoding="utf-8")
    app = App(ws, Host(make_plugin_manager()))  # every shipped plugin, as the CLI loads them
    assert {"complaints", "equipment", "projects", "property"} <= {n for n, _ in app.host.pm.list_name_plugin()}
    app.store.put_many("records", {f"IX-2026-{i:04d}": _record(i) for i in range(1, 1201)}, actor="t",
                       action="record.import")
    due.due_items(app)  # the first run builds the derived caches
    again = App(Workspace.open(ws.root), Host(make_plugin_manager()))  # as a new `qms due` process
    reads = Reads(monkeypatch)
    listed = due.due_items(again)
    assert reads.of("records") == [], "due parsed record buckets of a form no plugin owns"
    assert all(i.get("ref", "").startswith("IX-") is False for i in listed.items)


def test_a_bucket_another_writer_creates_at_once_after_a_read_is_seen(tmp_path: Path) -> None:
    reader = Store(tmp_path / "records")
    reader.put("items", "A-2026-0001", {"form": "A"}, actor="t", action="file")
    for i in range(1, 30):
        # Each write lands in a new bucket right after this reader listed the folder.
        assert len(reader.query("items", form="B")) == i - 1
        assert len(reader.keys("items")) == i
        Store(tmp_path / "records").put("items", f"B-2026-{i * 256:06d}", {"form": "B"}, actor="t", action="file")
    assert len(reader.query("items", form="B")) == 29
    assert len(reader.project("items", "forms", "1", lambda k, o: o["form"], form="B")) == 29


def test_a_bulk_write_leaves_the_index_current_so_the_next_reader_parses_no_bucket_to_index_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = Store(tmp_path / "records")
    writer.put("items", "A-2026-0000", {"form": "A"}, actor="t", action="file")  # a bucket put_many then fills
    writer.put_many("items", {f"A-2026-{i:04d}": {"form": "A" if i % 3 else "C"} for i in range(1, 700)}, actor="t",
                    action="file")
    writer.put_many("items", {f"B-2026-{i:04d}": {"form": "B"} for i in range(10)}, actor="t", action="file")
    reads = Reads(monkeypatch)
    fresh = Store(tmp_path / "records")  # a new process after the bulk load: no query has run yet
    assert fresh.query("items", form="D") == []
    assert reads.of("items") == [], "the first reader after a bulk load parsed buckets to index them"
    assert len(fresh.query("items", form="C")) == 233
    assert reads.of("items") == ["A-2026-0.json", "A-2026-1.json", "A-2026-2.json"]
    assert len(fresh.query("items", form="B")) == 10


def test_a_staged_import_leaves_the_index_current_and_a_rolled_back_one_leaves_it_harmless(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "records")
    store.put("items", "A-2026-0001", {"form": "A"}, actor="t", action="file")  # merged at commit
    staging = tmp_path / "records" / "staging" / "one"
    staged = store.stage(staging, "items", {f"A-2026-{i:04d}": {"form": "C"} for i in range(2, 400)})
    staged += store.stage(staging, "items", {f"B-2026-{i:04d}": {"form": "B"} for i in range(300)})
    with store.transaction():
        store.commit_staged("items", staged, actor="t", action="import")
    reads = Reads(monkeypatch)
    fresh = Store(tmp_path / "records")
    assert fresh.query("items", form="D") == []
    assert reads.of("items") == []
    assert len(fresh.query("items", form="C")) == 398
    assert len(fresh.query("items", form="A")) == 1
    assert len(fresh.query("items", form="B")) == 300
    # An import rolled back after its files were renamed in: the index names buckets whose files
    # are gone or different again, and a reader trusts none of those entries.
    again = store.stage(staging, "items", {f"E-2026-{i:04d}": {"form": "E"} for i in range(5)})
    again += store.stage(staging, "items", {"A-2026-0001": {"form": "E"}})
    with pytest.raises(RuntimeError), store.transaction():
        store.commit_staged("items", again, actor="t", action="import")
        raise RuntimeError("the import fails after its commit_staged")
    later = Store(tmp_path / "records")
    assert later.query("items", form="E") == []
    assert later.get("items", "A-2026-0001") == {"form": "A"}
    assert len(later.query("items", form="A")) == 1
