"""Helpers for the property-services tests: a workspace with users, and valid records of each form."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from qms import records
from qms.app import App
from qms.host import Host, make_plugin_manager
from qms.workspace import Workspace, init_workspace

PASSWORD = "prop-pass-2026"
NOW = "2026-11-02T09:00:00"  # a Monday


_HOST: list[Host] = []
_TEMPLATES: dict[tuple[Path, str], Path] = {}


def host() -> Host:
    """One plugin host for the tests of this module (it holds no workspace state)."""
    if not _HOST:
        _HOST.append(Host(make_plugin_manager()))
    return _HOST[0]


def make_app(tmp_path: Path, toml_extra: str = "") -> App:
    """A workspace acted in by 钱物业 of 物业管理部 (an admin exists, as in every workspace).

    The first workspace made with a given ``toml_extra`` is kept as a template and copied for
    later tests: creating users hashes passwords, which is the slow part.
    """
    key = (tmp_path.parent, toml_extra)  # pytest's base folder of this session, cleaned up by pytest
    template = _TEMPLATES.get(key)
    if template is None:
        template = tmp_path.parent / f"property-template-{len(_TEMPLATES)}" / "ws"
        ws: Workspace = init_workspace(template)
        if toml_extra:
            text = (ws.root / "qms.toml").read_text(encoding="utf-8")
            start = text.find("[property]")
            text = text[:start] if start >= 0 else text
            (ws.root / "qms.toml").write_text(text + toml_extra, encoding="utf-8")
            ws = Workspace.open(ws.root)
        app = App(ws, host(), "admin")
        app.users.add("admin", "admin", "质量管理部", PASSWORD, actor="admin")
        app.users.add("qian", "department", "物业管理部", PASSWORD, actor="admin", full_name="钱物业")
        _TEMPLATES[key] = template
    target = tmp_path / "ws"
    shutil.copytree(template, target)
    return App(Workspace.open(target), host(), "qian")


def add_complaint_handlers(app: App) -> None:
    """赵业务 (业务部, quality officer) who registers complaints, and 王总经理 who approves replies."""
    app.users.add("zhao", "quality_officer", "业务部", PASSWORD, actor="admin", full_name="赵业务")
    app.users.add("wang", "approver", "总经理办公室", PASSWORD, actor="admin", full_name="王总经理")


def request(**over: Any) -> dict[str, Any]:
    """A valid repair request by an owner on the service line."""
    data: dict[str, Any] = {"received_at": "2026-11-02T08:40:00", "channel": "电话", "call_answered": True,
                            "requester_kind": "业主", "requester_name": "王女士", "requester_phone": "13800000001",
                            "building": "A栋", "unit": "1203", "request_type": "报修", "description": "厨房水管漏水",
                            "urgency": "紧急"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def complaint_request(**over: Any) -> dict[str, Any]:
    """A valid owner complaint received at the front desk."""
    fields: dict[str, Any] = {"channel": "上门", "call_answered": None, "request_type": "投诉", "urgency": None,
                              "description": "楼道保洁不到位", "complaint_category": "物业管理",
                              "complaint_subcategory": "保洁", "building": "B栋", "unit": "502", "requester_name": "李先生"}
    fields.update(over)
    return request(**fields)


def external_pass(**over: Any) -> dict[str, Any]:
    """A valid application for an external vehicle's pass."""
    data: dict[str, Any] = {"applicant": "顺达物流有限公司", "vehicle_category": "外部车辆", "handling_dept": "采购部",
                            "letter_reason": "每日送货", "period_from": "2026-11-01", "period_until": "2026-12-31",
                            "documents": ["驾驶证"], "plate": "沪A12345"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def file(app: App, form: str, data: dict[str, Any]) -> dict[str, Any]:
    """File a record as the current actor."""
    return records.file(app, form, data)


def arrive_and_complete(app: App, order: str, *, arrived: str, completed: str, **fields: Any) -> dict[str, Any]:
    """Move a dispatched order through arrival to completion with a signed voucher."""
    from qms_property import repairs

    records.update(app, order, {"arrived_at": arrived})
    records.move(app, order, "arrived")
    done = {"work_done": "更换角阀", "voucher_signed_by": "王女士", "voucher_signed_at": completed, "completed_at": completed}
    done.update(fields)
    return repairs.complete(app, order, done)
