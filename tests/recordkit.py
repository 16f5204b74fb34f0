"""A generic test form and test plugin for the records engine, and helpers to make a workspace with users.

The form ``QR-9.9-01`` (测试检验记录 Test Inspection Record, prefix ``TJ``) and the plugin's workflow
exercise every feature the procedure plugins will use: nested fields, formats, required fields per
state, role-restricted and signed transitions, a plugin veto, a cross-field rule, after-transition
effects and working-day deadlines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml
from click.testing import CliRunner, Result

from qms import hookimpl
from qms.app import App
from qms.cli import make_cli
from qms.host import Host, make_plugin_manager
from qms.registry import (
    Deadline,
    FormBinding,
    Procedure,
    Registry,
    State,
    Transition,
    Workflow,
)
from qms.workspace import Workspace, init_workspace

PASSWORD = "demo-pass-2026"
FORM_NUMBER = "QR-9.9-01"
SIMPLE_FORM = "QR-9.9-02"

TEST_FORM: dict[str, Any] = {
    "number": FORM_NUMBER,
    "title": "测试检验记录",
    "title_en": "Test Inspection Record",
    "edition": "A/0",
    "procedure": "QP-9.9-01",
    "prefix": "TJ",
    "retention": {"years": 3, "after": "closed"},
    "schema": {
        "type": "object",
        "additionalProperties": False,
        "required": ["received_at", "customer", "inspector"],
        "properties": {
            "received_at": {"type": "string", "format": "date-time", "title": "接收时间", "x-en": "Received at"},
            "customer": {"type": "string", "minLength": 1, "title": "客户名称", "x-en": "Customer"},
            "quantity": {"type": "integer", "minimum": 1, "title": "数量", "x-en": "Quantity"},
            "severity": {"type": "string", "enum": ["一般", "重大"], "title": "严重程度", "x-en": "Severity"},
            "inspector": {
                "type": "object", "title": "检验员", "x-en": "Inspector",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "title": "姓名", "x-en": "Name"},
                    "email": {"type": "string", "format": "email", "title": "电子邮箱", "x-en": "E-mail"},
                },
            },
            "analysis": {"type": "string", "title": "原因分析", "x-en": "Cause analysis"},
            "closed_at": {"type": "string", "format": "date", "title": "结案日期", "x-en": "Closed on"},
            "urgent": {"type": "boolean", "title": "紧急", "x-en": "Urgent"},
        },
    },
    "sections": [
        {"title": "基本信息 Basic information", "fields": ["received_at", "customer", "quantity", "severity", "inspector"]},
        {"title": "处理 Handling", "fields": ["analysis", "closed_at", "urgent"]},
    ],
}

SIMPLE: dict[str, Any] = {
    "number": SIMPLE_FORM, "title": "简单记录", "title_en": "Simple Record", "edition": "A/0",
    "procedure": "QP-9.9-01", "prefix": "JD", "retention": {"years": 1, "after": "closed"},
    "schema": {"type": "object", "required": ["subject"],
               "properties": {"subject": {"type": "string", "minLength": 1, "title": "主题", "x-en": "Subject"}}},
    "sections": [{"title": "记录 Record", "fields": ["subject"]}],
}

WORKFLOW = Workflow(
    form=FORM_NUMBER,
    states=(
        State("registered", "已登记 Registered"),
        State("analysed", "已分析 Analysed", requires=("analysis",)),
        State("approved", "已批准 Approved"),
        State("closed", "已结案 Closed", requires=("closed_at",), closed=True),
    ),
    transitions=(
        Transition("registered", "analysed", roles=("quality_officer", "品质部")),
        Transition("analysed", "approved", roles=("approver",), signature="批准 approved"),
        Transition("approved", "closed", roles=("quality_officer", "approver")),
    ),
    initial="registered",
    deadlines=(
        Deadline("handoff", "转交 Hand-off", "30min", "field:received_at", until=("analysed",), owner="品质部",
                 when="urgent"),
        Deadline("analysis", "分析 Analysis", "7wd", "field:received_at", until=("analysed",), owner="品质部"),
        Deadline("approval", "批准 Approval", "24h", "state:analysed", until=("approved",), owner="approver"),
    ),
)


class RecordsTestPlugin:
    """A procedure plugin for the test form: procedure, binding, workflow and every record hook."""

    effects: list[dict[str, Any]] = []
    due: list[dict[str, Any]] = []

    @hookimpl
    def qms_register_procedures(self, registry: Registry) -> None:
        registry.add_procedure(Procedure("QP-9.9-01", "测试程序", "Test Procedure", "品质部", "testproc"))

    @hookimpl
    def qms_register_forms(self, registry: Registry) -> None:
        registry.add_form(FormBinding(FORM_NUMBER, "QP-9.9-01"))

    @hookimpl
    def qms_register_workflows(self, registry: Registry) -> None:
        registry.add_workflow(WORKFLOW)

    @hookimpl
    def qms_validate_record(self, form: str, data: dict[str, Any], record: dict[str, Any] | None) -> list[dict[str, str]]:
        if form != FORM_NUMBER:
            return []
        problems = []
        if data.get("closed_at") and data["closed_at"] < data["received_at"][:10]:
            problems.append({"path": "closed_at", "message": "must not be earlier than received_at (接收时间)"})
        return problems

    @hookimpl
    def qms_check_transition(self, record: dict[str, Any], target: str, actor: dict[str, Any]) -> list[str]:
        if record["form"] == FORM_NUMBER and target == "analysed" and record["data"].get("severity") == "重大":
            return ["a major complaint (重大) needs the general manager's review first"]
        return []

    @hookimpl
    def qms_after_transition(self, record: dict[str, Any], source: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        if record["form"] == FORM_NUMBER and record["state"] == "approved":
            return [dict(e) for e in self.effects]
        return []

    @hookimpl
    def qms_due_items(self, query: Any, now: Any) -> list[dict[str, Any]]:
        return [dict(d) for d in self.due]


USERS = (
    ("admin", "admin", "质量管理部"),
    ("li", "quality_officer", "品质部"),
    ("zhou", "quality_officer", "质量管理部"),
    ("wang", "approver", "总经理办公室"),
    ("zhao", "department", "业务部"),
    ("auditor", "auditor", "外部审核"),
)


def write_form(ws: Workspace, form: dict[str, Any]) -> Path:
    """Write a form definition into the workspace's forms/."""
    path = ws.forms / f"{form['number']}.yaml"
    path.write_text(yaml.safe_dump(form, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def make_host(plugin: object | None = None) -> Host:
    """A host with the built-ins and the test plugin only (no entry-point plugins)."""
    plugins = (plugin,) if plugin is not None else ()
    return Host(make_plugin_manager(plugins=plugins, entrypoints=False))


def make_workspace(root: Path, plugin: object | None = None, users: bool = True) -> App:
    """A fresh workspace with the test forms, the test plugin and users (all with PASSWORD)."""
    ws = init_workspace(root, kind="test")
    write_form(ws, TEST_FORM)
    write_form(ws, SIMPLE)
    app = App(ws, make_host(plugin if plugin is not None else RecordsTestPlugin()))
    if users:
        for name, role, dept in USERS:
            app.users.add(name, role, dept, PASSWORD, actor="admin", full_name=name.title())
    return app


def as_user(app: App, name: str) -> App:
    """The same workspace and host acting as ``name``."""
    return app.acting_as(name)


def good_data(**changes: Any) -> dict[str, Any]:
    """Valid data for the test form."""
    data: dict[str, Any] = {"received_at": "2026-09-30T10:00:00", "customer": "某某机械有限公司", "quantity": 2,
                            "severity": "一般", "inspector": {"name": "张检", "email": "zhang@example.com"}}
    data.update(changes)
    return data


def run(app: App, args: list[str], input: str | None = None) -> Result:
    """Run the CLI on the app's workspace with its host."""
    cli: click.Group = make_cli(app.host)
    return CliRunner().invoke(cli, ["--workspace", str(app.workspace.root), *args], input=input, catch_exceptions=False)


def dump(data: Any) -> str:
    """JSON text of ``data`` (for --data -)."""
    return json.dumps(data, ensure_ascii=False)
