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
from importlib.metadata import entry_points
from pathlib import Path

from qms.app import App
from qms.demo_context import DEMO_PASSWORD, DEMO_USERS, DemoContext, DemoStep, step_users
from qms.errors import PluginError
from qms.host import Host
from qms.workspace import Workspace, init_workspace

ENTRY_POINT_GROUP = "qms.demo"

def core_steps() -> list[DemoStep]:
    """Users first, documents and forms next, then (after the procedure plugins) rendering and the site."""
    from qms.documents_demo import step_documents, step_forms
    from qms.render.demo import step_render
    from qms.site.demo import step_site

    return [(0, step_users), (10, step_documents), (12, step_forms), (90, step_render), (100, step_site)]


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
    ws: Workspace = init_workspace(target, None, kind="demo")
    ctx = DemoContext(app=App(ws, host))
    ctx.say(f"workspace: {ws.root}")
    for _, step in demo_steps(host):
        progress((step.__doc__ or step.__name__).strip())
        step(ctx)
    return ctx


__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoContext", "DemoStep", "core_steps", "demo_steps", "plugin_steps",
           "run_demo", "step_users"]
