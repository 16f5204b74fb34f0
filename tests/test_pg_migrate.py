"""``qms store migrate``: a workspace moves from the folder to PostgreSQL and back with the same chain."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from qms.backend import open_store
from qms.verify import verify_store
from qms.workspace import Workspace
from tests.conftest import Invoke

# The source of these migrations is the folder store, whatever store the rest of the run uses.
pytestmark = pytest.mark.folder_store


def _fill(invoke: Invoke, add_user: object) -> None:
    add_user("li", "quality_officer", "品质部")  # type: ignore[operator]
    result = invoke("--as", "li", "doc", "new", "QP-8.2-01")
    assert result.exit_code == 0, result.output


def _info(invoke: Invoke) -> dict[str, object]:
    result = invoke("store", "info", "--json")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_migrate_to_postgresql_and_back_keeps_every_object_and_the_chain(
        workspace: Workspace, invoke: Invoke, add_user: object, pg_url: str) -> None:
    _fill(invoke, add_user)
    before = _info(invoke)
    listing = invoke("doc", "list", "--all", "--json").output
    schema = "m_" + uuid.uuid4().hex[:10]
    result = invoke("--as", "admin", "store", "migrate", "--to", pg_url, "--schema", schema)
    assert result.exit_code == 0, result.output
    assert f"same head {str(before['head'])[:16]}" in result.output
    assert "kept in records/before-migration-" in result.output
    after = _info(invoke)
    assert after["backend"] == "postgresql" and after["schema"] == schema
    assert after["collections"] == before["collections"]
    assert after["entries"] == int(before["entries"]) + 1  # the migration itself, logged on the new store
    assert invoke("doc", "list", "--all", "--json").output == listing
    assert "[store]" in (workspace.root / "qms.toml").read_text(encoding="utf-8")
    assert not (workspace.records / "db").exists() and not (workspace.records / "audit.log").exists()
    verified = invoke("verify")
    assert verified.exit_code == 0 and "verify: intact" in verified.output, verified.output
    # Work goes on there, then the workspace moves back to a folder with all of it.
    assert invoke("--as", "li", "doc", "new", "QP-7.5-01").exit_code == 0
    back = invoke("--as", "admin", "store", "migrate", "--to", "folder")
    assert back.exit_code == 0, back.output
    folder = _info(invoke)
    assert folder["backend"] == "folder" and folder["entries"] == int(after["entries"]) + 2
    assert (workspace.records / "audit.log").exists()
    assert verify_store(open_store(Workspace.open(workspace.root)), workspace.root).ok


def test_a_non_empty_target_is_refused_and_nothing_is_switched(
        workspace: Workspace, invoke: Invoke, add_user: object, pg_url: str, tmp_path: Path) -> None:
    _fill(invoke, add_user)
    schema = "m_" + uuid.uuid4().hex[:10]
    other = tmp_path / "other"
    from qms.workspace import init_workspace

    init_workspace(other, kind="test")
    from click.testing import CliRunner

    from qms.cli import build

    argv = ["--workspace", str(other), "store", "migrate", "--to", pg_url, "--schema", schema]
    assert CliRunner().invoke(build(argv), argv).exit_code == 0  # another workspace's (empty) store is there now
    config = (workspace.root / "qms.toml").read_bytes()
    entries = _info(invoke)["entries"]
    result = invoke("--as", "admin", "store", "migrate", "--to", pg_url, "--schema", schema)
    assert result.exit_code != 0
    assert "already holds another store" in result.output and len(result.output.strip().splitlines()) == 1
    assert (workspace.root / "qms.toml").read_bytes() == config
    assert _info(invoke)["entries"] == entries and (workspace.records / "db").is_dir()


def test_a_migration_interrupted_before_the_switch_is_finished_by_running_it_again(
        workspace: Workspace, invoke: Invoke, add_user: object, pg_url: str) -> None:
    _fill(invoke, add_user)
    schema = "m_" + uuid.uuid4().hex[:10]
    app_store = open_store(workspace)
    objects = {c: dict(app_store.iter(c)) for c in app_store.collections()}
    from qms.backend import open_at

    # As a migration that died after filling the target and before switching qms.toml would leave it.
    open_at(workspace.records, pg_url, schema).load(objects, app_store.sequences(), app_store.audit_bytes())
    result = invoke("--as", "admin", "store", "migrate", "--to", pg_url, "--schema", schema)
    assert result.exit_code == 0, result.output
    assert "already holds this store" in result.output
    assert _info(invoke)["backend"] == "postgresql"
    assert invoke("verify").exit_code == 0


def test_migrate_refuses_a_url_that_is_not_a_database_and_a_bad_schema(workspace: Workspace, invoke: Invoke,
                                                                        add_user: object) -> None:
    _fill(invoke, add_user)
    for args, message in ((["--to", "mysql://x/y"], "neither a postgresql:// url nor"),
                          (["--to", "postgresql:///x", "--schema", "Bad-Name"], "schema 'Bad-Name' must be")):
        result = invoke("--as", "admin", "store", "migrate", *args)
        assert result.exit_code != 0 and message in result.output, result.output
    assert _info(invoke)["backend"] == "folder"
