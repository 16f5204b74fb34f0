"""Admin actions signed by the admin: the signature an admin's change to users or tokens carries, and its check.

Adding a user, changing one (role, department, post, name), deactivating one, resetting another
user's password, unlocking one on the site and creating a script token need the admin's own
password, which also unlocks the admin's Ed25519 key: the audit entry of each carries
``detail.admin_signature`` (who, which key, when, the signature) over the action, the object, its
new state (the sha256 the entry logs) and the rest of the entry's details. Editing the user record
(a raised role) and re-hashing its log line, or the whole chain, then no longer verifies: the
attacker would need the admin's password.

``qms verify`` checks each signature against the key the audit log registered for its admin. An
admin action without one is accepted only before the first signed one in the log (written before
admin actions were signed, or by an in-process enrolment such as a test fixture or the demo);
after it, an unsigned admin action is named: its signature was stripped or it was written by hand.
The one exception is a user added in process without a password (a plugin's demonstration step),
whose key registration is an unattested enrolment, accepted by the signature check in the same way;
stripping both the attestation and the signature of a ``user.add`` therefore goes unseen by this
check (``verify --since`` against a kept head still catches a re-hashed log).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from qms import clock, keys
from qms.audit import canonical

if TYPE_CHECKING:
    from qms.signature_report import Registration

FORMAT = "qms-admin-action/1"
FIELD = "admin_signature"
#: Actions that are an admin's (``user.passwd`` only of another user; ``user.add`` also of the first admin).
ACTIONS = frozenset({"user.add", "user.set", "user.deactivate", "user.passwd", "user.unlock", "token.create"})


def message(action: str, collection: str, key: str, state: str | None, detail: dict[str, Any],
            signature: dict[str, Any]) -> bytes:
    """What an admin signs: the action, the object and its new state, the details, the signer, key and time."""
    rest = {k: v for k, v in detail.items() if k != FIELD}
    return canonical({"format": FORMAT, "action": action, "collection": collection, "key": key, "state": state,
                      "detail": rest, "by": signature.get("by"), "at": signature.get("at"),
                      "signing_key": signature.get("key")})


class KeyHolder(Protocol):
    """Whoever unlocks a user's sealed signing key with their password (``qms.users.Users``)."""

    def unlock_key(self, name: str, password: str) -> tuple[dict[str, Any], Any]: ...


def signed_detail(users: KeyHolder, actor: str, password: str, action: str, collection: str, key: str,
                  state: str | None, detail: dict[str, Any] | None) -> dict[str, Any]:
    """``detail`` with the admin's signature over the action added (the key is unlocked with ``password``)."""
    stored, private = users.unlock_key(actor, password)
    return seal(stored["id"], private, actor, action, collection, key, state, detail)


def seal(key_id: str, private: Any, actor: str, action: str, collection: str, key: str, state: str | None,
         detail: dict[str, Any] | None) -> dict[str, Any]:
    """``detail`` with the signature of ``private`` (key ``key_id`` of ``actor``) over the action added."""
    out = dict(detail or {})
    signature: dict[str, Any] = {"by": actor, "key": key_id, "at": clock.stamp()}
    signature["ed25519"] = keys.sign_bytes(private, message(action, collection, key, state, out, signature))
    out[FIELD] = signature
    return out


def is_admin_action(entry: dict[str, Any]) -> bool:
    """True for an audit entry of an admin action (a user changing their own password is not one)."""
    action = entry.get("action")
    if action not in ACTIONS:
        return False
    return not (action == "user.passwd" and entry.get("actor") == entry.get("key"))


@dataclass
class AdminReport:
    """The admin actions found: how many are signed, how many legacy, and the problems (object, message)."""

    signed: int = 0
    legacy: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Counts for the verification report."""
        return {"signed": self.signed, "unsigned (legacy)": self.legacy, "failed": len(self.problems)}


def check(entries: Iterable[dict[str, Any]], known: dict[str, Registration], *,
          signed_before: bool = False) -> AdminReport:
    """Check the admin actions among ``entries`` against the keys the log registered (``known`` by key id).

    ``signed_before`` says a signed admin action came before ``entries`` (an incremental verify).
    """
    report = AdminReport()
    seen_signed = signed_before
    for entry in entries:
        if not is_admin_action(entry):
            continue
        where = f"audit.log entry {entry.get('seq')}"
        what = f"{entry.get('action')} of {entry.get('collection')}/{entry.get('key')} by {entry.get('actor')}"
        raw = entry.get("detail")
        detail: dict[str, Any] = raw if isinstance(raw, dict) else {}
        signature = detail.get(FIELD)
        if not isinstance(signature, dict):
            if seen_signed and not _in_process_enrolment(entry, detail):
                report.problems.append((where, f"admin action {what} without the admin's signature (after signed "
                                               "admin actions: its signature was removed or the entry written by "
                                               "hand)"))
            else:
                report.legacy += 1
            continue
        seen_signed = True
        reg = known.get(str(signature.get("key")))
        if reg is None or reg.user != entry.get("actor") or signature.get("by") != entry.get("actor"):
            report.problems.append((where, f"admin action {what}: signed with key {signature.get('key')}, which the "
                                           f"audit log never registered for {entry.get('actor')}"))
            continue
        signed = message(str(entry.get("action")), str(entry.get("collection")), str(entry.get("key")),
                         entry.get("state"), detail, signature)
        if not keys.check(reg.public, signed, str(signature.get("ed25519", ""))):
            report.problems.append((where, f"admin action {what} does not carry a valid admin signature: the "
                                           "object's state or the entry's details were changed after the admin "
                                           "signed (the user record edited and its log line re-hashed)"))
            continue
        report.signed += 1
    return report


def _in_process_enrolment(entry: dict[str, Any], detail: dict[str, Any]) -> bool:
    """A user added in process without anyone's password (a plugin's demonstration step, a fixture): its key
    registration is an enrolment nobody attested, which ``qms.signature_report`` accepts the same way."""
    key = detail.get("key")
    return (entry.get("action") == "user.add" and isinstance(key, dict) and key.get("origin") == keys.ENROLMENT
            and key.get("attest") is None)


def signed_in(log: Path, size: int) -> bool:
    """Whether the first ``size`` bytes of the audit log hold a signed admin action (incremental verify:
    the entries before its checkpoint are not parsed again, and an unsigned one after them is a problem)."""
    needle = f'"{FIELD}"'.encode("ascii")
    tail = b""
    try:
        with log.open("rb") as f:
            left = size
            while left > 0:
                chunk = f.read(min(left, 1 << 20))
                if not chunk:
                    break
                left -= len(chunk)
                if needle in tail + chunk:
                    return True
                tail = chunk[-len(needle):]
    except FileNotFoundError:
        return False
    return False


__all__ = ["ACTIONS", "AdminReport", "FIELD", "check", "is_admin_action", "message", "seal", "signed_detail", "signed_in"]
