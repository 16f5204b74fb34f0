"""Shared fixtures of the controlled-documents tests: users, a tiny procedure file, the lifecycle in one call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qms import documents
from qms.app import App
from qms.host import Host, make_plugin_manager
from qms.workspace import Workspace

PW = "demo-pass-2026"
NUMBER = "QP-9.1-01"
USERS = (
    ("admin", "admin", "质量管理部"), ("zhou", "quality_officer", "质量管理部"), ("li", "quality_officer", "品质部"),
    ("wang", "approver", "总经理办公室"), ("chen", "approver", "管理者代表"), ("zhao", "department", "业务部"),
    ("aud", "auditor", "外部审核"),
)

TINY = """---
number: {number}
title: 测试程序
title_en: Test Procedure
type: procedure
owner: 品质部
edition: "{edition}"
{extra}---

# 测试程序

1 目的：测试。
"""

As = Callable[[str], App]


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A workspace with the demo-like users, the clock fixed at 2026-11-02 09:00."""
    monkeypatch.setenv("QMS_NOW", "2026-11-02T09:00:00")
    # Cheap password hashes: these tests sign dozens of times; the cost factor is tested with users.
    monkeypatch.setattr("qms.users._N", 2**4)
    monkeypatch.setattr("qms.keys._N", 2**4)
    app = App(workspace, Host(make_plugin_manager(entrypoints=False)))
    for name, role, dept in USERS:
        app.users.add(name, role, dept, PW, actor="admin", full_name=name.upper())
    return workspace


@pytest.fixture
def as_(ws: Workspace) -> As:
    host = Host(make_plugin_manager(entrypoints=False))
    return lambda name: App(ws, host, name)


def write(ws: Workspace, number: str = NUMBER, edition: str = "A/0", extra: str = "", body: str = "") -> Path:
    path = ws.procedures / f"{number}.md"
    path.write_text(TINY.format(number=number, edition=edition, extra=extra) + body, encoding="utf-8")
    return path


def through(as_: As, number: str = NUMBER, effective: str | None = None, reviewer: str = "li") -> dict[str, Any]:
    documents.submit(as_("zhou"), number, [reviewer], PW)
    documents.review(as_(reviewer), number, True, "ok", PW)
    documents.approve(as_("wang"), number, PW)
    return documents.issue(as_("zhou"), number, effective)


def at(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    monkeypatch.setenv("QMS_NOW", when)
