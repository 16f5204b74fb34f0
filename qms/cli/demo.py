"""``qms demo``: build and report the demonstration workspace."""

from __future__ import annotations

import os
from pathlib import Path

import click

from qms.cli import Session, pass_session
from qms.demo import run_demo
from qms.verify import verify_store

DEMO_CLOCK = "2026-11-02T09:00:00"


@click.command()
@click.argument("directory", required=False, default="qms-demo", type=click.Path(file_okay=False, path_type=Path))
@pass_session
def demo(session: Session, directory: Path) -> None:
    """Build a demonstration workspace in DIRECTORY (default ./qms-demo) and print what it made.

    \b
    Example:
      qms demo /tmp/qms-demo
    """
    # A fixed clock makes the demo file the same records with the same deadlines on every run.
    os.environ.setdefault("QMS_NOW", DEMO_CLOCK)
    ctx = run_demo(directory, session.host, progress=lambda s: click.echo(f"… {s}", err=True))
    for line in ctx.lines:
        click.echo(line)
    report = verify_store(ctx.app.store, ctx.app.workspace.root)
    click.echo(f"verify: {'intact' if report.ok else 'PROBLEMS'} ({report.entries} audit entries)")
    from qms.demo import DEMO_PASSWORD
    from qms.site.demo import SITE_URL

    click.echo(f"next: qms --workspace {directory} serve  then open {SITE_URL}  (log in as auditor / {DEMO_PASSWORD})")
