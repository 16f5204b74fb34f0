"""``qms doctor``: finish a write a crash left unfinished, say what was done, and verify the workspace."""

from __future__ import annotations

import sys

import click

from qms.app import App
from qms.cli import echo_json, json_option, pass_app
from qms.errors import ExitCode
from qms.verify import verify_store


@click.command()
@json_option
@pass_app
def doctor(app: App, as_json: bool) -> None:
    """Recover a write interrupted by a crash or power cut, then verify the workspace.

    A filing, move or amendment is written as one unit with its audit entry. If the writer died
    part-way, the unit is rolled back (its files get their old bytes, the log its old length) or,
    when it was complete, rolled forward; the recovery is itself logged (action store.recover).
    Any qms command that opens the workspace does this too; doctor says what was done.
    Exit 0 when the workspace is intact afterwards, 1 otherwise.

    \b
    Examples:
      qms doctor
      qms doctor --json
    """
    store = app.store
    store.recover()
    recovered = list(store.recovered)  # including what opening the workspace already recovered
    report = verify_store(store, app.workspace.root)
    recovered += [r for r in store.recovered if r not in recovered]
    logged = [e for e in store.audit.entries() if e.get("action") == "store.recover"]
    if as_json:
        echo_json({"recovered": [r.as_dict() for r in recovered], "recoveries_logged": len(logged),
                   "verify": report.as_dict()})
    else:
        for r in recovered:
            click.echo(f"recovered: {r.describe()}")
        if not recovered:
            click.echo("doctor: nothing to recover (no write was left unfinished)")
        if logged:
            last = logged[-1]
            click.echo(f"recoveries in the audit log: {len(logged)}, the last at {last.get('at')}")
        for p in report.problems:
            click.echo(f"CHANGED {p.object}: {p.message}")
        status = "intact" if report.ok else f"{len(report.problems)} problem(s); see `qms verify`"
        click.echo(f"verify: {status}; {report.entries} audit entries, head {report.head[:16]}")
    if not report.ok:
        sys.exit(int(ExitCode.NONCONFORMITY))
