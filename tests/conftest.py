"""Shared fixtures: a fresh workspace in ``tmp_path`` and a CLI runner bound to it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from qms.cli import build
from qms.testing import PASSWORD
from qms.workspace import Workspace, init_workspace

ADMIN_PASSWORD = PASSWORD

Invoke = Callable[..., Result]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--store", choices=("tinydb", "postgresql"), default="tinydb",
                     help="the store every workspace of the run uses: TinyDB files (default) or PostgreSQL, "
                          "on a throwaway cluster started for the run (QMS_TEST_PG_URL names one instead)")


_CLUSTER: list[object] = []


def _pg_url() -> str:
    """The run's PostgreSQL server: QMS_TEST_PG_URL, or a throwaway cluster started on first use."""
    given = os.environ.get("QMS_TEST_PG_URL")
    if given:
        return given
    if not _CLUSTER:
        from qms.pgcluster import Cluster

        _CLUSTER.append(Cluster.start())
        os.environ["QMS_TEST_PG_URL"] = _CLUSTER[0].url  # type: ignore[attr-defined]
    return os.environ["QMS_TEST_PG_URL"]


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--store", default="tinydb") == "postgresql":
        # Every workspace a test makes, in process or in a `qms` child, keeps its store in a schema of
        # its own in this database (qms.backend.default_schema), so the whole suite runs on PostgreSQL.
        os.environ["QMS_STORE_URL"] = _pg_url()
    else:
        os.environ.pop("QMS_STORE_URL", None)  # a developer's own server is not the TinyDB run's


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CLUSTER:
        from qms.pgstore import close_pools

        close_pools()
        _CLUSTER.pop().stop()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL server for the tests of the PostgreSQL store (in every run, whatever ``--store``)."""
    yield _pg_url()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """No test sees the developer's workspace, user or disabled plugins."""
    if request.node.get_closest_marker("folder_store"):
        # A test of the folder store's own files (buckets, audit.log, the intent, crash recovery):
        # it runs on TinyDB in every run, and its PostgreSQL counterpart is in tests/test_pg_*.py.
        monkeypatch.delenv("QMS_STORE_URL", raising=False)
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
