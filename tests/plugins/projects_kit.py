"""Helpers for the project-lifecycle tests: a workspace with the projects plugin and its people, and projects in known states.

Creating users hashes passwords and every signed act hashes one again, so workspaces in a given
state are built once per session and copied for each test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import qms_projects.hooks
from qms_projects import service
from qms_projects.demo import Demo

from qms import records
from qms.app import App
from qms.clock import frozen_at, set_now
from qms.demo import DemoContext
from qms.host import Host
from qms.testing import make_app as make_plugin_app
from qms.testing import make_host

PASSWORD = "demo-pass-2026"
NOW = "2026-11-02T09:00:00"

USERS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "admin", "质量管理部", "系统管理员"),
    ("zhou", "quality_officer", "质量管理部", "周文控"),
    ("wang", "approver", "总经理办公室", "王总经理"),
    ("chen", "approver", "管理者代表", "陈管代"),
    ("zhao", "department", "业务部", "赵业务"),
    ("wu", "department", "项目部", "吴项目"),
    ("xu", "department", "售前部", "徐售前"),
    ("fang", "department", "商务部", "方商务"),
    ("ma", "department", "工程部", "马监理"),
    ("guo", "department", "工程部", "郭工长"),
    ("deng", "department", "工程部", "邓经理"),
    ("lin", "department", "设计部", "林设计"),
    ("he", "department", "总师办", "何主任"),
    ("tang", "department", "检验部", "唐主任"),
    ("song", "department", "检验部", "宋检验"),
)

#: The projects plugin only: no other installed plugin takes part.
PLUGINS = (qms_projects.hooks,)

_HOST: list[Host] = []
_SNAPSHOTS: dict[str, Path] = {}

FITOUT_TEAM = [{"post": "foreman", "user": "guo"}, {"post": "supervisor", "user": "ma"}, {"post": "designer", "user": "lin"},
               {"post": "eng_manager", "user": "deng"}, {"post": "customer", "name": "刘先生"}]
BASELINE = {"scope": "三室两厅全包装修", "start": "2026-10-12", "finish": "2027-01-20", "budget": 168000}


def host() -> Host:
    """One plugin host (the built-ins and the projects plugin) for tests that make their own workspace."""
    if not _HOST:
        _HOST.append(make_host(PLUGINS))
    return _HOST[0]


def as_(app: App, name: str) -> App:
    """The same workspace acted in by ``name``."""
    return app.acting_as(name)


def demo(app: App) -> Demo:
    """The demo's helper (file, move, gate, accept as named users at fixed times) on ``app``."""
    return Demo(DemoContext(app=app), PASSWORD)


def _snapshot(base: Path, key: str, build: Callable[[App], None]) -> Path:
    if key not in _SNAPSHOTS:
        root = base / f"projects-{key}" / "ws"
        app = make_plugin_app(root, PLUGINS, USERS, password=PASSWORD).acting_as("admin")
        with frozen_at():
            build(app)
        _SNAPSHOTS[key] = root
    return _SNAPSHOTS[key]


def make_app(tmp_path: Path, state: str = "empty") -> App:
    """A copy of a workspace in ``state`` (``empty`` or ``fitout-materials``), acting as admin."""
    builders: dict[str, Callable[[App], None]] = {"empty": lambda app: None, "fitout-materials": fitout_to_materials}
    source = _snapshot(tmp_path.parent, state, builders[state])
    return make_plugin_app(tmp_path / "ws", PLUGINS, template=source).acting_as("admin")


def fitout(app: App, when: str = "2026-10-09T09:00:00", **fields: Any) -> str:
    """Register a fit-out project (briefing 2026-10-12 09:00) as 郭工长; its number."""
    set_now(when)
    data = {"briefing_at": "2026-10-12T09:00:00", **fields}
    return service.register(as_(app, "guo"), "fit-out", name="滨江花园 3-201 室内装修", customer="刘先生", manager="guo",
                            team=FITOUT_TEAM, baseline=BASELINE, fields=data)["number"]


def fitout_to_materials(app: App) -> None:
    """A fit-out project XM-2026-0001 with its baseline approved and gates 1 (task) and 2 (briefing) passed."""
    d = demo(app)
    xm = fitout(app)
    d.move("wang", "2026-10-09T15:00:00", xm, "active", signed=True)
    d.gate(xm, "2026-10-10T10:00:00", "guo", ["deng"])
    d.gate(xm, "2026-10-12T16:00:00", "ma", ["ma", "lin", "guo"], external=[("customer", "刘先生")])


def inspection(app: App, when: str = "2026-09-30T10:30:00", lead: str = "song", qualification: str = "RRC-118",
               **fields: Any) -> str:
    """Register an inspection project received at 2026-09-30 10:00 as 方商务; its number."""
    set_now(when)
    team = [{"post": "commerce", "user": "fang"}, {"post": "chief_director", "user": "he"}, {"post": "dept_head", "user": "tang"},
            {"post": "lead", "user": lead, **({"qualification": qualification} if qualification else {})}]
    data = {"received_at": "2026-09-30T10:00:00", "business_source": "甲方电话", **fields}
    return service.register(as_(app, "fang"), "inspection", name="2号炉汽包定期检验", customer="某热电厂", manager=lead,
                            team=team, fields=data)["number"]


def record(app: App, number: str) -> dict[str, Any]:
    """The stored record ``number``."""
    return records.get(app, number)
