"""``qms demo``: build a demonstration workspace that walks the whole story.

Each capability contributes a step (a function taking the ``DemoContext``) to ``STEPS``; the demo
runs them in order and prints what each made. The clock is fixed so every run files the same
records with the same numbers and deadlines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qms.app import App
from qms.documents_demo import step_documents
from qms.host import Host
from qms.site.demo import step_site
from qms.render.demo import step_render
from qms_complaints.demo import step_complaints
from qms_equipment.demo import step_equipment
from qms_property.demo import step_property
from qms_projects.demo import step_projects
from qms.workspace import Workspace, init_workspace

#: Demo users: name, role, department, full name. Every one has the password DEMO_PASSWORD.
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "admin", "质量管理部", "系统管理员"),
    ("zhou", "quality_officer", "质量管理部", "周文控"),
    ("li", "quality_officer", "品质部", "李品质"),
    ("wang", "approver", "总经理办公室", "王总经理"),
    ("chen", "approver", "管理者代表", "陈管代"),
    ("zhao", "department", "业务部", "赵业务"),
    ("sun", "department", "设备科", "孙设备"),
    ("qian", "department", "物业管理部", "钱物业"),
    ("wu", "department", "项目部", "吴项目"),
    ("auditor", "auditor", "外部审核", "审核员"),
)
DEMO_PASSWORD = "demo-pass-2026"


@dataclass
class DemoContext:
    """The demo workspace being built and what each step reports."""

    app: App
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        """Record a line of the demo's report."""
        self.lines.append(line)


def step_users(ctx: DemoContext) -> None:
    """Add the demo users."""
    for name, role, dept, full in DEMO_USERS:
        ctx.app.users.add(name, role, dept, DEMO_PASSWORD, actor="admin", full_name=full)
    ctx.say(f"users: {len(DEMO_USERS)} ({', '.join(n for n, *_ in DEMO_USERS)}), password {DEMO_PASSWORD!r}")


STEPS: list[Callable[[DemoContext], None]] = [step_users, step_documents, step_complaints, step_equipment, step_property,
                                               step_projects, step_render,
                                               step_site]


def run_demo(target: Path, host: Host, progress: Callable[[str], None] = lambda _: None) -> DemoContext:
    """Create the demo workspace at ``target`` and run every step."""
    ws: Workspace = init_workspace(target, None)
    ctx = DemoContext(app=App(ws, host))
    ctx.say(f"workspace: {ws.root}")
    for step in STEPS:
        progress((step.__doc__ or step.__name__).strip())
        step(ctx)
    return ctx
