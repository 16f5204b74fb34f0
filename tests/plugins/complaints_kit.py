"""Helpers for the complaints tests: a workspace with the complaints plugin only, users, and a clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import qms_complaints.hooks

from qms import records
from qms.app import App
from qms.clock import frozen_at
from qms.testing import make_app as make_plugin_app

PASSWORD = "demo-pass-2026"
#: The complaints plugin alone: no other procedure plugin takes part.
PLUGINS = (qms_complaints.hooks,)
USERS = (
    ("admin", "admin", "质量管理部"),
    ("li", "quality_officer", "品质部"),
    ("zhao", "department", "业务部"),
    ("sun", "department", "设备科"),
    ("chen", "approver", "管理者代表", "陈管代", "管理者代表"),
    ("wang", "approver", "总经理办公室", "王总经理", "总经理"),
    ("xu", "approver", "生产部", "徐副总", "副总经理"),  # an approver holding neither post of QP-8.2-01 §5.4
)


def make_app(tmp_path: Path, template: Path | None = None) -> App:
    """A workspace with the complaints plugin and the users above (copied from ``template`` when given).

    Hashing six passwords costs a second; a copy of a prepared workspace costs milliseconds.
    """
    return make_plugin_app(tmp_path / "ws", PLUGINS, USERS, template=template, password=PASSWORD)


def as_user(app: App, name: str) -> App:
    """The same workspace acting as ``name``."""
    return app.acting_as(name)


at = frozen_at


def complaint(**over: Any) -> dict[str, Any]:
    """Valid complaint data as received (before registration)."""
    data: dict[str, Any] = {"received_at": "2026-10-12T09:00:00", "channel": "电话", "customer": "华美家具有限公司",
                            "content": "餐椅颜色与色板不符。", "nature": "质量", "category": "整件质量问题", "sub_category": "色差"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def file(app: App, moment: str = "2026-10-12T09:05:00", **over: Any) -> str:
    """File a complaint as zhao at ``moment``; its number."""
    with at(moment):
        return str(records.file(as_user(app, "zhao"), "QR-8.2-01", complaint(**over))["number"])


def step(app: App, number: str, user: str, moment: str, target: str, changes: dict[str, Any] | None = None,
         sign: bool = False) -> dict[str, Any]:
    """Optionally update, then move ``number`` to ``target`` as ``user`` at ``moment``; the move's result."""
    acting = as_user(app, user)
    with at(moment):
        if changes:
            records.update(acting, number, changes)
        return records.move(acting, number, target, password=PASSWORD if sign else None)


def to_investigating(app: App, number: str, day: str = "2026-10-12") -> None:
    """Register, assign and start investigating, each within its 30 minutes."""
    step(app, number, "zhao", f"{day}T09:10:00", "registered")
    step(app, number, "zhao", f"{day}T09:20:00", "assigned", {"responsible_dept": "生产部", "responsible_person": "张生产"})
    step(app, number, "li", f"{day}T09:30:00", "investigating")


INTERNAL = {"investigation_result": "烘干温度波动。", "responsibility": "公司内部"}
CAUSES = {"main_causes": [{"category": "机", "text": "温控器漂移"}], "secondary_causes": [{"category": "测", "text": "未比色"}],
          "actions": [{"type": "纠正措施", "action": "校准温控器", "owner": "sun", "due": "2026-10-20"}]}
CUSTOMER = {"investigation_result": "客户未拆 1 号箱。", "responsibility": "客户原因", "reply_text": "配件在 1 号箱顶部小盒内。"}
