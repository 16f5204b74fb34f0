"""``qms store``: where the workspace's records live, and moving them between the folder and PostgreSQL."""

from __future__ import annotations

from typing import Any

import click

from qms.app import App
from qms.backend import describe, settings_of
from qms.cli import echo_json, json_option, pass_app


@click.group()
def store() -> None:
    """The record store: TinyDB files in records/ (the default) or a PostgreSQL database.

    \b
    Examples:
      qms store info
      qms --as admin store migrate --to postgresql://qms@db.example.com/quality
    """


@store.command()
@json_option
@pass_app
def info(app: App, as_json: bool) -> None:
    """Say which store the workspace runs on, and how much it holds.

    \b
    Example:
      qms store info
    """
    url, schema = settings_of(app.workspace.config.raw, app.workspace.root)
    last = app.store.audit.last()
    data: dict[str, Any] = {
        "backend": app.store.kind, "where": describe(app.store), "schema": schema if url else None,
        "collections": {c: len(app.store.keys(c)) for c in app.store.collections()},
        "entries": int(last["seq"]) if last else 0, "head": last["hash"] if last else "",
    }
    if as_json:
        echo_json(data)
        return
    click.echo(f"store: {data['where']}")
    for collection, count in data["collections"].items():
        click.echo(f"  {collection}: {count}")
    click.echo(f"audit log: {data['entries']} entries, head {str(data['head'])[:16]}")


@store.command()
@click.option("--to", "to", required=True, metavar="URL|folder",
              help="A postgresql:// url, or \"folder\" for TinyDB files in records/.")
@click.option("--schema", metavar="NAME", help="The schema on PostgreSQL (default: one for this workspace folder).")
@json_option
@pass_app
def migrate(app: App, to: str, schema: str | None, as_json: bool) -> None:
    """Move every object, number and audit entry to another store, verify it there, then switch to it.

    The target must be empty (or already hold exactly this store: then only the switch is done).
    The chain head and every object's hash must come out the same on the other side, or nothing
    is switched. The folder store's files are kept aside in records/before-migration-*/.

    \b
    Examples:
      qms store migrate --to postgresql://qms@db.example.com/quality
      qms store migrate --to folder
    """
    from qms.backend import check_schema
    from qms.migration import migrate as run

    if schema is not None:
        check_schema(schema, "--schema")
    actor = "qms"
    if app.store.keys("users"):
        actor = app.actor("store.migrate", "migrate the record store")["name"]
    report = run(app, to, schema, actor)
    if as_json:
        echo_json(report.as_dict())
        return
    if report.already:
        click.echo(f"{report.target} already holds this store ({report.entries} entries, head {report.head[:16]}); "
                   "switched to it")
    else:
        click.echo(f"migrated {report.objects} objects and {report.entries} audit entries to {report.target}; "
                   f"verified: same head {report.head[:16]}")
    if report.kept:
        click.echo(f"the folder store's files are kept in {report.kept}")
    click.echo("qms.toml now names the new store; `qms verify` checks it")
