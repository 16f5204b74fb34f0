"""The signature part of ``qms verify``: every stored signature checked against the keys in the audit log.

A signature's public key is taken from the audit log (the key registered when its signer was added
or changed their password), never from the user record as it stands, which anyone holding the
folder could edit. Each signature is checked over the object it is stored in, so one copied to
another record or revision fails, as does one made without the signer's password. A signature
made under a key an admin set by resetting the password is named as such: the admin knew that
password too. Signatures from before signing keys (no ``ed25519`` field) are counted as unsigned
(legacy), not as failures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from qms import keys
from qms.store import Store

VERIFIED = "verified"
LEGACY = "unsigned (legacy)"
FAILED = "failed"


@dataclass(frozen=True)
class Registration:
    """One signing key as the audit log registered it."""

    user: str
    id: str
    public: str
    origin: str
    at: str
    by: str
    attest: dict[str, Any] | None
    replaced_at: str | None = None


@dataclass(frozen=True)
class Finding:
    """One stored signature and what verification found."""

    object: str
    meaning: str
    name: str
    at: str
    key: str
    origin: str
    status: str
    message: str = ""

    def as_dict(self) -> dict[str, str]:
        """Plain data for ``--json``."""
        return asdict(self)


@dataclass
class SignatureReport:
    """Every signature found, and the problems among them as (object, message) pairs."""

    findings: list[Finding] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts per status and every finding, for the verification report."""
        counts = {VERIFIED: 0, LEGACY: 0, FAILED: 0}
        for f in self.findings:
            counts[f.status] += 1
        return {"counts": counts, "signatures": [f.as_dict() for f in self.findings]}


def registrations(entries: list[dict[str, Any]]) -> dict[str, Registration]:
    """Every key the audit log registered, by key id, each knowing when its user next replaced it."""
    found: dict[str, Registration] = {}
    latest: dict[str, str] = {}
    for entry in entries:
        detail = entry.get("detail") or {}
        key = detail.get("key") if entry.get("collection") == "users" and isinstance(detail, dict) else None
        if not isinstance(key, dict) or not key.get("id"):
            continue
        user = str(entry.get("key", ""))
        if user in latest:
            old = found[latest[user]]
            found[old.id] = Registration(**{**asdict(old), "replaced_at": str(key.get("at", ""))})
        found[str(key["id"])] = Registration(user=user, id=str(key["id"]), public=str(key.get("public", "")),
                                             origin=str(key.get("origin", "")), at=str(key.get("at", "")),
                                             by=str(key.get("by", "")), attest=key.get("attest"))
        latest[user] = str(key["id"])
    return found


def _registration_problem(reg: Registration, known: dict[str, Registration]) -> str:
    """Why the registration of ``reg`` cannot be trusted, or "" when its registrar's signature holds."""
    if reg.attest is None:
        # Only an in-process enrolment (fixtures, the demo) registers a key without a registrar's signature.
        return "" if reg.origin == keys.ENROLMENT else f"its registration by {reg.by} carries no signature"
    signer = reg if reg.attest.get("key") == reg.id else known.get(str(reg.attest.get("key")))
    if signer is None or signer.user != (reg.user if reg.origin == keys.OWN else reg.by):
        return f"its registration is signed with a key never registered for {reg.by}"
    message = keys.registration_message(reg.user, {"public": reg.public, "origin": reg.origin, "at": reg.at,
                                                   "by": reg.by})
    if not keys.check(signer.public, message, str(reg.attest.get("ed25519", ""))):
        return f"its registration does not carry a valid signature of {reg.by}"
    return ""


def _is_signature(value: Any) -> bool:
    # Written out rather than all(...) over a tuple: verify asks this of every item of every list
    # field of every stored object (a record's history), 1.6 million times at 100k records.
    return (isinstance(value, dict) and "sha256" in value and "meaning" in value and "name" in value
            and "at" in value)


def _signatures(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The signatures held in the top-level fields of a stored object (a field or a list of them)."""
    found: list[dict[str, Any]] = []
    for value in obj.values():
        if isinstance(value, list):
            found.extend(item for item in value if _is_signature(item))
        elif _is_signature(value):
            found.append(value)
    return found


def check_signatures(store: Store, entries: list[dict[str, Any]],
                     objects: Iterable[tuple[str, dict[str, Any]]] | None = None) -> SignatureReport:
    """Check every signature in the store against the keys the audit log registered.

    ``objects`` (pairs of ``collection/key`` and object) limits the check to those objects: an
    incremental ``qms verify`` passes the objects of the bucket files that changed. ``entries``
    must still hold every key registration (``is_registration``).
    """
    known = registrations(entries)
    bad_registration = {rid: _registration_problem(reg, known) for rid, reg in known.items()}
    report = SignatureReport()
    if objects is None:
        objects = ((f"{collection}/{key}", obj) for collection in store.collections()
                   for key, obj in store.iter(collection))
    for where, obj in objects:
        for sig in _signatures(obj):
            report.findings.append(_check(where, sig, known, bad_registration, report))
    return report


def is_registration(entry: dict[str, Any]) -> bool:
    """True for an audit entry that registers a signing key (what ``registrations`` reads)."""
    detail = entry.get("detail") or {}
    key = detail.get("key") if entry.get("collection") == "users" and isinstance(detail, dict) else None
    return isinstance(key, dict) and bool(key.get("id"))


def _check(where: str, sig: dict[str, Any], known: dict[str, Registration], bad_registration: dict[str, str],
           report: SignatureReport) -> Finding:
    name, meaning, at = str(sig.get("name")), str(sig.get("meaning")), str(sig.get("at"))
    key_id = str(sig.get("key") or "")
    what = f"the {meaning} signature of {name} ({at})"
    if "ed25519" not in sig:
        return Finding(where, meaning, name, at, "", "", LEGACY)
    reg = known.get(key_id)
    origin = reg.origin if reg else ""

    def fail(message: str) -> Finding:
        report.problems.append((where, f"{what} {message}"))
        return Finding(where, meaning, name, at, key_id, origin, FAILED, message)

    if reg is None or reg.user != name:
        return fail(f"was made with key {key_id or '(none)'}, which the audit log never registered for {name}")
    if bad_registration.get(reg.id):
        return fail(f"was made with key {key_id}, but {bad_registration[reg.id]}")
    if not keys.check(reg.public, keys.signature_message(where, sig), str(sig["ed25519"])):
        return fail(f"does not verify under {name}'s key {key_id}: it was copied here from another object, "
                    f"altered, or made without {name}'s password")
    if reg.origin == keys.ADMIN_RESET:
        return fail(f"was made under key {key_id}, which {reg.by} set by resetting {name}'s password on {reg.at[:10]} "
                    f"(an admin-reset key, not a key of {name}'s own password)")
    if reg.replaced_at and at > reg.replaced_at:
        return fail(f"was made under key {key_id} after {name} replaced it on {reg.replaced_at[:10]}")
    return Finding(where, meaning, name, at, key_id, origin, VERIFIED)
