"""``qms user``: add users, list them, change their role, department or post, deactivate them, change passwords."""

from __future__ import annotations

import click

from qms.app import App
from qms.cli import echo_json, json_option, pass_app, password_option, read_password
from qms.cli.table import echo_table
from qms.errors import UsageError
from qms.logins import own_password


@click.group()
def user() -> None:
    """Workspace users and their roles.

    \b
    Example:
      qms user add xie --role quality_officer --dept 质量管理部 --as admin
    """


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, help="admin, quality_officer, approver, department or auditor.")
@click.option("--dept", required=True, help="Department, e.g. 品质部.")
@click.option("--full-name", default="", help="Name shown on signatures, e.g. 李明.")
@click.option("--post", default="", help="职务 the user signs in, e.g. 总经理, 管理者代表, 文控, 计量员.")
@password_option
@json_option
@pass_app
def user_add(app: App, name: str, role: str, dept: str, full_name: str, post: str, password_stdin: bool,
             as_json: bool) -> None:
    """Add a user; the password is asked twice and stored only as a scrypt hash.

    The first user of a workspace must be an admin and needs no --as. Adding any other user
    needs your own password too (QMS_PASSWORD, or asked on a terminal): it signs the new user's key.

    \b
    Example:
      qms user add tian --role approver --dept 总经理办公室 --post 副总经理 --full-name 田强 --as admin
    """
    if app.users.is_empty():
        if role != "admin":
            raise UsageError("the first user of a workspace must have the role admin")
        actor, by_password = name, None
    else:
        actor = app.actor("user.manage", "add users")["name"]
        by_password = own_password(app, "adding a user")
    password = read_password(password_stdin, "Password", confirm=not password_stdin)
    if actor == name:
        by_password = password  # the first admin signs its own enrolment with its new key
    added = app.users.add(name, role, dept, password, actor=actor, full_name=full_name, post=post,
                          by_password=by_password)
    if as_json:
        echo_json({k: v for k, v in added.items() if k != "password"})
        return
    click.echo(f"added user {added['name']} ({added['role']}, {added['dept']}{', ' + post if post else ''})")


@user.command("list")
@json_option
@pass_app
def user_list(app: App, as_json: bool) -> None:
    """List users with role, department, post and whether they are active.

    \b
    Example:
      qms user list --json
    """
    users = app.users.list()
    if as_json:
        echo_json(users)
        return
    echo_table(["用户 User", "角色 Role", "部门 Department", "职务 Post", "姓名 Full name", "状态 State"],
               [[u["name"], u["role"], u["dept"], u.get("post", ""), u.get("full_name", ""),
                 "在职 active" if u.get("active", True) else "已停用 deactivated"] for u in users], empty="no users")


@user.command("set")
@click.argument("name")
@click.option("--role", default=None, help="New role.")
@click.option("--dept", default=None, help="New department.")
@click.option("--post", default=None, help="New post (职务); an empty string clears it.")
@click.option("--full-name", default=None, help="New full name shown on signatures.")
@json_option
@pass_app
def user_set(app: App, name: str, role: str | None, dept: str | None, post: str | None, full_name: str | None,
             as_json: bool) -> None:
    """Change a user's role, department, post or full name (admin only; logged in the audit trail).

    Signatures already made keep the post they were made in.

    \b
    Example:
      qms user set zhao --post 业务经理 --as admin
    """
    actor = app.actor("user.manage", "change users")["name"]
    by_password = own_password(app, "changing a user")
    changed = app.users.change(name, actor, role=role, dept=dept, post=post, full_name=full_name,
                               by_password=by_password)
    if as_json:
        echo_json(changed)
        return
    click.echo(f"changed user {changed['name']}: {changed['role']}, {changed['dept']}, "
               f"post {changed.get('post') or '—'}, {changed.get('full_name', '')}")


@user.command("deactivate")
@click.argument("name")
@click.option("--reason", required=True, help="Why, e.g. 离职 left the company.")
@json_option
@pass_app
def user_deactivate(app: App, name: str, reason: str, as_json: bool) -> None:
    """Deactivate a user (admin only): their signatures stay, but they can no longer log in, act or sign.

    \b
    Example:
      qms user deactivate zhao --reason "离职 left the company" --as admin
    """
    actor = app.actor("user.manage", "deactivate users")["name"]
    by_password = own_password(app, "deactivating a user")
    done = app.users.deactivate(name, actor, reason, by_password=by_password)
    if as_json:
        echo_json(done)
        return
    click.echo(f"deactivated user {done['name']}: {reason}")


@user.command("passwd")
@click.argument("name", required=False)
@password_option
@pass_app
def user_passwd(app: App, name: str | None, password_stdin: bool) -> None:
    """Change a password: your own, or (as admin, with your own password) another user's.

    Either way the user gets a new signing key. A key set by an admin's reset may not sign:
    the user chooses their own password with `qms user passwd` first.

    \b
    Example:
      qms user passwd --as li
    """
    if not app.actor_name:
        raise UsageError("say who you are with `qms login NAME` or --as NAME")
    target = name or app.actor_name
    by_password = None
    if target != app.actor_name:
        app.actor("user.manage", "change another user's password")
        by_password = own_password(app, "resetting another user's password")
    else:
        # Changing one's own password proves knowledge of the current one first.
        app.users.authenticate(target, read_password(password_stdin, "Current password"))
    password = read_password(password_stdin, "New password", confirm=not password_stdin)
    app.users.set_password(target, password, actor=app.actor_name, by_password=by_password)
    click.echo(f"password of {target} changed")


@user.command("unlock")
@click.argument("name")
@json_option
@pass_app
def user_unlock(app: App, name: str, as_json: bool) -> None:
    """Let NAME log in on the site again at once from every address (admin only; logged).

    Clears the failed-login counts and waits the site's throttle keeps for NAME.

    \b
    Example:
      qms user unlock zhao --as admin
    """
    from qms.site.throttle import Throttle

    actor = app.actor("user.manage", "unlock users")["name"]
    from qms.admin_actions import signed_detail
    from qms.audit import digest

    by_password = own_password(app, "unlocking a user")
    app.users.get(name)  # an unknown name is one clear line
    with app.store.transaction():
        throttle = Throttle(app.store)
        cleared = throttle.clients(name)
        signed = signed_detail(app.users, actor, by_password, "user.unlock", "users", name,
                               digest(app.users.get(name)), None)
        app.store.log_event("users", name, actor=actor, action="user.unlock",
                            reason=f"site login throttle cleared for {cleared} client(s)", detail=signed)
        throttle.unlock(name)  # last: if it fails, the log entry above is rolled back with it
    throttle.flush()
    if as_json:
        echo_json({"name": name, "clients": cleared})
        return
    click.echo(f"unlocked {name}: failed logins from {cleared} client(s) forgotten")
