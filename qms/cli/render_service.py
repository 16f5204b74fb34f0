"""``qms render-service start|stop|status``: the workspace's render service (``qms.render.service``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from qms.cli import Session, echo_json, json_option, pass_session


def _root(session: Session) -> Path:
    from qms.workspace import find_workspace

    return find_workspace(session.workspace_option).root


@click.group("render-service")
def render_service() -> None:
    """The render service: one process that keeps the PDF engine loaded, so `qms render` pays only for its pages.

    While it runs for a workspace, `qms render` hands it the command and prints the same
    output; every command still proves its own user. It stops after its idle time, on
    `qms render-service stop`, or by itself when qms or a plugin is upgraded.

    \b
    Examples:
      qms render-service start
      qms render-service status
      qms render-service stop
    """


@render_service.command("start")
@click.option("--idle-minutes", type=click.FloatRange(0.05, 24 * 60), default=30.0, show_default=True,
              help="Stop after this long without a command.")
@json_option
@pass_session
def start(session: Session, idle_minutes: float, as_json: bool) -> None:
    """Start the render service for this workspace (nothing happens when one runs already).

    \b
    Example:
      qms render-service start --idle-minutes 120
    """
    from qms.render import service

    status, new = service.start(_root(session), idle_minutes)
    if as_json:
        echo_json({**status, "started_now": new})
    elif new:
        click.echo(f"render service started for {status['workspace']} (pid {status['pid']}): `qms render` now "
                   f"hands its work to it; it stops after {status['idle_minutes']:g} idle minutes or with "
                   f"`qms render-service stop`")
    else:
        click.echo(f"a render service runs for {status['workspace']} already (pid {status['pid']}, since "
                   f"{status['started']})")


@render_service.command("stop")
@json_option
@pass_session
def stop(session: Session, as_json: bool) -> None:
    """Stop the render service of this workspace; `qms render` then renders in its own process again.

    \b
    Example:
      qms render-service stop
    """
    from qms.render import service

    root = _root(session)
    _say(root, service.stop(root), as_json, f"no render service runs for {root}",
         lambda last: f"render service for {root} stopped (pid {last['pid']}, {last['served']} command(s) served)")


@render_service.command("status")
@json_option
@pass_session
def status(session: Session, as_json: bool) -> None:
    """Say whether a render service runs for this workspace, since when and how many commands it served.

    \b
    Example:
      qms render-service status --json
    """
    from qms.render import service

    root = _root(session)
    _say(root, service.status(root), as_json, f"no render service runs for {root}; `qms render-service start` starts one",
         lambda found: f"render service for {root}: pid {found['pid']}, since {found['started']}, {found['served']} "
                       f"command(s) served, stops after {found['idle_minutes']:g} idle minutes; log {found['log']}")


def _say(root: Path, found: dict[str, Any] | None, as_json: bool, absent: str,
         present: Callable[[dict[str, Any]], str]) -> None:
    """Print what a service said (or that none runs), as JSON or as one line."""
    if as_json:
        echo_json(found if found is not None else {"running": False, "workspace": str(root)})
    else:
        click.echo(absent if found is None else present(found))
