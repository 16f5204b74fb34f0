"""Store.project: the on-disk per-bucket cache behind ``due`` and ``record list`` never serves stale rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qms.store import BUCKET_SIZE, Store
from qms.verify import verify_store

# Tests of the folder store's own files: on TinyDB in every run (PostgreSQL: tests/test_pg_*.py).
pytestmark = pytest.mark.folder_store


def _open(key: str, obj: dict[str, Any]) -> dict[str, Any] | None:
    return None if obj["closed"] else {"key": key, "n": obj["n"]}


def test_projection_recomputes_changed_buckets_only_and_is_not_audited(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    store.put_many("items", {f"IT-{i:06d}": {"n": i, "closed": i % 2 == 0} for i in range(1, 1201)},
                   actor="t", action="load")
    calls: list[str] = []

    def counting(key: str, obj: dict[str, Any]) -> dict[str, Any] | None:
        calls.append(key)
        return _open(key, obj)

    first = store.project("items", "open", "1", counting)
    assert len(first) == 600 and len(calls) == 1200
    calls.clear()
    # A new process (new Store) with the cache present reads no bucket at all.
    again = Store(tmp_path / "records").project("items", "open", "1", counting)
    assert again == first and calls == []
    # One object changes in another process: only its bucket is recomputed, and the change shows.
    Store(tmp_path / "records").put("items", "IT-000002", {"n": 2, "closed": False}, actor="t", action="reopen")
    rows = Store(tmp_path / "records").project("items", "open", "1", counting)
    assert {"key": "IT-000002", "n": 2} in rows and len(rows) == 601
    assert len(calls) == BUCKET_SIZE - 1  # bucket IT-0 holds IT-000001 up to the bucket size
    calls.clear()
    # A new projection version recomputes everything.
    Store(tmp_path / "records").project("items", "open", "2", counting)
    assert len(calls) == 1200
    assert (tmp_path / "records" / "cache" / "items.open" / "IT-.json").is_file()
    assert verify_store(store, tmp_path).ok  # the cache is derived data, outside the audited store


def test_a_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    store = Store(tmp_path / "records")
    store.put("items", "IT-1", {"n": 1, "closed": False}, actor="t", action="add")
    assert store.project("items", "open", "1", _open) == [{"key": "IT-1", "n": 1}]
    (tmp_path / "records" / "cache" / "items.open" / "IT-.json").write_text("{broken", encoding="utf-8")
    assert Store(tmp_path / "records").project("items", "open", "1", _open) == [{"key": "IT-1", "n": 1}]
