"""``qms serve`` (the web workspace and the read-only auditor site) and ``qms export bundle`` (the static evidence bundle)."""

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
              help="Address to listen on; 0.0.0.0 serves the office network.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Requests served at once.")
@pass_app
def serve(app: App, host: str, port: int, threads: int) -> None:
    """Serve the web workspace and the auditor site for this workspace (log in with a workspace user).

    /work is the workspace: My work (我的待办), filing and signing records from their forms, and
    document control from draft to distribution and acknowledgement, each act under the signed-in
    user with the same rules as the CLI. / is the read-only audit view: procedures, registers,
    records with their PDFs, due items, the audit log and verification. Auditors log in here and
    can change nothing.

    It runs on waitress, a production WSGI server. Put it behind HTTPS (a reverse proxy) before
    it leaves one office network. Stop it with Ctrl-C.

    \b
    Example:
      qms serve --host 0.0.0.0 --port 8000     # then open http://SERVER:8000
    """
    from waitress.server import create_server

    from qms.site.app import create_app, shutdown

    if app.users.is_empty():
        raise UsageError("this workspace has no users, so nobody could log in; add one with `qms user add`")
    flask = create_app(app)
    try:
        server = create_server(flask, host=host, port=port, threads=threads, ident="qms",
                               max_request_body_size=flask.config["MAX_CONTENT_LENGTH"])
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from exc
    if not _is_loopback(host):
        click.echo(f"note: listening on {host}, reachable from other machines; serve it over HTTPS beyond the office",
                   err=True)
    shown = f"[{host}]" if ":" in host else host
    bound = server.effective_port  # type: ignore[union-attr]
    click.echo(f"qms for {app.workspace.root} at http://{shown}:{bound}/  (Ctrl-C to stop)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        shutdown(flask)  # buffered read views and login failures reach the audit log


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
