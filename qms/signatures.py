"""Signed statements on controlled documents: 编制 prepared, 审核 reviewed, 批准 approved.

A signature is a plain dict naming the user, their role and post (职务) when signing, the
meaning, the time and the sha256 of the exact content signed, sealed with the signer's Ed25519
key (``key`` and ``ed25519``) over the object it belongs to, the sha256, the meaning, the name and
the time. Making one asks for the signer's password again, which alone unlocks the key: a
signature is a deliberate act, not a side effect of being logged in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qms import clock, keys
from qms.errors import Refused

if TYPE_CHECKING:
    from qms.app import App

PREPARED = "编制 prepared"
REVIEWED = "审核 reviewed"
APPROVED = "批准 approved"
MEANINGS = (PREPARED, REVIEWED, APPROVED)
#: The meaning of a signed read-and-understood acknowledgement (``qms.distribution``).
ACKNOWLEDGED = "阅知 acknowledged"
#: The meaning of an approver's signed disposal of a record past retention (``qms.retention``).
DISPOSED = "销毁 disposed"


def sign(app: App, name: str, password: str, meaning: str, content_sha256: str, permission: str,
         action: str, *, obj: str) -> dict[str, Any]:
    """A signature by ``name`` over ``content_sha256`` of the stored object ``obj`` (``collection/key``).

    Raises ``AuthError`` on a wrong password and ``PermissionDenied`` when the role may not
    ``permission``; nothing is stored here, the caller stores the signature with its object.
    """
    if meaning not in MEANINGS:
        raise ValueError(f"unknown signature meaning {meaning!r}")
    user = app.users.authenticate(name, password)
    app.users.authorise(name, permission, action)
    signature = {"meaning": meaning, "name": user["name"], "full_name": user.get("full_name", user["name"]),
                 "role": user["role"], "post": user.get("post", ""), "at": clock.stamp(), "sha256": content_sha256}
    return seal(app, signature, password, obj)


def seal(app: App, signature: dict[str, Any], password: str, obj: str) -> dict[str, Any]:
    """``signature`` with its signer's Ed25519 signature over ``obj``, sha256, meaning, name and time.

    Refused when the signer's key was set by an admin's password reset (``Users.signing_key``).
    """
    stored, private = app.users.signing_key(signature["name"], password)
    sealed = dict(signature, key=stored["id"])
    sealed["ed25519"] = keys.sign_bytes(private, keys.signature_message(obj, sealed))
    return sealed


def signed_by(signatures: list[dict[str, Any]], meaning: str) -> list[str]:
    """Names of the users who signed with ``meaning``."""
    return [s["name"] for s in signatures if s.get("meaning") == meaning]


def require_matching(signatures: list[dict[str, Any]], content_sha256: str, what: str) -> None:
    """Refuse unless every signature was made over ``content_sha256``."""
    for s in signatures:
        if s.get("sha256") != content_sha256:
            raise Refused(
                f"{what}: the {s.get('meaning')} signature of {s.get('name')} was made over different content "
                f"(sha256 {str(s.get('sha256'))[:12]}…, now {content_sha256[:12]}…); reject it and submit again"
            )
