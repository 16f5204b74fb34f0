"""What ``qms render`` takes and prints: its options, its progress bar and its report lines.

Shared by the command (``qms.cli.pdf``) and by its hand-over to a running render service
(``qms.render.service``), which parses and prints before the CLI is loaded; so it imports only click.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from qms.console import echo_json
from qms.errors import ExitCode

F = TypeVar("F", bound=Callable[..., Any])


def render_options(f: F) -> F:
    """The options of ``qms render``."""
    for option in reversed((
        click.option("--all/--changed", "force", default=False,
                     help="Re-render everything, or (default) only what changed since the last run."),
        click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
                     help="Output folder (default records/pdf/ of the workspace)."),
        click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Worker processes (default: every core)."),
        click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON."),
    )):
        f = option(f)
    return f


def parse(args: list[str]) -> dict[str, Any] | None:
    """``qms render``'s own arguments parsed as the command parses them; None when it would refuse them."""
    command = render_options(click.Command("render", callback=lambda **_: None))
    try:
        return dict(command.make_context("render", list(args)).params)
    except (click.exceptions.ClickException, click.exceptions.Exit):
        return None  # the command, run in its own process, says what is wrong


@contextmanager
def progress_bar(as_json: bool) -> Iterator[Callable[[int, int, str], None]]:
    """A progress callback drawing a bar on stderr once there is something to render (none with ``--json``)."""
    bars: list[Any] = []

    def progress(done: int, total: int, name: str) -> None:
        if as_json or total == 0:
            return
        if not bars:
            bar = click.progressbar(length=total, label="rendering PDF", file=sys.stderr, item_show_func=lambda n: n)
            bar.__enter__()
            bars.append(bar)
        if done:
            bars[0].update(1, name)

    try:
        yield progress
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)


def show_report(data: dict[str, Any], as_json: bool) -> int:
    """Print a render report (``Report.as_dict()``) as ``qms render`` does; the exit code it calls for."""
    if as_json:
        echo_json(data)
    else:
        click.echo(f"{data['out']}: rendered {len(data['rendered'])} PDF(s) ({data['pages']} pages), "
                   f"{data['skipped']} unchanged")
        for name in data["repaired"]:
            click.echo(f"re-rendered {name}: its bytes had changed on disk since they were made")
        for failure in data["failed"]:
            click.echo(f"FAILED {failure['file']}: {failure['error']}", err=True)
    return int(ExitCode.NONCONFORMITY) if data["failed"] else 0


__all__ = ["parse", "progress_bar", "render_options", "show_report"]
