"""``qms render`` (every PDF of the workspace) and ``write_page``, which the per-object PDF commands share.

``qms doc pdf``, ``qms record pdf`` and ``qms form blank`` live with their groups; each writes its
page through ``write_page``. ``attach(cli)`` adds ``render`` to the root.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qms.app import App
from qms.cli import echo_json, json_option, pass_app
from qms.errors import ExitCode

if TYPE_CHECKING:
    # The renderer is imported when a PDF is written: `qms record list` and the other commands of
    # a module that also offers a PDF command do not pay for it.
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
@click.option("--all/--changed", "force", default=False,
              help="Re-render everything, or (default) only what changed since the last run.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default records/pdf/ of the workspace).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Worker processes (default: every core).")
@json_option
@pass_app
def render(app: App, force: bool, out: Path | None, jobs: int | None, as_json: bool) -> None:
    """Render every issued document and every record as PDF, logging each file's sha256 for `qms verify`.

    Only pages whose input changed (or whose file was changed on disk) are rendered again.

    \b
    Examples:
      qms render
      qms render --all --jobs 2
      qms render --out /tmp/pdf
    """
    from qms.render.batch import collect, render_all

    actor = app.actor("render", "render PDFs into the workspace")["name"]
    jobs_list = list(collect(app))
    bar_holder: dict[str, object] = {}

    def progress(done: int, total: int, name: str) -> None:
        if as_json or total == 0:
            return
        bar = bar_holder.get("bar")
        if bar is None:
            bar = click.progressbar(length=total, label="rendering PDF", file=sys.stderr,
                                    item_show_func=lambda n: n)
            bar.__enter__()
            bar_holder["bar"] = bar
        if done:
            bar.update(1, name)  # type: ignore[attr-defined]

    try:
        report = render_all(app, actor=actor, out=out, force=force, jobs=jobs, progress=progress,
                            collected=jobs_list)
    finally:
        bar = bar_holder.get("bar")
        if bar is not None:
            bar.__exit__(None, None, None)  # type: ignore[attr-defined]
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(f"{report.out}: rendered {len(report.rendered)} PDF(s) ({report.pages} pages), "
                   f"{len(report.skipped)} unchanged")
        for name in report.repaired:
            click.echo(f"re-rendered {name}: its bytes had changed on disk since they were made")
        for name, error in report.failed:
            click.echo(f"FAILED {name}: {error}", err=True)
    if report.failed:
        sys.exit(int(ExitCode.NONCONFORMITY))


def attach(cli: click.Group) -> None:
    """Add ``qms render`` to the root (the per-object PDF commands live with their groups)."""
    cli.add_command(render)
