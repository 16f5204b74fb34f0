"""``qms login``, ``qms logout`` and ``qms token``: proving who runs a command (see ``qms.logins``)."""

from __future__ import annotations

from datetime import datetime

import click

from qms import clock, logins
from qms.app import App
from qms.cli import echo_json, json_option, pass_app, password_option, read_password
from qms.cli.table import echo_table
from qms.errors import UsageError


@click.command()
@click.argument("name")
@click.option("--hours", type=click.IntRange(1, 24), default=logins.LOGIN_HOURS, show_default=True,
              help="How long the login lasts.")
@password_option
@pass_app
def login(app: App, name: str, hours: int, password_stdin: bool) -> None:
    """Log in as NAME on this workspace: asks the password, then commands act as NAME without --as.

    The token is kept in your own config folder (${XDG_CONFIG_HOME:-~/.config}/qms/), the
    workspace keeps only its hash; the login is logged. Signing still asks the password again.

    \b
    Example:
      qms login li
    """
    done = logins.login(app, name, read_password(password_stdin, f"Password for {name}"), hours)
    click.echo(f"logged in as {done['user']} on {app.workspace.root} until {done['expires']}; `qms logout` ends it")


@click.command()
@pass_app
def logout(app: App) -> None:
    """End your login on this workspace (the token is revoked and forgotten; logged).

    \b
    Example:
      qms logout
    """
    name = logins.logout(app)
    click.echo(f"logged out {name}" if name else "not logged in on this workspace; nothing to do")


@click.group()
def token() -> None:
    """Tokens for scripts and CI (QMS_TOKEN), made and revoked by an admin.

    \b
    Example:
      qms token create --user ci --expires 2027-01-31 --as admin
    """


@token.command("create")
@click.option("--user", "user_name", required=True, help="The user the token acts as.")
@click.option("--expires", required=True, metavar="YYYY-MM-DD", help="The last day the token is valid.")
@click.option("--note", default="", help="What the token is for, e.g. nightly export.")
@pass_app
def token_create(app: App, user_name: str, expires: str, note: str) -> None:
    """Make a token acting as USER until the end of EXPIRES (admin; asks your own password; logged).

    The token is printed once; give it to the script as QMS_TOKEN. Only its hash is kept.

    \b
    Example:
      qms token create --user li --expires 2027-01-31 --note "nightly export" --as admin
    """
    actor = app.actor("user.manage", "create tokens")["name"]
    try:
        until = datetime.fromisoformat(expires).replace(hour=23, minute=59, second=59)
    except ValueError:
        raise UsageError(f"--expires {expires!r} is not a date; give it as YYYY-MM-DD") from None
    if until <= clock.now():
        raise UsageError(f"--expires {expires} is already past; give a later date")
    target = app.users.get(user_name)
    if not target.get("active", True):
        raise UsageError(f"{user_name} is deactivated; a token cannot act for them")
    by_password = logins.own_password(app, "creating a token")
    made = logins.issue(app, user_name, logins.SCRIPT, until, actor, note, by_password=by_password)
    click.echo(made)
    click.echo(f"token for {user_name} until {until.isoformat()}, shown only now; use it as QMS_TOKEN", err=True)


@token.command("list")
@json_option
@pass_app
def token_list(app: App, as_json: bool) -> None:
    """List live logins and script tokens by id (the start of their hash), user and expiry.

    \b
    Example:
      qms token list
    """
    rows = [{"id": key[:12], **entry} for key, entry in app.store.iter(logins.TOKENS)]
    rows.sort(key=lambda r: r["created"])
    if as_json:
        echo_json(rows)
        return
    echo_table(["编号 Id", "用户 User", "类型 Kind", "到期 Expires", "说明 Note"],
               [[r["id"], r["user"], r["kind"], r["expires"], r.get("note", "")] for r in rows], empty="no tokens")


@token.command("revoke")
@click.argument("token_id")
@pass_app
def token_revoke(app: App, token_id: str) -> None:
    """Revoke a token at once by its id from `qms token list` (admin; logged).

    \b
    Example:
      qms token revoke 3f2a9c1b77de --as admin
    """
    actor = app.actor("user.manage", "revoke tokens")["name"]
    entry = logins.revoke(app, token_id, actor)
    click.echo(f"revoked the {entry.get('kind')} token of {entry.get('user')}")
