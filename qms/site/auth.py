"""Login, sessions, CSRF and the per-user lockout of the auditor site.

* Passwords are checked with ``Users.authenticate`` against the stored scrypt hashes; an unknown
  name costs the same scrypt work and gets the same message, so names cannot be probed.
* The session is Flask's signed cookie (HttpOnly, SameSite=Strict) holding the user name, a random
  session id and the CSRF token. The server keeps the ids it issued; logout forgets the id, so a
  copied cookie is dead after logout even though its signature is still good.
* A deactivated user is refused at login like an unknown one; the site's guard also ends the session
  of a user deactivated while logged in, at their next request.
* ``LOCK_AFTER`` wrong passwords in a row lock the user for ``LOCK_MINUTES``. The count lives in
  the store (collection ``site_logins``, one object per user, every change in the audit log), so it
  survives a restart; every login, failure and refusal is an audit-log event.
* The login form is the only POST of the site and carries a CSRF token bound to the session.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import MutableMapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from qms import clock
from qms.errors import AuthError
from qms.store import Store
from qms.users import Users, check_password, hash_password

COLLECTION = "site_logins"
LOCK_AFTER = 5
LOCK_MINUTES = 15
FAILED = "用户名或密码错误 Wrong user name or password"
# Checked for unknown names so a wrong name costs the same scrypt work as a wrong password.
_DUMMY_HASH = hash_password("not-a-password", salt=b"qms-site-dummy!!")


class Locked(AuthError):
    """The user is locked out after too many wrong passwords."""


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok(session: MutableMapping[str, Any], sent: str | None) -> bool:
    """Whether the form's token is the session's (constant-time)."""
    token = session.get("csrf")
    return isinstance(token, str) and isinstance(sent, str) and bool(sent) and hmac.compare_digest(token, sent)


def safe_next(target: str | None, default: str) -> str:
    """Where to go after login: a path on this site only (no scheme, host, ``//`` or backslash)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


class Sessions:
    """Session ids this server issued and has not seen logged out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[str, str] = {}

    def open(self, name: str) -> str:
        """A new session id for ``name``."""
        sid = secrets.token_urlsafe(24)
        with self._lock:
            self._live[sid] = name
        return sid

    def user(self, sid: Any) -> str | None:
        """The user of a live session id."""
        if not isinstance(sid, str):
            return None
        with self._lock:
            return self._live.get(sid)

    def close(self, sid: Any) -> None:
        """Forget a session id (logout)."""
        if isinstance(sid, str):
            with self._lock:
                self._live.pop(sid, None)


class Logins:
    """Authentication with the per-user failure count and lockout kept in the store."""

    def __init__(self, store: Store, users: Users) -> None:
        self.store = store
        self.users = users

    def state(self, name: str) -> dict[str, Any]:
        """The stored failure count and lock of ``name`` (zero when never failed)."""
        return self.store.get(COLLECTION, name) or {"name": name, "failures": 0, "locked_until": None}

    def locked_until(self, name: str, now: datetime) -> datetime | None:
        """When the lock on ``name`` ends, if it is locked at ``now``."""
        until = self.state(name).get("locked_until")
        if until and datetime.fromisoformat(until) > now:
            return datetime.fromisoformat(until)
        return None

    def login(self, name: str, password: str, remote: str = "") -> dict[str, Any]:
        """The user if the password is right and they are not locked; ``AuthError``/``Locked`` otherwise."""
        now = clock.now()
        detail = {"remote": remote[:64]} if remote else None
        stored = self.store.get("users", name)
        exists = stored is not None
        if stored is not None and not stored.get("active", True):
            # A deactivated user gets the same answer and costs the same work as an unknown one.
            check_password(password, _DUMMY_HASH)
            self.store.log_event("event", "site.login", actor=name, action="site.login.refused",
                                 reason="user deactivated", detail=detail)
            raise AuthError(FAILED)
        if not exists:
            check_password(password, _DUMMY_HASH)
            self.store.log_event("event", "site.login", actor=name[:40] or "?", action="site.login.failed",
                                 reason="unknown user", detail=detail)
            raise AuthError(FAILED)
        # The failure count and the refusal's log entry are kept although the login is refused.
        with self.store.transaction(keep_on=(AuthError,)):
            until = self.locked_until(name, now)
            if until is not None:
                self.store.log_event("event", "site.login", actor=name, action="site.login.refused",
                                     reason=f"locked until {until.isoformat()}", detail=detail)
                raise Locked(f"账户已锁定 Account locked after {LOCK_AFTER} wrong passwords; "
                             f"try again after {until.strftime('%Y-%m-%d %H:%M')} or ask an admin")
            state = self.state(name)
            try:
                user = self.users.authenticate(name, password)
            except AuthError:
                failures = int(state.get("failures", 0)) + 1
                locked = (now + timedelta(minutes=LOCK_MINUTES)).isoformat() if failures >= LOCK_AFTER else None
                self.store.put(COLLECTION, name, {"name": name, "failures": failures, "locked_until": locked,
                                                  "last_failure": now.isoformat()},
                               actor=name, action="site.login.locked" if locked else "site.login.failed",
                               reason=f"wrong password ({failures} in a row)", detail=detail)
                if locked:
                    raise Locked(f"账户已锁定 Account locked after {LOCK_AFTER} wrong passwords; "
                                 f"try again in {LOCK_MINUTES} minutes or ask an admin") from None
                raise AuthError(FAILED) from None
            if state.get("failures") or state.get("locked_until"):
                self.store.put(COLLECTION, name, {"name": name, "failures": 0, "locked_until": None,
                                                  "last_failure": state.get("last_failure")},
                               actor=name, action="site.login", detail=detail)
            else:
                self.store.log_event("event", "site.login", actor=name, action="site.login", detail=detail)
        return user

    def logout(self, name: str) -> None:
        """Log the end of a session."""
        self.store.log_event("event", "site.login", actor=name, action="site.logout")
