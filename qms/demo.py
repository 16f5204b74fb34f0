"""``qms demo``: build a demonstration workspace that walks the whole story.

The core's own steps come first (users, documents) and last (rendering, the auditor site). A
procedure plugin contributes its steps through the ``qms.demo`` entry-point group: an entry named
like the plugin's ``qms`` entry, pointing at a function of its ``demo`` module that returns
``(order, step)`` pairs. Steps are plain functions taking the ``DemoContext``; they are not hooks,
so the plugin contract does not depend on the demonstration. A step of a disabled plugin does
not run. The clock is fixed so every run files the same records with the same numbers and deadlines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from qms.app import App
from qms.errors import PluginError
from qms.host import Host
from qms.workspace import Workspace, init_workspace

ENTRY_POINT_GROUP = "qms.demo"

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


#: A demonstration step: (order, function). Lower orders run first; the core uses 0 (users),
#: 10 (documents), 90 (rendering) and 100 (the auditor site); procedure plugins use 20–80.
DemoStep = tuple[int, Callable[[DemoContext], None]]


def core_steps() -> list[DemoStep]:
    """Users first, documents next, then (after the procedure plugins) rendering and the site."""
    from qms.documents_demo import step_documents
    from qms.render.demo import step_render
    from qms.site.demo import step_site

    return [(0, step_users), (10, step_documents), (90, step_render), (100, step_site)]


def plugin_steps(host: Host) -> list[DemoStep]:
    """The steps of every loaded plugin that offers some under ``qms.demo``."""
    out: list[DemoStep] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if host.pm.get_plugin(ep.name) is None:  # disabled, blocked or not installed as a plugin
            continue
        try:
            offered = ep.load()()
        except Exception as exc:  # third-party code: name it instead of a traceback
            raise PluginError(f"demo steps of plugin {ep.name!r} ({ep.value}) failed: {type(exc).__name__}: {exc}") from exc
        out.extend(offered)
    return out


def demo_steps(host: Host) -> list[DemoStep]:
    """Every step of the demonstration, in the order they run."""
    return sorted(core_steps() + plugin_steps(host), key=lambda step: step[0])


def run_demo(target: Path, host: Host, progress: Callable[[str], None] = lambda _: None) -> DemoContext:
    """Create the demo workspace at ``target`` and run every step."""
    ws: Workspace = init_workspace(target, None)
    ctx = DemoContext(app=App(ws, host))
    ctx.say(f"workspace: {ws.root}")
    for _, step in demo_steps(host):
        progress((step.__doc__ or step.__name__).strip())
        step(ctx)
    return ctx
