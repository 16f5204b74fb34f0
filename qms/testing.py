"""Fixtures and helpers for testing a procedure plugin: a pytest plugin, installed with qms.

pytest loads it through the ``pytest11`` entry point, so a plugin's tests only set which plugin
modules to load and which users to create, in their ``conftest.py``::

    import pytest
    import qms_training.hooks

    @pytest.fixture
    def qms_plugins():
        return (qms_training.hooks,)

and then use:

* ``qms_workspace``: a new workspace in ``tmp_path`` with the reference procedures and forms;
* ``qms_app``: that workspace opened with the built-ins and ``qms_plugins`` only (no other
  installed plugin), with the users of ``qms_users`` added (password ``PASSWORD``);
* ``as_user``: ``as_user("li")`` is the same app acting as ``li``;
* ``frozen_clock``: ``frozen_clock("2026-11-02T09:00")`` fixes the clock for the rest of the test;
* ``file_record``: ``file_record("QR-7.2-01", {...}, by="li", moves=["submitted"])`` files a
  record through the core's services and moves it, returning the stored record;
* ``qms_cli``: runs ``qms --workspace WS …`` in process (``QMS_PASSWORD`` set to ``PASSWORD``, which
  proves ``--as NAME``) and returns click's result.

Helpers for code outside pytest fixtures: ``make_app`` and ``add_users``. Users are added from a
prepared copy: hashing passwords costs a quarter of a second each, a copy costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result

from qms import clock, records
from qms.app import App
from qms.backend import copy_workspace
from qms.host import Host, make_plugin_manager
from qms.workspace import Workspace, init_workspace

#: The password of every test user (the demo's too), so one ``QMS_PASSWORD`` proves any ``--as NAME``.
PASSWORD = "demo-pass-2026"

#: name, role, department, full name, post: one user of each kind a procedure usually needs.
DEFAULT_USERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("admin", "admin", "质量管理部", "系统管理员", ""),
    ("li", "quality_officer", "品质部", "李品质", "品质主管"),
    ("wang", "approver", "总经理办公室", "王总经理", "总经理"),
    ("zhao", "department", "业务部", "赵业务", "业务员"),
    ("auditor", "auditor", "外部审核", "审核员", ""),
)

#: name, role, department[, full name[, post (职务)]].
User = tuple[str, str, str, str, str] | tuple[str, str, str, str] | tuple[str, str, str]


def make_host(plugins: Sequence[ModuleType | object]) -> Host:
    """The built-ins and ``plugins`` only: no other installed plugin takes part."""
    return Host(make_plugin_manager(plugins=tuple(plugins), entrypoints=False))


def add_users(app: App, users: Sequence[User], password: str = PASSWORD) -> None:
    """Add ``users`` (name, role, department[, full name[, post]]) as the admin would."""
    for user in users:
        name, role, dept = user[0], user[1], user[2]
        full = user[3] if len(user) > 3 else name.title()  # type: ignore[misc]
        post = user[4] if len(user) > 4 else ""  # type: ignore[misc]
        app.users.add(name, role, dept, password, actor="admin", full_name=full, post=post, by_password=password)


def make_app(root: Path, plugins: Sequence[ModuleType | object], users: Sequence[User] = DEFAULT_USERS,
             *, template: Path | None = None, password: str = PASSWORD) -> App:
    """A workspace at ``root`` with ``plugins`` and ``users``, copied from ``template`` when given."""
    if template is not None:
        copy_workspace(template, root)  # on PostgreSQL, its store too
        return App(Workspace.open(root), make_host(plugins))
    app = App(init_workspace(root, kind="test"), make_host(plugins))
    add_users(app, users, password)
    return app


class _Templates:
    """Prepared workspaces (reference files plus users), one per list of users, for the session."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.made: dict[tuple[User, ...], Path] = {}

    def get(self, users: Sequence[User]) -> Path:
        key = tuple(users)
        if key not in self.made:
            root = self.factory.mktemp("qms-template") / "ws"
            make_app(root, (), users)
            self.made[key] = root
        return self.made[key]


@pytest.fixture(scope="session")
def _qms_templates(tmp_path_factory: pytest.TempPathFactory) -> _Templates:
    return _Templates(tmp_path_factory)


@pytest.fixture
def qms_plugins() -> tuple[ModuleType | object, ...]:
    """The plugin modules the app loads; override it in the plugin's ``conftest.py``."""
    return ()


@pytest.fixture
def qms_users() -> Sequence[User]:
    """The users ``qms_app`` holds; override it to add the posts and departments a procedure needs."""
    return DEFAULT_USERS


@pytest.fixture
def qms_workspace(tmp_path: Path) -> Workspace:
    """A new workspace with the reference procedures and forms, no users."""
    return init_workspace(tmp_path / "ws", kind="test")


@pytest.fixture
def qms_app(tmp_path: Path, qms_plugins: tuple[ModuleType | object, ...], qms_users: Sequence[User],
            _qms_templates: _Templates) -> App:
    """A workspace with the built-ins, ``qms_plugins`` and ``qms_users`` (password ``PASSWORD``)."""
    return make_app(tmp_path / "app", qms_plugins, template=_qms_templates.get(qms_users))


@pytest.fixture
def as_user(qms_app: App) -> Callable[[str], App]:
    """``as_user(name)``: the same workspace and plugins, acting as ``name``."""
    return qms_app.acting_as


@pytest.fixture
def frozen_clock() -> Iterator[Callable[[str], None]]:
    """``frozen_clock(moment)`` fixes the clock (``YYYY-MM-DD`` means 09:00); restored after the test."""
    with clock.frozen_at():
        yield clock.set_now


@pytest.fixture
def file_record(qms_app: App) -> Callable[..., dict[str, Any]]:
    """``file_record(form, data, by=NAME, moves=[STATE, …], password=…)``: file, move, return the stored record."""

    def file(form: str, data: dict[str, Any], *, by: str = "admin", moves: Sequence[str] = (),
             password: str | None = None, note: str = "") -> dict[str, Any]:
        app = qms_app.acting_as(by)
        number = records.file(app, form, data, note=note)["number"]
        for target in moves:
            records.move(app, number, target, password=password)
        return records.get(app, number)

    return file


@pytest.fixture
def qms_cli(qms_app: App) -> Callable[..., Result]:
    """Run ``qms --workspace WS ARGS…`` in process with the installed plugins; click's result."""
    from qms.cli import build

    def run(*args: str, input: str | None = None) -> Result:
        argv = ["--workspace", str(qms_app.workspace.root), *args]
        # The users' password proves who ``--as NAME`` is, as QMS_PASSWORD does for a script.
        return CliRunner().invoke(build(argv), argv, input=input, env={"QMS_PASSWORD": PASSWORD},
                                  catch_exceptions=False)

    return run


__all__ = ["DEFAULT_USERS", "PASSWORD", "add_users", "make_app", "make_host"]
