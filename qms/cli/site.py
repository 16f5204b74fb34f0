"""``qms serve`` (the read-only auditor site) and ``qms export bundle`` (the static evidence bundle)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from qms.app import App
from qms.cli import QMSGroup, echo_json, json_option, pass_app
from qms.errors import UsageError

DEFAULT_PORT = 8000


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but a loopback address exposes the site to the network.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@pass_app
def serve(app: App, host: str, port: int) -> None:
    """Serve the read-only auditor site for this workspace (log in with a workspace user).

    Procedures in force with their history, diffs and stamped PDFs, external documents, forms and
    registers, records with their PDFs and audit trail, due items, the audit log, verification, a
    dashboard and search. Nothing on the site changes the workspace, apart from caching PDFs it
    renders on demand into records/pdf/ (each logged in the audit log like `qms render`).

    It runs on Werkzeug's threaded HTTP server bound to 127.0.0.1: meant for an auditor on this
    machine (or through an SSH tunnel), not for the open internet. Stop it with Ctrl-C.

    \b
    Example:
      qms serve --port 8000        # then open http://127.0.0.1:8000
    """
    from werkzeug.serving import make_server

    from qms.site.app import create_app

    if app.users.is_empty():
        raise UsageError("this workspace has no users, so nobody could log in; add one with `qms user add`")
    flask = create_app(app)
    try:
        server = make_server(host, port, flask, threaded=True)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from exc
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}, reachable from other machines; the site is meant for 127.0.0.1",
                   err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"qms site for {app.workspace.root} at http://{shown}:{server.server_port}  (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.group(cls=QMSGroup)
def export() -> None:
    """Export evidence from the workspace.

    \b
    Example:
      qms --as auditor export bundle evidence.zip
    """


@export.command("bundle")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Processes for rendering missing PDFs (default: every core).")
@json_option
@pass_app
def bundle(app: App, out: Path, jobs: int | None, as_json: bool) -> None:
    """Write OUT.zip: the site as static pages, every PDF, the records' JSON, the audit log and a manifest of hashes.

    Unzip it and open index.html in any browser, no server needed. `qms verify OUT.zip` (or the
    unpacked folder) checks it offline and names every file that differs, is missing or was added.
    Missing or outdated PDFs are rendered first. Needs the `export` permission (auditors have it).

    \b
    Example:
      qms --as auditor export bundle evidence-2026-11.zip
      qms verify evidence-2026-11.zip
    """
    from qms.bundle import export_bundle

    result = export_bundle(app, out, jobs=jobs, progress=lambda s: None if as_json else click.echo(f"… {s}", err=True))
    if as_json:
        echo_json(result)
    else:
        click.echo(f"{out}: {result['files']} files, audit head {result['audit_head'][:16]} "
                   f"({result['audit_entries']} entries); check it with `qms verify {out}`")


def attach(cli: click.Group) -> None:
    """Add ``serve`` and ``export`` to the root group."""
    cli.add_command(serve)
    cli.add_command(export)


__all__ = ["attach", "bundle", "export", "serve"]
