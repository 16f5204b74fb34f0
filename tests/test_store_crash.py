"""An object and its audit entry commit together: a writer killed at any step loses nothing acknowledged.

Real writer processes (``tests/store_worker.py``) die by SIGKILL, either at a named step of a write
(``QMS_CRASH_AT``, see ``qms.faults``) or at a random moment from outside. Whoever next opens the
workspace rolls the unfinished write back or forward and logs it, so ``qms verify`` reports the
workspace intact, and every write the worker acknowledged is still there.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from qms import faults
from qms.cli import build
from qms.store import Store
from qms.verify import verify_store
from qms.workspace import Workspace, init_workspace

# Tests of the folder store's own files: on TinyDB in every run (PostgreSQL: tests/test_pg_*.py).
pytestmark = pytest.mark.folder_store

WORKER = Path(__file__).with_name("store_worker.py")
WRITE_STEPS = [s for s in faults.STEPS if not s.startswith("recover-")]


def _env(crash_at: str | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    env.pop(faults.ENV, None)
    if crash_at:
        env[faults.ENV] = crash_at
    return env


def _run_worker(records: Path, crash_at: str | None, count: int = 30, worker: str = "w") -> tuple[int, list[str]]:
    proc = subprocess.run([sys.executable, str(WORKER), str(records), worker, str(count), "mixed"],
                          env=_env(crash_at), capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout.splitlines()


def _acknowledged(lines: list[str]) -> tuple[set[str], dict[str, int]]:
    """Keys filed and the last revision each amended key was acknowledged at."""
    filed: set[str] = set()
    revs: dict[str, int] = {}
    for line in lines:
        if line.startswith("amend "):
            _, key, rev = line.split()
            revs[key] = int(rev)
        elif line.strip():
            filed.update(line.split())
    return filed, revs


def _assert_nothing_lost(store: Store, lines: list[str]) -> None:
    filed, revs = _acknowledged(lines)
    stored = {o["number"]: o for o in store.query("items")}
    assert filed <= set(stored), f"acknowledged writes lost: {sorted(filed - set(stored))}"
    for key, rev in revs.items():
        assert stored[key]["rev"] >= rev, f"the acknowledged amendment of {key} was lost"
    numbers = sorted(int(k[3:]) for k in stored)
    assert numbers == list(range(1, len(numbers) + 1)), "a number was used up by a write that was rolled back"


def _recoveries(store: Store) -> list[dict[str, Any]]:
    return [e for e in store.audit.entries() if e["action"] == "store.recover"]


@pytest.mark.parametrize("nth", [4, 7, 11])
@pytest.mark.parametrize("step", WRITE_STEPS)
def test_a_writer_killed_at_any_step_leaves_both_object_and_log_entry_or_neither(tmp_path: Path, step: str, nth: int) -> None:
    records = tmp_path / "records"
    code, lines = _run_worker(records, f"{step}@{nth}")
    assert code == -signal.SIGKILL, f"the worker never reached step {step!r} a {nth}th time"
    report = verify_store(Store(records), tmp_path)
    assert report.ok, report.problems
    store = Store(records)
    _assert_nothing_lost(store, lines)
    assert (records / ".intent").read_bytes() == b""
    leftovers = [p for p in records.rglob(".tmp-*") if "cache" not in p.parts]
    assert leftovers == [], "a temporary file of the interrupted write was left behind"
    # Before the audit entries are durable the write is undone; after its commit mark it is kept;
    # once the intent is emptied there is nothing left to recover.
    expected = {"done": [], "commit": ["rolled forward"]}.get(step, ["rolled back"])
    assert [r["detail"]["outcome"] for r in _recoveries(store)] == expected
    # The workspace goes on: the next writer chains on cleanly and reuses no number.
    code, more = _run_worker(records, None, count=4)
    assert code == 0
    store = Store(records)
    _assert_nothing_lost(store, lines + more)
    assert verify_store(store, tmp_path).ok


@pytest.mark.parametrize("step", ["intent", "remember", "replaced", "audit"])
def test_the_next_writer_recovers_under_the_lock_before_it_writes(tmp_path: Path, step: str) -> None:
    records = tmp_path / "records"
    code, lines = _run_worker(records, f"{step}@5")
    assert code == -signal.SIGKILL
    assert (records / ".intent").read_bytes() != b""
    code, more = _run_worker(records, None, count=3)  # no reader or verify in between
    assert code == 0
    store = Store(records)
    assert [r["detail"]["outcome"] for r in _recoveries(store)] == ["rolled back"]
    _assert_nothing_lost(store, lines + more)
    assert verify_store(store, tmp_path).ok


@pytest.mark.parametrize("step", ["recover-restored", "recover-logged"])
def test_a_recovery_killed_half_way_is_finished_by_the_next_one(tmp_path: Path, step: str) -> None:
    records = tmp_path / "records"
    code, lines = _run_worker(records, "replaced@6")
    assert code == -signal.SIGKILL
    code, _ = _run_worker(records, f"{step}@1", count=1)  # dies recovering, before writing anything
    assert code == -signal.SIGKILL
    store = Store(records)
    report = verify_store(store, tmp_path)
    assert report.ok, report.problems
    assert len(_recoveries(store)) == 1, "the interrupted recovery's own entry must not stay in the log twice"
    _assert_nothing_lost(store, lines)


def test_a_reader_opening_the_workspace_recovers_a_dead_writers_unfinished_write(tmp_path: Path) -> None:
    records = tmp_path / "records"
    code, lines = _run_worker(records, "audit@8")
    assert code == -signal.SIGKILL
    store = Store(records)
    _assert_nothing_lost(store, lines)  # the first read rolls the dead writer's work back
    assert len(store.recovered) == 1 and store.recovered[0].outcome == "rolled back"
    chain_problems, _ = store.audit.check_chain()
    assert chain_problems == []


def test_a_long_running_reader_recovers_a_writer_that_died_after_it_started(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    records = tmp_path / "records"
    code, lines = _run_worker(records, None, count=3)
    reader = Store(records)  # a server's store, open before the crash
    assert len(reader.query("items")) == 4  # a filing, an amendment, a bulk filing of three
    monkeypatch.setattr("qms.store.RECHECK_SECONDS", 0.0)  # instead of waiting a second
    code, more = _run_worker(records, "replaced@3")
    assert code == -signal.SIGKILL
    _assert_nothing_lost(reader, lines + more)
    assert [r.outcome for r in reader.recovered] == ["rolled back"]
    assert verify_store(reader, tmp_path).ok


def test_the_head_handed_out_is_never_one_a_unit_of_work_under_way_may_roll_back(tmp_path: Path) -> None:
    records = tmp_path / "records"
    Store(records).put("items", "IT-000001", {"rev": 0}, actor="t", action="item.file")
    before = Store(records).audit.last()
    writing, refuse = threading.Event(), threading.Event()

    def refused_command() -> None:
        store = Store(records)
        with contextlib.suppress(RuntimeError), store.transaction():
            store.put("items", "IT-000002", {"rev": 0}, actor="t", action="item.file")
            writing.set()
            refuse.wait(10)
            raise RuntimeError("a later step refused")

    worker = threading.Thread(target=refused_command)
    worker.start()
    assert writing.wait(10)
    assert Store(records).audit.last() != before  # an unlocked read sees the entry under way
    heads: list[object] = []
    reader = threading.Thread(target=lambda: heads.append(Store(records).last_committed()))
    reader.start()
    reader.join(0.3)
    assert heads == [], "the head was read while a unit of work was under way"
    refuse.set()
    worker.join(10)
    reader.join(10)
    assert heads == [before]


def test_a_read_only_copy_with_an_unfinished_write_is_read_as_it_is_and_the_write_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = tmp_path / "records"
    code, lines = _run_worker(records, "replaced@6")
    assert code == -signal.SIGKILL
    before = {p: p.read_bytes() for p in records.rglob("*") if p.is_file()}
    store = Store(records)

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(store._lock, "acquire", read_only)  # root may write anywhere: pretend
    assert store.get("items", "IT-000001") is not None
    report = verify_store(store, tmp_path)
    assert not report.ok and report.problems[0].object == "records/.intent"
    assert "qms doctor" in report.problems[0].message
    assert {p: p.read_bytes() for p in records.rglob("*") if p.is_file()} == before


def test_qms_doctor_says_what_it_recovered_and_logs_it(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", "测试公司")
    code, lines = _run_worker(ws.records, "replaced@6")
    assert code == -signal.SIGKILL
    runner = CliRunner()
    result = runner.invoke(build([]), ["--workspace", str(ws.root), "doctor", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [r["outcome"] for r in out["recovered"]] == ["rolled back"]
    assert out["recovered"][0]["files"] and out["verify"]["ok"] is True
    assert out["recoveries_logged"] == 1  # the one just made is in the log now
    again = runner.invoke(build([]), ["--workspace", str(ws.root), "doctor"])
    assert again.exit_code == 0, again.output
    assert "nothing to recover" in again.output and "intact" in again.output
    verify = runner.invoke(build([]), ["--workspace", str(ws.root), "verify"])
    assert verify.exit_code == 0 and "intact" in verify.output


def test_qms_doctor_still_names_a_hand_edit_and_exits_1(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", "测试公司")
    code, _ = _run_worker(ws.records, None, count=2)
    bucket = ws.records / "db" / "items" / "IT-0.json"
    bucket.write_text(bucket.read_text("utf-8").replace('"rev": 1', '"rev": 9'), encoding="utf-8")
    result = CliRunner().invoke(build([]), ["--workspace", str(ws.root), "doctor"])
    assert result.exit_code == 1
    assert "nothing to recover" in result.output and "CHANGED items/IT-000001" in result.output


def test_qms_verify_after_a_crash_reports_intact_and_logs_the_recovery(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", "测试公司")
    code, lines = _run_worker(ws.records, "audit-torn@4")  # half of a bulk filing's three audit lines written
    assert code == -signal.SIGKILL
    result = CliRunner().invoke(build([]), ["--workspace", str(ws.root), "verify", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True
    store = Store(ws.records)
    [recovery] = _recoveries(store)
    assert recovery["detail"]["audit_entries_dropped"] == 1
    _assert_nothing_lost(store, lines)


COMPLAINT = ("--set", "received_at=2026-12-05T09:00:00", "--set", "channel=电话", "--set", "customer=某某公司",
             "--set", "content=漏水")


@pytest.mark.parametrize("step", ["remember", "replaced", "audit", "commit"])
def test_qms_record_new_killed_at_each_of_its_writes_files_the_record_whole_or_not_at_all(
        workspace: Workspace, add_user: Callable[..., None], step: str) -> None:
    add_user("zhao", "department", "业务部")
    qms = [sys.executable, "-m", "qms", "--workspace", str(workspace.root)]
    filed: list[str] = []
    for nth in range(1, 30):
        run = subprocess.run([*qms, "--as", "zhao", "record", "new", "QR-8.2-01", *COMPLAINT],
                             env=_env(f"{step}@{nth}"), capture_output=True, text=True, timeout=60)
        if run.returncode == 0:
            filed.append(run.stdout.split()[1])
            break
        assert run.returncode == -signal.SIGKILL, run.stderr
        verify = subprocess.run([*qms, "verify", "--json"], env=_env(), capture_output=True, text=True, timeout=60)
        assert verify.returncode == 0 and json.loads(verify.stdout)["ok"], verify.stdout
    assert filed, f"qms record new never finished without reaching step {step!r} again"
    assert nth > 1, f"qms record new never reached step {step!r}"
    numbers = sorted(Store(workspace.records).keys("records"))
    # Rolled back: the number was not used up; rolled forward (after the commit mark): it was filed.
    assert numbers == [f"KS-2026-{i:04d}" for i in range(1, len(numbers) + 1)] and filed[-1] == numbers[-1]
    assert len(numbers) == (nth if step == "commit" else 1)


@pytest.mark.slow
def test_random_kills_of_real_writers_lose_no_acknowledged_write(tmp_path: Path) -> None:
    """At least 200 writers killed at random moments: 0 acknowledged writes lost, 0 verify failures."""
    seed = int(os.environ.get("QMS_KILL_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    records = tmp_path / "records"
    lines: list[str] = []
    kills = failures = 0
    while kills < 200:
        proc = subprocess.Popen([sys.executable, str(WORKER), str(records), str(kills % 3), "100000", "mixed"],
                                env=_env(), stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for _ in range(rng.randint(1, 4)):
            lines.append(proc.stdout.readline().strip())
        time.sleep(rng.uniform(0, 0.012))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        lines.extend(proc.stdout.read().splitlines())  # acknowledged before the kill landed
        proc.stdout.close()
        kills += 1
        if kills % 2 == 0:  # every other time the next writer recovers, not verify
            report = verify_store(Store(records), tmp_path)
            failures += not report.ok
            assert report.ok, (seed, kills, report.problems)
    store = Store(records)
    report = verify_store(store, tmp_path)
    assert report.ok, (seed, report.problems)
    _assert_nothing_lost(store, lines)
    assert kills >= 200 and failures == 0
    assert any(r["detail"]["outcome"] == "rolled back" for r in _recoveries(store)), \
        "no kill landed inside a write: the test did not test recovery"


@pytest.mark.slow
def test_a_writer_killed_beside_a_live_one_is_recovered_by_it(tmp_path: Path) -> None:
    """30 kills of one writer while another keeps writing: the live one recovers under the lock."""
    rng = random.Random(int(os.environ.get("QMS_KILL_SEED", 7)))
    records = tmp_path / "records"
    steady = subprocess.Popen([sys.executable, str(WORKER), str(records), "steady", "100000", "paced"],
                              env=_env(), stdout=subprocess.PIPE, text=True)
    assert steady.stdout is not None
    steady.stdout.readline()
    lines: list[str] = []
    try:
        for kill in range(30):
            proc = subprocess.Popen([sys.executable, str(WORKER), str(records), f"k{kill}", "100000", "mixed"],
                                    env=_env(), stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            lines.append(proc.stdout.readline().strip())
            time.sleep(rng.uniform(0, 0.02))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            lines.extend(proc.stdout.read().splitlines())
            proc.stdout.close()
            assert steady.poll() is None, "the live writer must go on after the other one died"
    finally:
        steady.send_signal(signal.SIGTERM)
        out, _ = steady.communicate()
    lines += out.splitlines()
    store = Store(records)
    report = verify_store(store, tmp_path)
    assert report.ok, report.problems
    _assert_nothing_lost(store, [line for line in lines if line])
    assert any(r["detail"]["outcome"] == "rolled back" for r in _recoveries(store))
