"""Login, sessions, CSRF and the login throttle of the auditor site.

* Passwords are checked with ``Users.authenticate`` against the stored scrypt hashes; an unknown
  name costs the same scrypt work and gets the same message, so names cannot be probed.
* The session is Flask's signed cookie (HttpOnly, SameSite=Strict) holding the user name, a random
  session id and the CSRF token. The server keeps the ids it issued; logout forgets the id, so a
  copied cookie is dead after logout even though its signature is still good.
* A deactivated user is refused at login like an unknown one; the site's guard also ends the session
  of a user deactivated while logged in, at their next request.
* Wrong passwords slow down the client that sent them, for that name only, with exponential
  back-off (``qms.site.throttle``); the right password from another address still logs in, and
  ``qms user unlock NAME`` clears a name. Failures are counted in a bounded file and logged as
  periodic summaries, never one entry per attempt; each successful login is an audit-log event.
* The login form is the only POST of the site and carries a CSRF token bound to the session.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlsplit

from qms import clock
from qms.errors import AuthError
from qms.store import Store
from qms.site.throttle import Throttle
from qms.users import Users, check_password, hash_password, public

FAILED = "用户名或密码错误 Wrong user name or password"
# Checked for unknown names so a wrong name costs the same scrypt work as a wrong password.
_DUMMY_HASH = hash_password("not-a-password", salt=b"qms-site-dummy!!")


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


class Throttled(AuthError):
    """The client tried a name too often with a wrong password and must wait ``wait`` seconds."""

    def __init__(self, wait: int) -> None:
        self.wait = wait
        super().__init__(f"登录尝试过多 Too many failed logins from this address for this name; "
                         f"wait {wait} seconds and try again, or ask an admin (qms user unlock)")


class Logins:
    """Authentication with the per-client, per-name throttle (``qms.site.throttle``)."""

    def __init__(self, store: Store, users: Users) -> None:
        self.store = store
        self.users = users
        self.throttle = Throttle(store)

    def login(self, name: str, password: str, remote: str = "") -> dict[str, Any]:
        """The user if the password is right; ``AuthError`` or ``Throttled`` (saying how long to wait) otherwise.

        Unknown, deactivated and known names get the same answer for the same work (one scrypt
        check), and the same throttle, so the answer tells nothing about which names exist.
        """
        now = clock.now()
        client = remote[:64] or "?"
        verdict = self.throttle.check(client, name, now)
        if not verdict.allowed:
            raise Throttled(verdict.wait)
        stored = self.store.get("users", name)
        if stored is None or not stored.get("active", True):
            check_password(password, _DUMMY_HASH)
            ok = False
        else:
            ok = check_password(password, stored["password"])
        if not ok or stored is None:
            wait = self.throttle.failed(client, name, stored is not None, now)
            if wait:
                raise Throttled(wait)
            raise AuthError(FAILED)
        self.throttle.succeeded(client, name)
        self.store.log_event("event", "site.login", actor=name, action="site.login",
                             detail={"remote": client})
        return public(stored)

    def logout(self, name: str) -> None:
        """Log the end of a session."""
        self.store.log_event("event", "site.login", actor=name, action="site.logout")
