"""A fixed clock (QMS_NOW) only in a demo or test workspace, marked in the log; verify catches time going back."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qms import clock
from qms.app import App
from qms.audit import AuditLog
from qms.backend import open_store
from qms.cli import build
from qms.host import Host, make_plugin_manager
from qms.workspace import Workspace, init_workspace
from tests.conftest import ADMIN_PASSWORD, Invoke

BACKDATED = "2019-03-04T09:00:00"


def _run(root: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    argv = ["--workspace", str(root), *args]
    return CliRunner().invoke(build(argv), argv, input=input, env=env, catch_exceptions=False)


def _add(root: Path, name: str, env: dict[str, str] | None = None) -> Result:
    actor = [] if name == "admin" else ["--as", "admin"]
    return _run(root, *actor, "user", "add", name, "--role", "admin" if name == "admin" else "department",
                "--dept", "质量管理部", "--password-stdin", env=env, input=ADMIN_PASSWORD + "\n")


def _log(root: Path) -> list[dict[str, object]]:
    return list(open_store(Workspace.open(root)).audit.entries())


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "records").rglob("*"))
            if p.is_file() and p.name != ".qms.lock"}


def test_a_fixed_clock_is_refused_in_a_production_workspace(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws").root
    assert _add(root, "admin").exit_code == 0
    before = _files(root), _log(root)
    refused = _add(root, "li", env={"QMS_NOW": BACKDATED})
    assert refused.exit_code == 1
    assert refused.output.count("\n") == 1 and "QMS_NOW" in refused.output and "unset QMS_NOW" in refused.output
    assert (_files(root), _log(root)) == before  # no user, no audit entry
    assert _add(root, "li").exit_code == 0
    assert _log(root)[-1]["at"] >= datetime.now().replace(microsecond=0).isoformat()[:10]
    assert "clock" not in _log(root)[-1]


def test_a_production_workspace_reads_the_real_clock_even_with_qms_now_set(tmp_path: Path) -> None:
    App(init_workspace(tmp_path / "ws"), Host(make_plugin_manager(plugins=(), entrypoints=False)))
    with clock.frozen_at(BACKDATED):
        assert clock.now().year >= 2026 and not clock.is_fixed()


def test_a_test_workspace_honours_the_fixed_clock_and_marks_each_entry(invoke: Invoke, workspace: Workspace) -> None:
    assert workspace.config.kind == "test"
    assert 'kind = "test"' in (workspace.root / "qms.toml").read_text(encoding="utf-8")
    assert _add(workspace.root, "admin", env={"QMS_NOW": BACKDATED}).exit_code == 0
    entry = _log(workspace.root)[-1]
    assert entry["at"] == BACKDATED and entry["clock"] == "fixed"
    assert _add(workspace.root, "li").exit_code == 0
    assert "clock" not in _log(workspace.root)[-1]


@pytest.mark.folder_store  # it appends to the log file behind the store's back
def test_verify_names_an_entry_whose_time_goes_backwards(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws").root
    assert _add(root, "admin").exit_code == 0
    log = AuditLog(root / "records" / "audit.log")
    last = datetime.fromisoformat(str(_log(root)[-1]["at"]))
    # A system clock turned back: a small step (within the tolerance) passes, two hours do not.
    nudged = log.append({"at": (last - timedelta(minutes=3)).isoformat(), "actor": "admin", "action": "note",
                         "collection": "event", "key": "a", "state": None, "reason": ""})
    turned = log.append({"at": (last - timedelta(hours=2)).isoformat(), "actor": "admin", "action": "note",
                         "collection": "event", "key": "b", "state": None, "reason": ""})
    result = _run(root, "verify")
    assert result.exit_code == 1
    assert f"audit.log entry {turned['seq']}" in result.output and "time went backwards" in result.output
    assert f"audit.log entry {nudged['seq']}:" not in result.output


def test_verify_passes_fixed_clock_entries_only_in_a_demo_or_test_workspace(invoke: Invoke, workspace: Workspace) -> None:
    root = workspace.root
    assert _add(root, "admin", env={"QMS_NOW": "2026-12-31T09:00:00"}).exit_code == 0
    assert _add(root, "li", env={"QMS_NOW": BACKDATED}).exit_code == 0
    assert _add(root, "zhao").exit_code == 0
    assert _run(root, "verify").exit_code == 0
    seq = _log(root)[1]["seq"]
    # The same log in a workspace that no longer says it is a test: the fixed-clock entries are named.
    toml = root / "qms.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('kind = "test"', 'kind = "production"'), encoding="utf-8")
    result = _run(root, "verify")
    assert result.exit_code == 1
    assert f"audit.log entry {seq}: made under a fixed clock" in result.output


def test_a_bad_workspace_kind_is_one_line(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws").root
    toml = root / "qms.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[workspace]\nkind = "staging"\n', encoding="utf-8")
    result = _run(root, "verify")
    assert result.exit_code == 2 and "workspace.kind" in result.output and "demo" in result.output


def test_the_demo_workspace_declares_itself_a_demo_and_verifies(tmp_path: Path) -> None:
    from qms.demo import run_demo

    with clock.frozen_at("2026-11-02T09:00:00"):
        ctx = run_demo(tmp_path / "demo", Host(make_plugin_manager(plugins=(), entrypoints=False)))
    assert ctx.app.workspace.config.kind == "demo"
    entries = _log(ctx.app.workspace.root)
    assert entries and all(e["clock"] == "fixed" for e in entries)
    assert _run(ctx.app.workspace.root, "verify").exit_code == 0


def test_a_pdf_is_not_written_into_a_production_workspace_under_a_fixed_clock(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws").root
    assert _add(root, "admin").exit_code == 0
    target = root / "records" / "pdf" / "blank.pdf"
    refused = _run(root, "--as", "admin", "form", "blank", "QR-8.2-01", "-o", str(target), env={"QMS_NOW": BACKDATED})
    assert refused.exit_code == 1 and "QMS_NOW" in refused.output
    assert not target.exists()
    batch = _run(root, "--as", "admin", "render", env={"QMS_NOW": BACKDATED})
    assert batch.exit_code == 1 and "QMS_NOW" in batch.output
    assert not (root / "records" / "pdf").exists()


def test_each_workspace_keeps_its_own_clock_rule_in_one_process(tmp_path: Path) -> None:
    host = Host(make_plugin_manager(plugins=(), entrypoints=False))
    demo = App(init_workspace(tmp_path / "demo", kind="demo"), host)
    real = App(init_workspace(tmp_path / "real"), host)  # opened last: the process clock follows it for now
    with clock.frozen_at(BACKDATED):
        entry = demo.store.log_event("event", "note", actor="admin", action="note")
        assert entry["at"] == BACKDATED and entry["clock"] == "fixed"
        with pytest.raises(clock.FixedClockRefused, match="unset QMS_NOW"):
            real.store.log_event("event", "note", actor="admin", action="note")
    assert real.store.audit.last() is None
