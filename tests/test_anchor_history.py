"""A history of signed chain heads kept by the workspace: one under records/anchors/ every 100 audit
entries or once a day, and one on demand with `qms head --save`; `qms verify --since` takes any of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from recordkit import make_workspace, run

from qms import anchors
from qms.app import App
from qms.audit import canonical, entry_hash


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")


def _anchors(app: App) -> list[Path]:
    return sorted((app.workspace.records / "anchors").glob("head-*.json"))


def _seq(path: Path) -> int:
    return int(json.loads(path.read_text(encoding="utf-8"))["seq"])


def _put(app: App, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        app.store.put("items", f"IT-{i}", {"i": i}, actor="t", action="file")


def test_a_signed_head_is_kept_at_most_once_per_100_audit_entries(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _put(app, 250)
    saved = _anchors(app)
    seqs = [_seq(p) for p in saved]
    last = app.store.audit.last()
    assert last is not None and last["seq"] > 250
    assert len(saved) == 3, seqs  # the first commit of the day, then every 100 entries
    assert all(b - a == 100 for a, b in zip(seqs, seqs[1:])), seqs
    assert all(p.name == f"head-{_seq(p):010d}.json" for p in saved)
    key = anchors.load_key(app.workspace.records, create=False)
    entries = {e["seq"]: e for e in app.store.audit.entries()}
    for path in saved:
        head = anchors.load_head(str(path))
        anchors.check_signature(head, key.public_raw)  # signed with the workspace key, or this raises
        assert entries[head.seq]["hash"] == head.hash
    # Outside the chain: keeping heads writes no audit entry, and verify still finds the log intact.
    assert not any(e.get("action", "").startswith("anchor") for e in app.store.audit.check_chain()[1])
    result = run(app, ["verify", "--full", "--since", str(saved[0])])
    assert result.exit_code == 0, result.output
    assert f"since: the log extends chain head #{seqs[0]}" in result.output


def test_a_signed_head_is_kept_once_a_day_even_with_few_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_workspace(tmp_path / "ws")
    _put(app, 3)
    assert len(_anchors(app)) == 1
    monkeypatch.setenv("QMS_NOW", "2026-10-10T09:00:00")
    _put(app, 2, start=10)
    saved = _anchors(app)
    assert len(saved) == 2
    assert json.loads(saved[1].read_text(encoding="utf-8"))["at"].startswith("2026-10-10")
    _put(app, 2, start=20)  # the same day, fewer than 100 entries later: no new head
    assert len(_anchors(app)) == 2


@pytest.mark.folder_store  # rewrites the log file
def test_head_save_keeps_a_head_that_verify_since_checks_and_a_rehashed_log_fails(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _put(app, 5)
    result = run(app, ["head", "--save"])
    assert result.exit_code == 0, result.output
    last = app.store.audit.last()
    assert last is not None
    path = app.workspace.records / "anchors" / f"head-{last['seq']:010d}.json"
    assert path.is_file() and str(path.relative_to(app.workspace.root)) in result.output
    assert _seq(path) == last["seq"]
    _put(app, 3, start=100)
    ok = run(app, ["verify", "--since", str(path)])
    assert ok.exit_code == 0, ok.output
    # Someone holding the folder drops an early entry and re-hashes the chain: plain verify is fooled,
    # the kept head is not.
    log = app.workspace.records / "audit.log"
    entries = [json.loads(line) for line in log.read_bytes().splitlines()]
    del entries[2]
    prev, out = "0" * 64, []
    for seq, entry in enumerate(entries, start=1):
        full = {k: v for k, v in entry.items() if k != "hash"} | {"seq": seq, "prev": prev}
        full["hash"] = prev = entry_hash(full)
        out.append(canonical(full) + b"\n")
    log.write_bytes(b"".join(out))
    bad = run(App(app.workspace, app.host), ["verify", "--full", "--since", str(path)])
    assert bad.exit_code == 1, bad.output
    assert f"audit.log entry {last['seq']}: rewritten" in bad.output


def test_head_save_in_a_workspace_with_no_log_writes_the_genesis_head(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws", users=False)
    result = run(app, ["head", "--save"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in _anchors(app)] == ["head-0000000000.json"]
