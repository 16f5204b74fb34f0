"""``qms render`` (every PDF of the workspace) and ``write_page``, which the per-object PDF commands share.

``qms doc pdf``, ``qms record pdf`` and ``qms form blank`` live with their groups; each writes its
page through ``write_page``. ``attach(cli)`` adds ``render`` to the root.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qms.cli import echo_json, pass_app
from qms.render.summary import progress_bar, render_options, show_report

if TYPE_CHECKING:
    from qms.app import App
    # The renderer is imported when a PDF is written: `qms record list` and the other commands of
    # a module that also offers a PDF command do not pay for it.
    from qms.render.batch import Report
    from qms.render.page import Page

PDF_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def write_page(app: App, page: Page, default_name: str, output: Path | None, as_json: bool) -> None:
    """Render ``page``, write it to ``output`` (default ./NAME.pdf) and say where it went."""
    from qms.render.output import target_file, write_pdf

    written = write_pdf(app, page, target_file(output, default_name), action="render.pdf")
    if as_json:
        echo_json(written.as_dict())
    else:
        click.echo(written.line())


@click.command("render")
@render_options
@pass_app
def render(app: App, force: bool, out: Path | None, jobs: int | None, as_json: bool) -> None:
    """Render every issued document and every record as PDF, logging each file's sha256 for `qms verify`.

    Only pages whose input changed (or whose file was changed on disk) are rendered again.
    While `qms render-service` runs for the workspace, the work is handed to it (the PDF
    engine already loaded) and the output is the same.

    \b
    Examples:
      qms render
      qms render --all --jobs 2
      qms render --out /tmp/pdf
    """
    with progress_bar(as_json) as progress:
        report = render_report(app, force=force, out=out, jobs=jobs, progress=progress)
    code = show_report(report.as_dict(), as_json)
    if code:
        sys.exit(code)


def render_report(app: App, *, force: bool, out: Path | None, jobs: int | None,
                  progress: Callable[[int, int, str], None]) -> Report:
    """What ``qms render`` does once the workspace is open: the actor checked, the pages collected and rendered.

    The render service (``qms.render.service``) runs the same function for the command it is handed.
    """
    from qms.render.batch import collect, render_all

    actor = app.actor("render", "render PDFs into the workspace")["name"]
    return render_all(app, actor=actor, out=out, force=force, jobs=jobs, progress=progress, collected=list(collect(app)))


def attach(cli: click.Group) -> None:
    """Add ``qms render`` to the root (the per-object PDF commands live with their groups)."""
    cli.add_command(render)
