"""Helpers for the property-services tests: a workspace with users, and valid records of each form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import qms_complaints.hooks
import qms_property.hooks
from qms import records
from qms.app import App
from qms.testing import make_app as make_test_app

PASSWORD = "demo-pass-2026"
NOW = "2026-11-02T09:00:00"  # a Monday

#: The property plugin, and the complaints plugin its hand-overs file complaints with.
PLUGINS = (qms_property.hooks, qms_complaints.hooks)
#: An admin exists in every workspace; 钱物业 of 物业管理部 acts in the tests.
USERS = (("admin", "admin", "质量管理部", "系统管理员"), ("qian", "department", "物业管理部", "钱物业"))

_TEMPLATES: dict[tuple[Path, str], Path] = {}


def make_app(tmp_path: Path, toml_extra: str = "") -> App:
    """A workspace acted in by 钱物业 of 物业管理部 (an admin exists, as in every workspace).

    The first workspace made with a given ``toml_extra`` is kept as a template and copied for
    later tests: creating users hashes passwords, which is the slow part.
    """
    key = (tmp_path.parent, toml_extra)  # pytest's base folder of this session, cleaned up by pytest
    template = _TEMPLATES.get(key)
    if template is None:
        template = tmp_path.parent / f"property-template-{len(_TEMPLATES)}" / "ws"
        make_test_app(template, PLUGINS, USERS, password=PASSWORD)
        if toml_extra:
            text = (template / "qms.toml").read_text(encoding="utf-8")
            start = text.find("[property]")
            text = text[:start] if start >= 0 else text
            (template / "qms.toml").write_text(text + toml_extra, encoding="utf-8")
        _TEMPLATES[key] = template
    return make_test_app(tmp_path / "ws", PLUGINS, template=template).acting_as("qian")


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
