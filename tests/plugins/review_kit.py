"""Helpers for the management review tests: a workspace with the review plugin (and others), users, a clock."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import qms_complaints.hooks
import qms_equipment.hooks
import qms_review.hooks

from qms import records
from qms.app import App
from qms.clock import frozen_at
from qms.testing import make_app as make_plugin_app
from qms_review import service

PASSWORD = "demo-pass-2026"
#: The review plugin with two procedures whose figures it gathers.
PLUGINS: tuple[ModuleType, ...] = (qms_complaints.hooks, qms_equipment.hooks, qms_review.hooks)
USERS = (
    ("admin", "admin", "质量管理部"),
    ("zhou", "quality_officer", "质量管理部", "周文控", "文控"),
    ("li", "quality_officer", "品质部", "李品质", "计量员"),
    ("zhao", "department", "业务部", "赵业务", "业务员"),
    ("sun", "department", "设备科", "孙设备", "设备管理员"),
    ("chen", "approver", "管理者代表", "陈管代", "管理者代表"),
    ("wang", "approver", "总经理办公室", "王总经理", "总经理"),
)
at = frozen_at


def make_app(tmp_path: Path, plugins: tuple[Any, ...] = PLUGINS) -> App:
    """A workspace with ``plugins`` and the users above."""
    return make_plugin_app(tmp_path / "ws", plugins, USERS, password=PASSWORD)


def new_review(app: App, start: str, end: str, moment: str) -> dict[str, Any]:
    """File a review as zhou at ``moment`` for the period ``start``–``end``."""
    with at(moment):
        return service.new_review(app.acting_as("zhou"), service.api.require_date(start),
                                  service.api.require_date(end))


def hold(app: App, number: str, moment: str, outputs: tuple[tuple[str, str, str, str], ...] = ()) -> None:
    """Record the meeting (at ``moment``), move the review to held and add ``outputs`` (kind, action, owner, due)."""
    zhou = app.acting_as("zhou")
    with at(moment):
        records.update(zhou, number, {"held_at": moment, "venue": "第一会议室", "chair": "wang",
                                      "attendees": ["王总经理", "陈管代", "周文控"],
                                      "conclusion": "体系适宜、充分、有效。"})
        records.move(zhou, number, "held")
        for kind, action, owner, due in outputs:
            service.add_output(zhou, number, kind, action, owner, "", due)


def approve(app: App, number: str, moment: str, by: str = "wang") -> dict[str, Any]:
    """The signed approval by ``by``."""
    with at(moment):
        return records.move(app.acting_as(by), number, "approved", password=PASSWORD)
