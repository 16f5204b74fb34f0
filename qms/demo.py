"""``qms demo``: build a demonstration workspace that walks the whole story.

Each capability contributes steps (functions taking the ``DemoContext``) through the
``qms_demo_steps`` hook, the core's own included; the demo runs them in order and prints what each
made, so a procedure plugin installed later adds its part without touching the core. The clock is fixed so every run files the same
records with the same numbers and deadlines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qms.app import App
from qms.host import Host
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


def run_demo(target: Path, host: Host, progress: Callable[[str], None] = lambda _: None) -> DemoContext:
    """Create the demo workspace at ``target`` and run every step."""
    ws: Workspace = init_workspace(target, None)
    ctx = DemoContext(app=App(ws, host))
    ctx.say(f"workspace: {ws.root}")
    for _, step in host.demo_steps():
        progress((step.__doc__ or step.__name__).strip())
        step(ctx)
    return ctx
