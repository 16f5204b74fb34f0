"""What every step of ``qms demo`` shares: the context it files into, the demo users and the step type.

Kept apart from the runner (``qms.demo``) so the steps of the core and of the plugins import this
without importing the runner that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from qms.app import App

#: Demo users: name, role, department, full name, post (职务). Every one has the password DEMO_PASSWORD.
DEMO_USERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("admin", "admin", "质量管理部", "系统管理员", "体系管理员"),
    ("zhou", "quality_officer", "质量管理部", "周文控", "文控"),
    ("li", "quality_officer", "品质部", "李品质", "计量员"),
    ("wang", "approver", "总经理办公室", "王总经理", "总经理"),
    ("chen", "approver", "管理者代表", "陈管代", "管理者代表"),
    ("zhao", "department", "业务部", "赵业务", "业务主管"),
    ("sun", "department", "设备科", "孙设备", "设备管理员"),
    ("qian", "department", "物业管理部", "钱物业", "物业主管"),
    ("wu", "department", "项目部", "吴项目", "项目经理"),
    ("auditor", "auditor", "外部审核", "审核员", "外部审核员"),
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
    for name, role, dept, full, post in DEMO_USERS:
        ctx.app.users.add(name, role, dept, DEMO_PASSWORD, actor="admin", full_name=full, post=post,
                          by_password=DEMO_PASSWORD)
    ctx.say(f"users: {len(DEMO_USERS)} ({', '.join(n for n, *_ in DEMO_USERS)}), password {DEMO_PASSWORD!r}")


#: A demonstration step: (order, function). Lower orders run first; the core uses 0 (users),
#: 10 (documents), 90 (rendering) and 100 (the auditor site); procedure plugins use 20–80.
DemoStep = tuple[int, Callable[[DemoContext], None]]
