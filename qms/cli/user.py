"""``qms user``: add users, list them, change passwords."""

from __future__ import annotations

import click

from qms.app import App
from qms.cli import echo_json, json_option, pass_app, password_option, read_password
from qms.cli.table import echo_table
from qms.errors import UsageError


@click.group()
def user() -> None:
    """Workspace users and their roles.

    \b
    Example:
      qms user add li --role quality_officer --dept 质量管理部 --as admin
    """


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, help="admin, quality_officer, approver, department or auditor.")
@click.option("--dept", required=True, help="Department, e.g. 品质部.")
@click.option("--full-name", default="", help="Name shown on signatures, e.g. 李明.")
@password_option
@json_option
@pass_app
def user_add(app: App, name: str, role: str, dept: str, full_name: str, password_stdin: bool, as_json: bool) -> None:
    """Add a user; the password is asked twice and stored only as a scrypt hash.

    The first user of a workspace must be an admin and needs no --as.

    \b
    Example:
      qms user add wang --role approver --dept 总经理办公室 --full-name 王强 --as admin
    """
    if app.users.is_empty():
        if role != "admin":
            raise UsageError("the first user of a workspace must have the role admin")
        actor = name
    else:
        actor = app.actor("user.manage", "add users")["name"]
    password = read_password(password_stdin, "Password", confirm=not password_stdin)
    added = app.users.add(name, role, dept, password, actor=actor, full_name=full_name)
    if as_json:
        echo_json({k: v for k, v in added.items() if k != "password"})
        return
    click.echo(f"added user {added['name']} ({added['role']}, {added['dept']})")


@user.command("list")
@json_option
@pass_app
def user_list(app: App, as_json: bool) -> None:
    """List users with role and department.

    \b
    Example:
      qms user list --json
    """
    users = app.users.list()
    if as_json:
        echo_json(users)
        return
    echo_table(["用户 User", "角色 Role", "部门 Department", "姓名 Full name"],
               [[u["name"], u["role"], u["dept"], u.get("full_name", "")] for u in users], empty="no users")


@user.command("passwd")
@click.argument("name", required=False)
@password_option
@pass_app
def user_passwd(app: App, name: str | None, password_stdin: bool) -> None:
    """Change a password: your own, or (as admin) another user's.

    \b
    Example:
      qms user passwd --as li
    """
    if not app.actor_name:
        raise UsageError("say who you are with --as NAME or QMS_USER")
    target = name or app.actor_name
    if target != app.actor_name:
        app.actor("user.manage", "change another user's password")
    else:
        # Changing one's own password proves knowledge of the current one first.
        app.users.authenticate(target, read_password(password_stdin, "Current password"))
    password = read_password(password_stdin, "New password", confirm=not password_stdin)
    app.users.set_password(target, password, actor=app.actor_name)
    click.echo(f"password of {target} changed")
