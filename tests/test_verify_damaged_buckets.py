"""``qms verify`` names every store file it cannot read (not JSON, not UTF-8, not TinyDB's shape) and goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qms.backend import open_store
from qms.store import Store
from qms.workspace import Workspace
from tests.conftest import Invoke

# Tests of the folder store's own files: on TinyDB in every run (PostgreSQL: tests/test_pg_*.py).
pytestmark = pytest.mark.folder_store


def _bucket(store: Store, collection: str, key: str) -> Path:
    return store.bucket_path(collection, key)


@pytest.mark.parametrize("args", [["verify", "--full"], ["verify"]], ids=["full", "plain"])
def test_verify_names_every_unreadable_bucket_and_the_edited_object_in_one_run(
        workspace: Workspace, invoke: Invoke, args: list[str]) -> None:
    store = open_store(workspace)
    for collection in ("alpha", "beta", "gamma"):
        for i in range(1, 3):
            store.put(collection, f"K-{i}", {"i": i, "note": "原始"}, actor="t", action="file")
    if args == ["verify"]:  # plain verify from the checkpoint a clean run leaves
        clean = invoke("verify")
        assert clean.exit_code == 0, clean.output
        assert (workspace.root / "records" / "cache" / "verify.json").is_file()
    _bucket(store, "alpha", "K-1").write_text("{not json", encoding="utf-8")
    _bucket(store, "beta", "K-1").write_bytes(b'{"objects": {"1": {"_key": "K-1", "obj": "\xff\xfe"}}}')
    gamma = _bucket(store, "gamma", "K-2")
    data = json.loads(gamma.read_text("utf-8"))
    for doc in data["objects"].values():
        if doc["_key"] == "K-2":
            doc["obj"]["note"] = "篡改"
    gamma.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    result = invoke(*args)
    assert result.exit_code == 1, result.output
    alpha_rel = _bucket(store, "alpha", "K-1").relative_to(workspace.root).as_posix()
    beta_rel = _bucket(store, "beta", "K-1").relative_to(workspace.root).as_posix()
    lines = result.output.splitlines()
    assert any(alpha_rel in line and "not valid JSON" in line for line in lines), result.output
    assert any(beta_rel in line and "UTF-8" in line for line in lines), result.output
    assert any("gamma/K-2" in line and "differs" in line for line in lines), result.output
    assert "Traceback" not in result.output
    assert "3 problem(s)" in result.output


def test_verify_names_a_bucket_that_is_json_but_not_a_store_file(workspace: Workspace, invoke: Invoke) -> None:
    store = open_store(workspace)
    store.put("alpha", "K-1", {"i": 1}, actor="t", action="file")
    store.put("beta", "K-1", {"i": 1}, actor="t", action="file")
    _bucket(store, "alpha", "K-1").write_text('{"objects": [1, 2]}', encoding="utf-8")
    result = invoke("verify", "--full")
    assert result.exit_code == 1, result.output
    rel = _bucket(store, "alpha", "K-1").relative_to(workspace.root).as_posix()
    assert any(rel in line and "not a store file" in line for line in result.output.splitlines()), result.output
    assert "1 problem(s)" in result.output
