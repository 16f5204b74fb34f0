"""PDF commands: ``qms doc pdf``, ``qms record pdf``, ``qms form blank`` and ``qms render``.

``attach(cli)`` adds them: ``render`` to the root, the others to the ``doc``, ``record`` and ``form``
groups (created here, with only these commands, when the core does not provide them yet).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qms.app import App
from qms.cli import QMSGroup, echo_json, json_option, pass_app
from qms.errors import ExitCode, UsageError
from qms.render.output import target_file, write_pdf
from qms.render.page import Page

_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _write(app: App, page: Page, default_name: str, output: Path | None, as_json: bool) -> None:
    """Render ``page``, write it to ``output`` (default ./NAME.pdf) and say where it went."""
    written = write_pdf(app, page, target_file(output, default_name), action="render.pdf")
    if as_json:
        echo_json(written.as_dict())
    else:
        click.echo(written.line())


@click.command("pdf")
@click.argument("number")
@click.option("--rev", "edition", metavar="EDITION", help="The edition, e.g. A/1 (default: the one in force).")
@click.option("-o", "--output", type=_OUT, help="The PDF file to write (default ./NUMBER_EDITION.pdf).")
@click.option("--copy", "copy_no", type=int, metavar="N", help="Controlled copy number from the distribution register.")
@click.option("--holder", metavar="DEPT", help="The department holding that controlled copy.")
@click.option("--uncontrolled", is_flag=True, help="Stamp 非受控 UNCONTROLLED, for copies handed outside.")
@json_option
@pass_app
def doc_pdf(app: App, number: str, edition: str | None, output: Path | None, copy_no: int | None,
            holder: str | None, uncontrolled: bool, as_json: bool) -> None:
    """Render a controlled document as PDF: control block, 修订记录, status stamp on every page.

    The stamp follows the revision: 受控 CONTROLLED (a registered copy with --copy/--holder, else the
    master copy), 非受控 UNCONTROLLED with --uncontrolled, 草稿 DRAFT, 已替代 SUPERSEDED, 作废 OBSOLETE.

    \b
    Examples:
      qms doc pdf QP-8.2-01 -o QP-8.2-01.pdf
      qms doc pdf QP-8.2-01 --copy 3 --holder 品质部
      qms doc pdf QP-8.2-01 --rev A/0 --uncontrolled
    """
    from qms.render.sources import document_page, file_name

    if (copy_no is None) != (not holder):
        raise UsageError("a controlled copy needs both --copy N and --holder DEPT")
    page = document_page(app, number, edition, copy=copy_no, holder=holder, uncontrolled=uncontrolled)
    if copy_no is not None:
        # Printing a numbered controlled copy is a distribution act: say who did it.
        actor = app.actor("doc.distribute", "print a controlled copy")["name"]
        app.store.log_event("event", f"pdf:{number}", actor=actor, action="doc.pdf.copy",
                            detail={"number": number, "copy": f"{copy_no:03d}", "holder": holder})
    from qms.documents import get_revision

    rev = get_revision(app, number, edition)
    _write(app, page, file_name(number, str(rev["edition"])), output, as_json)


@click.command("pdf")
@click.argument("number")
@click.option("-o", "--output", type=_OUT, help="The PDF file to write (default ./NUMBER.pdf).")
@json_option
@pass_app
def record_pdf(app: App, number: str, output: Path | None, as_json: bool) -> None:
    """Render a record as PDF laid out as its form, with signatures, attachments, history and its JSON attached.

    \b
    Example:
      qms record pdf KS-2026-0001 -o KS-2026-0001.pdf
    """
    from qms.render.sources import file_name, get_record, record_page_of

    record = get_record(app, number)
    _write(app, record_page_of(app, record), file_name(number), output, as_json)


@click.command("blank")
@click.argument("number")
@click.option("-o", "--output", type=_OUT, help="The PDF file to write (default ./NUMBER_EDITION_blank.pdf).")
@click.option("--copy", "copy_no", type=int, metavar="N", help="Controlled copy number from the distribution register.")
@click.option("--holder", metavar="DEPT", help="The department holding that controlled copy.")
@click.option("--uncontrolled", is_flag=True, help="Stamp 非受控 UNCONTROLLED.")
@json_option
@pass_app
def form_blank(app: App, number: str, output: Path | None, copy_no: int | None, holder: str | None,
               uncontrolled: bool, as_json: bool) -> None:
    """Render the blank form in force for paper use, headed and stamped like a controlled document.

    \b
    Example:
      qms form blank QR-8.2-01 -o QR-8.2-01-blank.pdf
    """
    from qms.forms import current_form
    from qms.render.sources import blank_page, file_name

    if (copy_no is None) != (not holder):
        raise UsageError("a controlled copy needs both --copy N and --holder DEPT")
    page = blank_page(app, number, copy=copy_no, holder=holder, uncontrolled=uncontrolled)
    form = current_form(app, number)
    _write(app, page, file_name(number, str(form["edition"]), "blank"), output, as_json)


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


def _group(cli: click.Group, name: str, doc: str) -> click.Group:
    existing = cli.commands.get(name)
    if isinstance(existing, click.Group):
        return existing
    group = QMSGroup(name=name, help=doc)
    cli.add_command(group)
    return group


def attach(cli: click.Group) -> None:
    """Add the PDF commands to the root and to the ``doc``, ``record`` and ``form`` groups."""
    cli.add_command(render)
    _group(cli, "doc", "Controlled documents.\n\n\b\nExample:\n  qms doc pdf QP-8.2-01").add_command(doc_pdf)
    _group(cli, "record", "Records.\n\n\b\nExample:\n  qms record pdf KS-2026-0001").add_command(record_pdf)
    _group(cli, "form", "Controlled forms.\n\n\b\nExample:\n  qms form blank QR-8.2-01").add_command(form_blank)
