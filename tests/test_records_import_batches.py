"""`qms record import` validates and stages rows in batches outside the write lock, then files them in one
short, all-or-nothing commit: other writers are not locked out for the length of a large import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from qms.backend import open_store
from qms.workspace import Workspace
from tests.conftest import Invoke

FORM = "QR-8.2-01"
ROW = {"received_at": "2026-12-05T09:00:00", "channel": "电话", "customer": "某某公司", "content": "漏水"}


def _rows(path: Path, n: int, *, bad_last: bool = False) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            row = dict(ROW, customer=f"客户{i}")
            if bad_last and i == n - 1:
                row["received_at"] = "not a time"
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}


# Staging, commit and crash of a bulk import on the folder store's files (PostgreSQL imports in one
# transaction: tests/test_records_import.py runs on both).
pytestmark = pytest.mark.folder_store


def _state(workspace: Workspace) -> tuple[bytes, bytes, list[str]]:
    records = workspace.root / "records"
    seqs = records / "db" / "_sequences.json"
    return ((records / "audit.log").read_bytes(), seqs.read_bytes() if seqs.exists() else b"",
            sorted(p.relative_to(records).as_posix() for p in (records / "db").rglob("*.json")))


def test_an_import_whose_last_row_is_invalid_stores_nothing(
        workspace: Workspace, invoke: Invoke, add_user: Callable[..., None], tmp_path: Path) -> None:
    add_user("zhao", "department", "业务部")
    before = _state(workspace)
    src = _rows(tmp_path / "rows.jsonl", 4500, bad_last=True)  # three batches: the bad row is in the last
    result = invoke("--as", "zhao", "record", "import", FORM, str(src))
    assert result.exit_code != 0
    assert "line 4500" in result.output and "nothing was imported" in result.output
    assert _state(workspace) == before  # no record, no number used, no audit entry
    staging = workspace.root / "records" / "staging"
    assert not staging.exists() or not any(staging.iterdir())  # the staged batches are gone too


def test_an_import_that_fails_at_commit_rolls_back_every_batch(
        workspace: Workspace, invoke: Invoke, add_user: Callable[..., None], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    add_user("zhao", "department", "业务部")
    before = _state(workspace)
    from qms import audit

    real = audit.AuditLog.append_many
    calls = []

    def failing(self: audit.AuditLog, entries: list[dict[str, object]]) -> list[dict[str, object]]:
        if len(entries) > 1:  # the import's own entries, not the form's pin
            calls.append(len(entries))
            if len(calls) == 2:
                raise OSError(28, "No space left on device")
        return real(self, entries)

    monkeypatch.setattr(audit.AuditLog, "append_many", failing)
    src = _rows(tmp_path / "rows.jsonl", 4500)
    with pytest.raises(OSError):
        invoke("--as", "zhao", "record", "import", FORM, str(src))
    assert len(calls) == 2  # the audit entries go in chunks; the second failed after the first was written
    assert _state(workspace) == before


@pytest.mark.slow
def test_another_writer_files_a_record_within_seconds_during_a_large_import(
        workspace: Workspace, add_user: Callable[..., None], tmp_path: Path) -> None:
    add_user("zhao", "department", "业务部")
    src = _rows(tmp_path / "rows.jsonl", 20_000)
    qms = [sys.executable, "-m", "qms", "--workspace", str(workspace.root), "--as", "zhao"]
    # A service request (another form): its filer needs only the lock, not the import's numbers.
    new = [*qms, "record", "new", "QR-8.5-01", "--set", "received_at=2026-12-05T10:00:00", "--set", "channel=巡查发现",
           "--set", "building=3号楼", "--set", "request_type=咨询", "--set", "description=停车位"]

    def file_one() -> float:
        t = time.monotonic()
        other = subprocess.run(new, env=_env(), capture_output=True, text=True, timeout=120)
        assert other.returncode == 0, other.stderr
        return time.monotonic() - t

    alone = sorted(file_one() for _ in range(3))[1]  # what a filing takes with no import running
    started = time.monotonic()
    importer = subprocess.Popen([*qms, "record", "import", FORM, str(src)], env=_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        waits = []
        while importer.poll() is None:  # filing after filing, so that one overlaps the import's commit
            waits.append(file_one())
        out, err = importer.communicate(timeout=600)
    finally:
        if importer.poll() is None:
            importer.kill()
    assert importer.returncode == 0, err
    took = time.monotonic() - started
    assert len(waits) >= 2, f"the import took only {took:.1f} s"
    print(f"import {took:.1f} s; filings alone {alone:.2f} s, during it {sorted(waits)}")
    assert max(waits) - alone < 1.0, (f"a filing took {max(waits):.1f} s (alone {alone:.1f} s) during an import of "
                                      f"{took:.1f} s: it waited for the import's lock")
    store = open_store(workspace)
    numbers = [o["number"] for o in store.query("records", form=FORM)]
    assert len(numbers) == 20_000 and set(numbers) == {f"KS-2026-{i:04d}" for i in range(1, 20_001)}
    assert len(store.query("records", form="QR-8.5-01")) == len(waits) + 3
    check = subprocess.run([*qms[:-2], "verify", "--full"], env=_env(), capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout


def test_a_filing_on_the_same_form_while_the_import_stages_takes_the_next_number_and_the_import_follows(
        workspace: Workspace, invoke: Invoke, add_user: Callable[..., None], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    add_user("zhao", "department", "业务部")
    from qms import records

    asked = records._after_save_wanted
    filed: list[str] = []

    def meanwhile(*args: object) -> list[dict[str, object]]:
        if not filed:  # another writer files a complaint while the import is staging, outside the lock
            result = invoke("--as", "zhao", "record", "new", FORM, *[f"--set={k}={v}" for k, v in ROW.items()])
            assert result.exit_code == 0, result.output
            filed.append(result.output.split()[1])
        return asked(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(records, "_after_save_wanted", meanwhile)
    result = invoke("--as", "zhao", "record", "import", FORM, str(_rows(tmp_path / "rows.jsonl", 2500)))
    assert result.exit_code == 0, result.output
    assert filed == ["KS-2026-0001"]
    store = open_store(workspace)
    numbers = sorted(o["number"] for o in store.query("records", form=FORM))
    assert numbers == [f"KS-2026-{i:04d}" for i in range(1, 2502)]  # consecutive: the import staged again
    assert not any((workspace.root / "records" / "staging").iterdir())
    check = invoke("verify", "--full")
    assert check.exit_code == 0, check.output


def test_an_import_killed_during_its_commit_is_rolled_back_whole_and_its_staging_cleared(
        workspace: Workspace, invoke: Invoke, add_user: Callable[..., None], tmp_path: Path) -> None:
    add_user("zhao", "department", "业务部")
    seqs = workspace.root / "records" / "db" / "_sequences.json"
    before = seqs.read_bytes() if seqs.exists() else b""
    src = _rows(tmp_path / "rows.jsonl", 4500)
    qms = [sys.executable, "-m", "qms", "--workspace", str(workspace.root), "--as", "zhao"]
    # The form's pin is the commit's first audit append; the records' entries follow in chunks:
    # killed after the staged files were renamed into db/ and two chunks of entries were written.
    killed = subprocess.run([*qms, "record", "import", FORM, str(src)], env={**_env(), "QMS_CRASH_AT": "audit@3"},
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    staging = workspace.root / "records" / "staging"
    assert any(staging.iterdir())  # what the dead importer staged is still there
    check = invoke("verify", "--full")  # recovers the unfinished commit first: rolled back
    assert check.exit_code == 0, check.output
    store = open_store(workspace)
    assert store.query("records", form=FORM) == []
    assert (seqs.read_bytes() if seqs.exists() else b"") == before
    assert not any(e["action"] == "record.import" for e in store.audit.entries())
    again = invoke("--as", "zhao", "record", "import", FORM, str(_rows(tmp_path / "two.jsonl", 2)))
    assert again.exit_code == 0, again.output
    assert sorted(o["number"] for o in open_store(workspace).query("records", form=FORM)) == [
        "KS-2026-0001", "KS-2026-0002"]
    assert not any(staging.iterdir())  # the dead importer's staging was cleared by the next import
