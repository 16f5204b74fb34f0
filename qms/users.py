"""Workspace users: names, roles, departments and scrypt password hashes.

Passwords are never stored: only a salted scrypt hash (slow on purpose). A signature asks for the
password again through ``authenticate``; so does the auditor site's login.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

from qms import clock
from qms.errors import AuthError, NotFound, PermissionDenied, UsageError
from qms.store import Store
from qms.workspace import Config

COLLECTION = "users"
_NAME = re.compile(r"^[\w.\-\u4e00-\u9fff]{1,40}$")
# scrypt cost: about 50 ms per check here, enough to slow a guesser without slowing a signer.
_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 8


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A self-describing scrypt hash: ``scrypt$N$r$p$salt$hash``."""
    salt = salt or os.urandom(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${key.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (constant-time compare)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(got.hex(), key)


def public(user: dict[str, Any]) -> dict[str, Any]:
    """A user without the password hash."""
    return {k: v for k, v in user.items() if k != "password"}


class Users:
    """Add, list, authenticate and authorise users of one workspace."""

    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config

    def get(self, name: str) -> dict[str, Any]:
        """The user called ``name``; ``NotFound`` otherwise."""
        user = self.store.get(COLLECTION, name)
        if user is None:
            raise NotFound(f"no user {name!r} in this workspace; list them with `qms user list`")
        return user

    def list(self) -> list[dict[str, Any]]:
        """Every user, without password hashes, by name."""
        return sorted((public(u) for _, u in self.store.iter(COLLECTION)), key=lambda u: u["name"])

    def add(self, name: str, role: str, dept: str, password: str, actor: str, full_name: str = "") -> dict[str, Any]:
        """Create a user; the first user of a workspace must be an admin and may create itself."""
        if not _NAME.match(name):
            raise UsageError(f"user name {name!r} may hold only letters, digits, '.', '-' and '_' (at most 40)")
        if role not in self.config.roles:
            raise UsageError(f"unknown role {role!r}; choose one of {', '.join(sorted(self.config.roles))}")
        if len(password) < MIN_PASSWORD:
            raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
        with self.store.transaction():
            if self.store.get(COLLECTION, name) is not None:
                raise UsageError(f"user {name!r} already exists; choose another name or use `qms user passwd`")
            user = {"name": name, "full_name": full_name or name, "role": role, "dept": dept,
                    "password": hash_password(password), "created": clock.stamp(), "active": True}
            self.store.put(COLLECTION, name, user, actor=actor, action="user.add", detail={"role": role, "dept": dept})
        return public(user)

    def is_empty(self) -> bool:
        """True before the first user is added."""
        return not self.store.keys(COLLECTION)

    def set_password(self, name: str, password: str, actor: str) -> None:
        """Replace a user's password."""
        if len(password) < MIN_PASSWORD:
            raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
        with self.store.transaction():
            user = self.get(name)
            user["password"] = hash_password(password)
            self.store.put(COLLECTION, name, user, actor=actor, action="user.passwd")

    def authenticate(self, name: str, password: str) -> dict[str, Any]:
        """The user if ``password`` is right; ``AuthError`` (saying which) otherwise."""
        user = self.store.get(COLLECTION, name)
        if user is None or not user.get("active", True):
            raise AuthError(f"unknown user {name!r}; check the name or ask an admin to add you")
        if not check_password(password, user["password"]):
            raise AuthError(f"wrong password for {name!r}; nothing was changed")
        return public(user)

    def authorise(self, name: str | None, permission: str, action: str) -> dict[str, Any]:
        """The acting user if their role allows ``permission``; a clear refusal otherwise."""
        if not name:
            raise UsageError(f"{action} changes the workspace: say who you are with --as NAME or QMS_USER")
        user = self.store.get(COLLECTION, name)
        if user is None:
            raise AuthError(f"unknown user {name!r}; list users with `qms user list`")
        if not self.config.allows(user["role"], permission):
            allowed = sorted(r for r in self.config.roles if self.config.allows(r, permission))
            raise PermissionDenied(
                f"{name} ({user['role']}) may not {action}; that needs one of the roles: {', '.join(allowed)}"
            )
        return public(user)
