"""Commands about the workspace as a whole: ``init``, ``check``, ``verify``, ``plugins``."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from qms.app import App
from qms.checks import run_checks
from qms.cli import Session, echo_json, json_option, pass_app, pass_session, session_of
from qms.cli.anchor import check_since, check_since_bundle, echo_since, since_head, since_option
from qms.errors import ExitCode
from qms.verify import verify_store
from qms.workspace import init_workspace


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--organisation", "--org", metavar="NAME", help="Organisation name written into qms.toml.")
def init(directory: Path, organisation: str | None) -> None:
    """Create a workspace in DIRECTORY with the reference procedures and forms.

    \b
    Example:
      qms init ./acme --org "某某科技有限公司"
    """
    ws = init_workspace(directory, organisation)
    procs = len(list(ws.procedures.glob("*.md")))
    forms = len(list(ws.forms.glob("*.yaml")))
    click.echo(f"created workspace {ws.root}: qms.toml, {procs} procedures, {forms} forms, records/")
    click.echo(f"next: cd {directory} && qms user add NAME --role admin --dept 质量管理部")


@click.command()
@json_option
@pass_app
def check(app: App, as_json: bool) -> None:
    """Check the workspace's definitions; exit 1 listing every problem.

    \b
    Example:
      qms check
    """
    problems = run_checks(app)
    if as_json:
        echo_json({"ok": not problems, "problems": problems})
    else:
        for problem in problems:
            click.echo(problem)
        click.echo(f"{len(problems)} problem(s)" if problems else "workspace OK")
    if problems:
        sys.exit(int(ExitCode.NONCONFORMITY))


@click.command()
@click.argument("bundle", required=False, type=click.Path(exists=True, path_type=Path))
@since_option
@click.option("--signatures", "show_signatures", is_flag=True,
              help="List every signature with the key it was made under and whether it verifies.")
@click.option("--full", "full", is_flag=True,
              help="Replay the whole log and re-read every file, instead of only what changed since the last "
                   "clean verify.")
@json_option
@click.pass_context
def verify(ctx: click.Context, bundle: Path | None, since: str | None, show_signatures: bool, full: bool,
           as_json: bool) -> None:
    """Check the audit log chain and every stored object, attachment and PDF against it.

    By default only what changed since the last clean verify is re-read: the log's new entries, and
    every file whose inode, size, mtime or ctime moved (every file is still listed and stat-ed);
    the log's older part must still hash to what was verified. --full replays the whole log and
    re-hashes every file; run it on a schedule. Without a checkpoint (records/cache/verify.json)
    the run is a full one.

    Every Ed25519 signature is checked against its signer's key as registered in the audit log;
    signatures from before signing keys are counted as unsigned (legacy).
    Exit 0 when everything matches, 1 naming each object whose bytes changed. With --since, a
    log truncated or rewritten (even re-hashed) before a chain head kept outside is caught.

    \b
    Examples:
      qms verify
      qms verify --full
      qms verify --signatures
      qms verify --json
      qms verify --since head-2026-12.json
    """
    earlier = since_head(since, bundle)
    extra: dict[str, Any] = {}
    if bundle is not None:
        from qms.bundle import verify_bundle

        report = verify_bundle(bundle)
        extra = check_since_bundle(bundle, earlier, report)
    else:
        app = session_of(ctx).app()
        report = verify_store(app.store, app.workspace.root, full=full)
        extra = check_since(app, earlier, report, as_json)
    if as_json:
        echo_json(report.as_dict() | extra)
    else:
        for p in report.problems:
            click.echo(f"CHANGED {p.object}: {p.message}")
        _echo_signatures(report.signatures, show_signatures)
        status = "intact" if report.ok else f"{len(report.problems)} problem(s)"
        how = (f"{report.mode}: {report.replayed} entries replayed, {report.reread} files re-read"
               if bundle is None else "")
        click.echo(f"verify: {status}; {report.entries} audit entries, {report.objects} objects checked, head {report.head[:16]}"
                   + (f" ({how})" if how else ""))
        echo_since(earlier, report)
    if not report.ok:
        sys.exit(int(ExitCode.NONCONFORMITY))


def _echo_signatures(summary: dict[str, Any], each: bool) -> None:
    """The signature counts, and with ``each`` every signature with its key and status."""
    if not summary:
        return
    if each:
        for s in summary["signatures"]:
            key = f"key {s['key']} ({s['origin']})" if s["key"] else "no key"
            click.echo(f"{s['status']}: {s['object']} {s['meaning']} by {s['name']} at {s['at']}, {key}")
    counts = summary["counts"]
    click.echo(f"signatures: {counts['verified']} verified (Ed25519), {counts['unsigned (legacy)']} unsigned (legacy), "
               f"{counts['failed']} failed")
    admin = summary.get("admin_actions")
    if admin:
        click.echo(f"admin actions: {admin['signed']} signed by their admin (Ed25519), "
                   f"{admin['unsigned (legacy)']} unsigned (legacy), {admin['failed']} failed")


@click.command()
@json_option
@click.option("--all", "show_all", is_flag=True, help="Also list the core's built-in plugins.")
@pass_session
def plugins(session: Session, as_json: bool, show_all: bool) -> None:
    """List loaded plugins with their version and the hooks they implement.

    \b
    Example:
      qms plugins --json
    """
    infos = [i for i in session.host.plugins() if show_all or not i.builtin]
    if as_json:
        echo_json([asdict(i) for i in infos])
        return
    for info in infos:
        click.echo(f"{info.name} {info.version} ({info.module})")
        click.echo(f"  hooks: {', '.join(info.hooks) or '-'}")
