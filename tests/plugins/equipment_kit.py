"""Helpers for the equipment tests: a workspace with the equipment plugin only, users, a clock, card data.

``USAGE_FORM`` stands for another procedure's form that names the measuring instrument it used
(``x-ref: equipment``), as any plugin's form may.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import qms_equipment.hooks
import yaml
from qms_equipment import service

from qms.app import App
from qms.clock import frozen_at
from qms.testing import make_app as make_plugin_app

PASSWORD = "demo-pass-2026"
USERS = (
    ("admin", "admin", "质量管理部"),
    ("sun", "department", "设备科", "孙设备", "设备管理员"),
    ("li", "quality_officer", "品质部", "李品质", "计量员"),
    ("xu", "approver", "物资管理部", "徐物资", "物资管理部经理"),
    ("wang", "approver", "总经理办公室", "王总经理", "总经理"),
)
USAGE_FORM = "QR-9.9-05"
USAGE: dict[str, Any] = {
    "number": USAGE_FORM, "title": "进货检验记录", "title_en": "Incoming Inspection Record", "edition": "A/0",
    "procedure": "QP-9.9-05", "prefix": "JY", "retention": {"years": 3, "after": "closed"},
    "schema": {"type": "object", "additionalProperties": False, "required": ["item", "inspected_on"], "properties": {
        "item": {"type": "string", "title": "物料", "x-en": "Item"},
        "inspected_on": {"type": "string", "format": "date", "title": "检验日期", "x-en": "Inspected on"},
        "instrument": {"type": "string", "title": "所用量具", "x-en": "Instrument used", "x-ref": "equipment",
                       "x-ref-when": "inspected_on"},
    }},
    "sections": [{"title": "检验 Inspection", "fields": ["item", "inspected_on", "instrument"]}],
}


def make_app(tmp_path: Path) -> App:
    """A workspace with the built-ins and the equipment plugin only, the users above and the usage form."""
    app = make_plugin_app(tmp_path / "ws", (qms_equipment.hooks,), USERS, password=PASSWORD)
    (app.workspace.forms / f"{USAGE_FORM}.yaml").write_text(yaml.safe_dump(USAGE, allow_unicode=True, sort_keys=False),
                                                            encoding="utf-8")
    return app


def as_user(app: App, name: str) -> App:
    """The same workspace acting as ``name``."""
    return app.acting_as(name)


at = frozen_at


def machine(**over: Any) -> dict[str, Any]:
    """Card data of a leased machine in unit 101 (no purchase approval needed)."""
    data: dict[str, Any] = {"unit_code": "101", "name": "混凝土搅拌机", "category": "机械设备", "model": "JS500",
                            "route": "租赁", "dept": "项目部", "administrator": "吴项目", "acceptance_date": "2026-01-08",
                            "acceptance_result": "合格", "acceptance_equipment": "孙设备", "acceptance_user": "吴项目",
                            "measuring": False}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def instrument(**over: Any) -> dict[str, Any]:
    """Card data of an externally calibrated caliper in unit 102, 12-month cycle."""
    return machine(**{"unit_code": "102", "name": "数显卡尺", "category": "计量器具", "model": "SC-150", "dept": "品质部",
                      "administrator": "李品质", "acceptance_user": "李品质", "measuring": True, "cal_mode": "外校",
                      "cal_cycle_months": 12, "cal_provider": "市计量测试研究院", **over})


def calibration(day: str, result: str = "合格", **over: Any) -> dict[str, Any]:
    """Data of an external calibration on ``day``."""
    data: dict[str, Any] = {"calibration_date": day, "result": result, "as_found": "在允差内" if result != "不合格" else "超差",
                            "as_left": "在允差内" if result != "不合格" else "超差", "calibrated_by": "li",
                            "certificate_no": f"JL-{day}", "provider": "市计量测试研究院", "provider_accreditation": "CNAS L0000"}
    data.update(over)
    return data


def registered(app: App, data: dict[str, Any], day: str = "2026-01-08") -> dict[str, Any]:
    """Register equipment as sun on ``day``."""
    with at(day):
        return service.register_equipment(as_user(app, "sun"), data)


def calibrated(app: App, number: str, day: str, result: str = "合格", **over: Any) -> dict[str, Any]:
    """Calibrate as li on ``day`` (signed)."""
    with at(f"{day}T16:00:00"):
        return service.calibrate(as_user(app, "li"), number, calibration(day, result, **over), PASSWORD)
