"""A workspace for the auditor-site tests: users, a procedure issued and revised, a form with records, a figure plugin.

``build(root)`` makes it with the real services (documents, records) and a small plugin giving the
dashboard one bar figure; the site, bundle and browser tests all read it. Record texts include
Chinese, English and a ``<script>`` that must only ever show as text.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from qms import documents, hookimpl, records
from qms.app import App
from qms.host import Host, make_plugin_manager
from qms.registry import FormBinding, Registry
from qms.workspace import Workspace, init_workspace

PW = "demo-pass-2026"
NOW = "2026-11-02T09:00:00"
PROC = "QP-9.8-01"
FORM = "QR-9.8-01"
SCRIPT = '<script>alert("pwned")</script><img src=x onerror=alert(2)>'
CHINESE_WORD = "包装破损"
ATTACHMENT = "<html><script>alert(3)</script> 照片 photo".encode()
USERS = (
    ("admin", "admin", "质量管理部", "系统管理员"), ("zhou", "quality_officer", "质量管理部", "周文控"),
    ("li", "quality_officer", "品质部", "李品质"), ("wang", "approver", "总经理办公室", "王总经理"),
    ("zhao", "department", "业务部", "赵业务"), ("aud", "auditor", "外部审核", "审核员"),
)

PROCEDURE = """---
number: {number}
title: 测试投诉程序
title_en: Test Complaint Procedure
type: procedure
owner: 品质部
edition: "{edition}"
forms: [{form}]
---

# 测试投诉程序 Test Complaint Procedure

## 1 目的 Purpose

规定客户投诉的受理与处理。Receive and handle customer complaints.

## 5 程序 Process

品质部在 24 小时内登记投诉，填写 [[{form}]]。
{extra}"""

FORM_DEF: dict[str, Any] = {
    "number": FORM, "title": "测试投诉记录", "title_en": "Test Complaint Record", "edition": "A/0",
    "procedure": PROC, "prefix": "TS", "retention": {"years": 3, "after": "closed"},
    "schema": {"type": "object", "required": ["subject"], "properties": {
        "subject": {"type": "string", "minLength": 1, "title": "主题", "x-en": "Subject"},
        "customer": {"type": "string", "title": "客户", "x-en": "Customer"},
        "detail": {"type": "string", "title": "详细描述", "x-en": "Detail"},
    }},
    "sections": [{"title": "投诉 Complaint", "fields": ["subject", "customer", "detail"]}],
}


class FigurePlugin:
    """A plugin that binds the test form to the test procedure and draws one bar figure from the records."""

    @hookimpl
    def qms_register_forms(self, registry: Registry) -> None:
        registry.add_form(FormBinding(number=FORM, procedure=PROC))

    @hookimpl
    def qms_figures(self, query: Any, now: datetime) -> list[dict[str, Any]]:
        rows = query(form=FORM)
        by_dept: dict[str, int] = {}
        for r in rows:
            by_dept[r["dept"]] = by_dept.get(r["dept"], 0) + 1
        return [{"id": "test-by-dept", "title": "测试投诉按部门 Test complaints by department", "kind": "bar",
                 "data": by_dept},
                {"id": "test-open", "title": "未结 Open", "kind": "number",
                 "data": len([r for r in rows if not r["closed"]])}]


def host() -> Host:
    """The host of the site tests: built-ins plus the figure plugin (no entry-point plugins)."""
    return Host(make_plugin_manager(plugins=(FigurePlugin(),), entrypoints=False))


def build(root: Path) -> tuple[Workspace, Host]:
    """Make the site test workspace at ``root`` (the clock must be fixed at ``NOW`` by the caller)."""
    ws = init_workspace(root, kind="test")
    h = host()
    app = App(ws, h)
    for name, role, dept, full in USERS:
        app.users.add(name, role, dept, PW, actor="admin", full_name=full)

    def as_(name: str) -> App:
        return app.acting_as(name)

    (ws.forms / f"{FORM}.yaml").write_text(yaml.safe_dump(FORM_DEF, allow_unicode=True, sort_keys=False), encoding="utf-8")
    path = ws.procedures / f"{PROC}.md"
    path.write_text(PROCEDURE.format(number=PROC, edition="A/0", form=FORM, extra=""), encoding="utf-8")
    documents.new_document(as_("zhou"), PROC)
    _through(as_, PROC)
    documents.revise(as_("zhou"), PROC, False, "增加回访要求 add the follow-up rule")
    path.write_text(PROCEDURE.format(number=PROC, edition="A/1", form=FORM,
                                     extra="\n## 6 回访 Follow-up\n\n结案后 7 日内回访客户。Follow up within 7 days.\n"),
                    encoding="utf-8")
    _through(as_, PROC)
    samples = [
        ("zhao", {"subject": f"外箱{CHINESE_WORD}", "customer": "华东客户 East China Ltd", "detail": "运输途中外箱破损"}),
        ("li", {"subject": "Late delivery", "customer": "Acme Corp", "detail": "delivered three days late"}),
        ("zhao", {"subject": SCRIPT, "customer": "<b>bold</b> & co", "detail": SCRIPT}),
    ]
    for i in range(4):
        samples.append(("li", {"subject": f"批量记录 bulk {i}", "customer": "客户 Customer", "detail": "常规 routine"}))
    numbers = [records.file(as_(name), FORM, data)["number"] for name, data in samples]
    records.move(as_("li"), numbers[1], "closed", note="已处理 handled")
    photo = root.parent / f"{root.name}-破损照片.txt"
    photo.write_bytes(ATTACHMENT)
    records.attach(as_("zhao"), numbers[0], photo)
    return ws, h


def _through(as_: Any, number: str) -> None:
    documents.submit(as_("zhou"), number, ["li"], PW)
    documents.review(as_("li"), number, True, "ok", PW)
    documents.approve(as_("wang"), number, PW)
    documents.issue(as_("zhou"), number)
