"""Shared fixtures: a fresh workspace in ``tmp_path`` and a CLI runner bound to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qms.cli import build
from qms.testing import PASSWORD
from qms.workspace import Workspace, init_workspace

ADMIN_PASSWORD = PASSWORD

Invoke = Callable[..., Result]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's workspace, user or disabled plugins."""
    for var in ("QMS_WORKSPACE", "QMS_USER", "QMS_DISABLE_PLUGINS", "QMS_NOW", "QMS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    # Every test user has the shared test password, which proves who `--as NAME` is (like PGPASSWORD);
    # logins are kept in a config folder of the test's own, never the developer's.
    monkeypatch.setenv("QMS_PASSWORD", PASSWORD)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A new workspace with the reference procedures and forms."""
    return init_workspace(tmp_path / "ws", kind="test")


@pytest.fixture
def invoke(workspace: Workspace) -> Invoke:
    """Run ``qms --workspace WS ARGS…`` in process; returns click's Result."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        argv = ["--workspace", str(workspace.root), *args]
        return CliRunner().invoke(build(argv), argv, input=input, env=env, catch_exceptions=False)

    return run


@pytest.fixture
def admin(invoke: Invoke) -> str:
    """The workspace's first user, an admin; returns the name."""
    result = invoke("user", "add", "admin", "--role", "admin", "--dept", "质量管理部", "--password-stdin",
                    input=ADMIN_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return "admin"


@pytest.fixture
def add_user(invoke: Invoke, admin: str) -> Callable[..., None]:
    """Add a user as the admin: ``add_user(name, role, dept, password=…)``."""

    def add(name: str, role: str, dept: str = "品质部", password: str = PASSWORD, full_name: str = "") -> None:
        args = ["--as", admin, "user", "add", name, "--role", role, "--dept", dept, "--password-stdin"]
        if full_name:
            args += ["--full-name", full_name]
        result = invoke(*args, input=password + "\n")
        assert result.exit_code == 0, result.output

    return add
