"""Who runs a CLI command, proven: login tokens, script tokens and the check a changing command makes.

``qms login NAME`` asks the password and keeps a short-lived token in the user's own config folder
(``${XDG_CONFIG_HOME:-~/.config}/qms/logins.json``, one entry per workspace); the workspace stores
only the token's sha256 (collection ``tokens``), and the login and logout are logged. A script
uses a token an admin made for it (``qms token create``) through ``QMS_TOKEN``, or a password
through ``QMS_PASSWORD``. A name given with ``--as`` or ``QMS_USER`` alone proves nothing.

Read-only commands never ask: the proof is checked the first time a command asks for its actor
(``App.actor``), which every changing command does.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qms import clock
from qms.errors import AuthError, UsageError

if TYPE_CHECKING:
    from qms.app import App
    from qms.host import Host
    from qms.workspace import Workspace

TOKENS = "tokens"
LOGIN_HOURS = 8
LOGIN = "login"
SCRIPT = "script"


def config_dir() -> Path:
    """The user's own qms config folder (not the workspace: a token there would be anyone's)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "qms"


def _logins_file() -> Path:
    return config_dir() / "logins.json"


def _read_logins() -> dict[str, Any]:
    try:
        data = json.loads(_logins_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_logins(data: dict[str, Any]) -> None:
    path = _logins_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    # Only the owner may read a file of live tokens.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
    os.replace(tmp, path)


def _workspace_id(root: Path) -> str:
    return str(root.resolve())


def saved_login(root: Path) -> dict[str, Any] | None:
    """The login kept for the workspace at ``root`` (user, token, expires), if any."""
    found = _read_logins().get(_workspace_id(root))
    return found if isinstance(found, dict) and found.get("token") and found.get("user") else None


def token_hash(token: str) -> str:
    """What the workspace keeps of a token: its sha256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(app: App, user: str, kind: str, expires: datetime, actor: str, note: str = "",
          by_password: str | None = None) -> str:
    """A new token for ``user`` until ``expires``, its hash stored and logged; the token itself is returned once.

    ``by_password`` (the admin's own, for a script token) signs the audit entry (``qms.admin_actions``).
    """
    token = "qms_" + secrets.token_urlsafe(32)
    entry = {"user": user, "kind": kind, "created": clock.stamp(), "expires": expires.isoformat(), "by": actor,
             "note": note}
    action = "user.login" if kind == LOGIN else "token.create"
    detail: dict[str, Any] = {"user": user, "kind": kind, "expires": entry["expires"]}
    if by_password is not None:
        from qms.admin_actions import signed_detail
        from qms.audit import digest

        detail = signed_detail(app.users, actor, by_password, action, TOKENS, token_hash(token), digest(entry), detail)
    app.store.put(TOKENS, token_hash(token), entry, actor=actor, action=action, detail=detail)
    return token


def check_token(app: App, token: str) -> dict[str, Any]:
    """The active user ``token`` belongs to; ``AuthError`` for an unknown, revoked or expired one."""
    entry = app.store.get(TOKENS, token_hash(token))
    if entry is None:
        raise AuthError("this token is unknown or was revoked; run `qms login NAME` again or ask an admin for a new one")
    if entry["expires"] <= clock.stamp():
        raise AuthError(f"the token of {entry['user']} expired at {entry['expires']}; "
                        f"run `qms login {entry['user']}` again or ask an admin for a new one")
    user = app.users.get(entry["user"])
    if not user.get("active", True):
        raise AuthError(f"user {entry['user']!r} is deactivated and may no longer act or sign; ask an admin")
    return entry


def login(app: App, name: str, password: str, hours: int = LOGIN_HOURS) -> dict[str, Any]:
    """Check ``name``'s password, issue a login token and keep it in the user's config folder."""
    app.users.authenticate(name, password)
    expires = clock.now() + timedelta(hours=hours)
    token = issue(app, name, LOGIN, expires, name)
    logins = _read_logins()
    logins[_workspace_id(app.workspace.root)] = {"user": name, "token": token, "expires": expires.isoformat()}
    _write_logins(logins)
    return {"user": name, "expires": expires.isoformat()}


def logout(app: App) -> str | None:
    """End the login kept for this workspace: the token is revoked (logged) and forgotten; the user's name."""
    logins = _read_logins()
    saved = logins.pop(_workspace_id(app.workspace.root), None)
    if not isinstance(saved, dict):
        return None
    key = token_hash(str(saved.get("token", "")))
    if app.store.get(TOKENS, key) is not None:
        app.store.delete(TOKENS, key, actor=str(saved["user"]), action="user.logout", reason="qms logout")
    _write_logins(logins)
    return str(saved["user"])


def revoke(app: App, prefix: str, actor: str) -> dict[str, Any]:
    """Revoke the token whose hash starts with ``prefix`` (as ``qms token list`` shows it)."""
    if len(prefix) < 8:
        raise UsageError("give at least 8 characters of the token's id, as `qms token list` shows it")
    found = [k for k in app.store.keys(TOKENS) if k.startswith(prefix)]
    if len(found) != 1:
        raise UsageError(f"{len(found)} tokens have an id starting {prefix!r}; give the id `qms token list` shows")
    entry = app.store.get(TOKENS, found[0]) or {}
    app.store.delete(TOKENS, found[0], actor=actor, action="token.revoke", reason=f"token of {entry.get('user')} revoked")
    return entry


class Identity:
    """How the actor of one CLI command proves who they are; checked once, when a command first changes something."""

    def __init__(self, login: dict[str, Any] | None, named: str | None = None) -> None:
        self.login = login
        self.named = named  # the name given with --as or QMS_USER, if any
        self.proven = False

    def prove(self, app: App) -> None:
        """Accept the command's actor, or refuse in one line saying how to prove who they are."""
        if self.proven:
            return
        name = app.actor_name
        token = os.environ.get("QMS_TOKEN")
        password = os.environ.get("QMS_PASSWORD")
        if token:
            owner = check_token(app, token)["user"]
            if self.named and self.named != owner:
                raise AuthError(f"QMS_TOKEN belongs to {owner}, not {self.named}; "
                                f"drop --as or use {self.named}'s own token")
            app.actor_name = owner
        elif not name:
            raise UsageError("this command changes the workspace: say who you are with `qms login NAME` first "
                             "(or --as NAME with QMS_PASSWORD set)")
        elif self.login and self.login["user"] == name and not password:
            check_token(app, str(self.login["token"]))
        elif password is not None:
            app.users.authenticate(name, password)
        elif sys.stdin.isatty():
            app.users.authenticate(name, click.prompt(f"Password for {name}", hide_input=True))
        else:
            raise AuthError(f"--as {name} alone proves nothing: run `qms login {name}` first, or set QMS_PASSWORD "
                            f"(QMS_TOKEN for scripts); nothing was changed")
        self.proven = True


def open_as(host: Host, workspace: Workspace, named: str | None, login: dict[str, Any] | None) -> App:
    """The workspace opened for one command, acting as ``named`` (``--as``) or else the logged-in user.

    Either way the actor proves who they are (``Identity``) when the command first changes
    something. The render service opens each command it is handed the same way, with the
    caller's own login.
    """
    from qms.app import App

    actor = named or (str(login["user"]) if login else None)
    return App(workspace, host, actor, proof=Identity(login, named).prove)


def own_password(app: App, doing: str) -> str:
    """The acting admin's own password for an admin action: ``QMS_PASSWORD`` or asked on a terminal."""
    password = os.environ.get("QMS_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise AuthError(f"{doing} needs your own password ({app.actor_name}): set QMS_PASSWORD "
                            f"or run it on a terminal; nothing was changed")
        password = click.prompt(f"Your own password ({app.actor_name})", hide_input=True)
    app.users.authenticate(str(app.actor_name), password)
    return password
