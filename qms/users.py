"""Workspace users: names, roles, departments, posts (职务), active state, scrypt password hashes and signing keys.

Passwords are never stored: only a salted scrypt hash (slow on purpose). A signature asks for the
password again through ``authenticate``; so does the auditor site's login. Each user's Ed25519
signing key is sealed by their password (``qms.keys``); adding a user or changing a password makes
a new key pair, whose public half is registered in the audit log, signed by whoever registered it.

A user's *role* says what the software lets them do; their *post* (职务, e.g. 总经理, 管理者代表,
文控) is the office they sign in, which a workflow may require for a signed move and which the
signature blocks of PDFs print. A deactivated user is never deleted: their past signatures stay
shown and verifiable, but they can no longer log in, act or sign.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qms import clock, keys
from qms.audit import digest
from qms.errors import AuthError, NotFound, PermissionDenied, Refused, UsageError
from qms.store import Store
from qms.workspace import Config

COLLECTION = "users"
_NAME = re.compile(r"^[\w.\-\u4e00-\u9fff]{1,40}$")
# scrypt cost: about 50 ms per check here, enough to slow a guesser without slowing a signer.
_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 8
MAX_TEXT = 40

#: Chinese-first display names of the built-in roles, printed where a signer has no post.
ROLE_LABELS: dict[str, str] = {
    "admin": "系统管理员 Administrator",
    "quality_officer": "质量管理员 Quality officer",
    "approver": "批准人 Approver",
    "department": "部门用户 Department user",
    "auditor": "审核员 Auditor",
}


def role_label(role: str) -> str:
    """The display name of ``role`` (the key itself for a workspace's own roles)."""
    return ROLE_LABELS.get(role, role)


def signer_title(user_or_signature: dict[str, Any]) -> str:
    """What a signature block prints beside the name: the post, else the role's display name."""
    post = str(user_or_signature.get("post") or "").strip()
    return post or role_label(str(user_or_signature.get("role") or ""))


def _check_text(what: str, value: str) -> str:
    value = value.strip()
    if len(value) > MAX_TEXT or any(ord(c) < 32 for c in value):
        shown = value[:20] + ("…" if len(value) > 20 else "")
        raise UsageError(f"the {what} {shown!r} must be one line of at most {MAX_TEXT} characters; shorten it")
    return value


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
    """A user without the password hash and sealed key (the key's id stays)."""
    shown = {k: v for k, v in user.items() if k not in ("password", "key")}
    if user.get("key"):
        shown["key_id"] = user["key"]["id"]
    return shown


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

    def add(self, name: str, role: str, dept: str, password: str, actor: str, full_name: str = "",
            post: str = "", by_password: str | None = None) -> dict[str, Any]:
        """Create a user; the first user of a workspace must be an admin and may create itself.

        The new user's signing key is registered in the audit log, signed by the key of ``actor``
        (unlocked with ``by_password``) or, for the first admin, by the new key itself.
        """
        if not _NAME.match(name):
            raise UsageError(f"user name {name!r} may hold only letters, digits, '.', '-' and '_' (at most 40)")
        if role not in self.config.roles:
            raise UsageError(f"unknown role {role!r}; choose one of {', '.join(sorted(self.config.roles))}")
        post = _check_text("post", post)
        if len(password) < MIN_PASSWORD:
            raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
        with self.store.transaction():
            if self.store.get(COLLECTION, name) is not None:
                raise UsageError(f"user {name!r} already exists; choose another name or use `qms user passwd`")
            origin = keys.OWN if actor == name else keys.ENROLMENT
            key, registration, registrar = self._new_key(name, password, actor, origin, by_password)
            user = {"name": name, "full_name": full_name or name, "role": role, "dept": dept, "post": post,
                    "password": hash_password(password), "created": clock.stamp(), "active": True, "key": key}
            detail: dict[str, Any] = {"role": role, "dept": dept, "post": post, "key": registration}
            if by_password is not None and registrar is not None:
                # Signed by the admin's key; the first admin adding itself signs with its new key.
                detail = self._admin_signed(actor, by_password, "user.add", name, user, detail, registrar)
            self.store.put(COLLECTION, name, user, actor=actor, action="user.add", detail=detail)
        return public(user)

    def change(self, name: str, actor: str, *, role: str | None = None, dept: str | None = None,
               post: str | None = None, full_name: str | None = None,
               by_password: str | None = None) -> dict[str, Any]:
        """Change a user's role, department, post or full name; logged with what changed from what,
        signed by the admin whose own password ``by_password`` is (``qms.admin_actions``)."""
        wanted = {"role": role, "dept": dept, "post": post, "full_name": full_name}
        given = {k: _check_text(k.replace("_", " "), v) for k, v in wanted.items() if v is not None}
        if not given:
            raise UsageError("say what to change: --role, --dept, --post or --full-name")
        if "role" in given and given["role"] not in self.config.roles:
            raise UsageError(f"unknown role {given['role']!r}; choose one of {', '.join(sorted(self.config.roles))}")
        if given.get("full_name") == "" or given.get("dept") == "":
            raise UsageError("a department and a full name cannot be empty; give a value")
        with self.store.transaction():
            user = self.get(name)
            changed = {k: {"from": user.get(k, ""), "to": v} for k, v in given.items() if user.get(k, "") != v}
            if not changed:
                raise UsageError(f"{name} already has these values; nothing was changed")
            if name == actor and "role" in changed and not self.config.allows(given["role"], "user.manage"):
                # Otherwise the last admin could lock every admin out of the workspace.
                raise UsageError("you may not take away your own right to manage users; ask another admin")
            user.update(given)
            detail: dict[str, Any] = dict(changed)
            if by_password is not None:
                detail = self._admin_signed(actor, by_password, "user.set", name, user, detail)
            self.store.put(COLLECTION, name, user, actor=actor, action="user.set", detail=detail)
        return public(user)

    def deactivate(self, name: str, actor: str, reason: str, by_password: str | None = None) -> dict[str, Any]:
        """Deactivate a user: kept (with past signatures), but no longer able to log in, act or sign;
        signed by the admin whose own password ``by_password`` is."""
        reason = reason.strip()
        if not reason:
            raise UsageError("a deactivation needs a reason: --reason TEXT")
        if name == actor:
            raise UsageError("you may not deactivate yourself; ask another admin")
        with self.store.transaction():
            user = self.get(name)
            if not user.get("active", True):
                raise UsageError(f"{name} is already deactivated; nothing was changed")
            user["active"] = False
            user["deactivated"] = {"at": clock.stamp(), "by": actor, "reason": reason}
            signed = (self._admin_signed(actor, by_password, "user.deactivate", name, user, {"reason": reason})
                      if by_password is not None else None)
            self.store.put(COLLECTION, name, user, actor=actor, action="user.deactivate", reason=reason,
                           detail=signed)
        return public(user)

    def is_empty(self) -> bool:
        """True before the first user is added."""
        return not self.store.keys(COLLECTION)

    def set_password(self, name: str, password: str, actor: str, by_password: str | None = None) -> None:
        """Replace a user's password, with a new signing key.

        Set by the user, the key is their own; set by an admin (``by_password`` is the admin's own
        password, which signs the key's registration), it is an admin-reset key, which may not sign
        until the user chooses a password of their own: the admin knows this one too.
        """
        if len(password) < MIN_PASSWORD:
            raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
        if actor != name and by_password is None:
            raise AuthError(f"resetting {name}'s password needs your own password ({actor}); nothing was changed")
        with self.store.transaction():
            user = self.get(name)
            origin = keys.OWN if actor == name else keys.ADMIN_RESET
            key, registration, registrar = self._new_key(name, password, actor, origin, by_password)
            user["password"] = hash_password(password)
            user["key"] = key
            detail: dict[str, Any] = {"key": registration}
            if actor != name and by_password is not None:
                detail = self._admin_signed(actor, by_password, "user.passwd", name, user, detail, registrar)
            self.store.put(COLLECTION, name, user, actor=actor, action="user.passwd", detail=detail)

    def _admin_signed(self, admin: str, password: str, action: str, name: str, user: dict[str, Any],
                      detail: dict[str, Any],
                      registrar: tuple[str, Ed25519PrivateKey] | None = None) -> dict[str, Any]:
        """``detail`` signed by ``admin`` over ``action`` on user ``name`` and the user record as it will be stored.

        ``registrar`` is the key that just signed the user's new key registration (the admin's, or
        the first admin's own new key): already unlocked, so the password's scrypt is not paid twice.
        """
        from qms.admin_actions import seal

        if registrar is not None:
            key_id, private = registrar
        else:
            stored, private = self.unlock_key(admin, password)
            key_id = stored["id"]
        return seal(key_id, private, admin, action, COLLECTION, name, digest(user), detail)

    def _new_key(self, name: str, password: str, actor: str, origin: str,
                 by_password: str | None) -> tuple[dict[str, Any], dict[str, Any], tuple[str, Ed25519PrivateKey] | None]:
        """A new sealed key for ``name``, its registration (for the audit entry) signed by its registrar, and
        the registrar's key id and private key (None when nobody could sign)."""
        stored, private = keys.new_key(password)
        registration = {"id": stored["id"], "public": stored["public"], "origin": origin, "at": clock.stamp(),
                        "by": actor}
        registrar: tuple[str, Ed25519PrivateKey] | None = None
        if actor == name:
            registrar = (stored["id"], private)  # the holder proves possession by signing it
        elif by_password is not None and self.store.get(COLLECTION, actor) is not None:
            # (A fixture may add users "as admin" before any admin exists; nothing can sign for them then.)
            own, own_private = self.unlock_key(actor, by_password)
            registrar = (own["id"], own_private)
        if registrar is not None:
            registration["attest"] = {"key": registrar[0], "ed25519": keys.sign_bytes(
                registrar[1], keys.registration_message(name, registration))}
        stored.update({"origin": origin, "at": registration["at"], "by": actor})
        return stored, registration, registrar

    def unlock_key(self, name: str, password: str) -> tuple[dict[str, Any], Ed25519PrivateKey]:
        """The stored key of ``name`` and its private half, opened with ``password``.

        A user from before signing keys gets one now, from the password just proven, registered
        in the audit log like any other.
        """
        user = self.store.get(COLLECTION, name)
        if user is None or not check_password(password, user["password"]):
            raise AuthError(f"wrong password for {name!r}; nothing was changed")
        _refuse_inactive(user)
        stored = user.get("key")
        if not stored:
            with self.store.transaction():
                stored, registration, _ = self._new_key(name, password, name, keys.OWN, None)
                user["key"] = stored
                self.store.put(COLLECTION, name, user, actor=name, action="user.key", detail={"key": registration})
        private = keys.unlock(stored, password)
        if private is None:
            raise AuthError(f"the signing key of {name!r} does not open with this password; ask an admin")
        return stored, private

    def signing_key(self, name: str, password: str) -> tuple[dict[str, Any], Ed25519PrivateKey]:
        """Like ``unlock_key``, refused for a key an admin set by resetting the password."""
        stored, private = self.unlock_key(name, password)
        if stored.get("origin") == keys.ADMIN_RESET:
            raise Refused(f"{name}'s password was reset by {stored.get('by')} on {str(stored.get('at'))[:10]}, who knows "
                          f"it too; {name} must choose their own with `qms user passwd` before signing")
        return stored, private

    def authenticate(self, name: str, password: str) -> dict[str, Any]:
        """The user if ``password`` is right; ``AuthError`` (saying which) otherwise."""
        user = self.store.get(COLLECTION, name)
        if user is None:
            raise AuthError(f"unknown user {name!r}; check the name or ask an admin to add you")
        if not check_password(password, user["password"]):
            raise AuthError(f"wrong password for {name!r}; nothing was changed")
        _refuse_inactive(user)
        return public(user)

    def authorise(self, name: str | None, permission: str, action: str) -> dict[str, Any]:
        """The acting user if their role allows ``permission``; a clear refusal otherwise."""
        if not name:
            raise UsageError(f"{action} changes the workspace: say who you are with `qms login NAME` (or --as NAME with QMS_PASSWORD)")
        user = self.store.get(COLLECTION, name)
        if user is None:
            raise AuthError(f"unknown user {name!r}; list users with `qms user list`")
        _refuse_inactive(user)
        if not self.config.allows(user["role"], permission):
            allowed = sorted(r for r in self.config.roles if self.config.allows(r, permission))
            raise PermissionDenied(
                f"{name} ({user['role']}) may not {action}; that needs one of the roles: {', '.join(allowed)}"
            )
        return public(user)


def _refuse_inactive(user: dict[str, Any]) -> None:
    if not user.get("active", True):
        raise AuthError(f"user {user['name']!r} is deactivated and may no longer act or sign; ask an admin")
