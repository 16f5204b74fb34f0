"""Signing keys: each user's Ed25519 key pair, the private half sealed by their password.

The private key is stored only encrypted (AES-256-GCM) under a key derived from the user's
password with scrypt, so only someone who knows the password can sign. The public key is
registered in the audit log when the user is added or a password changes; ``qms verify`` checks
every signature against the key registered there, not against what the user record says now.

A key's *origin* says who chose the password that unlocks it: ``own`` (the user, or the first
admin creating itself), ``enrolment`` (an admin adding the user) or ``admin-reset`` (an admin
resetting the password of an existing user, who knows it too, so it may not sign).
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from qms.audit import canonical

OWN = "own"
ENROLMENT = "enrolment"
ADMIN_RESET = "admin-reset"
# The same scrypt cost as the password hash: a guesser pays it for every try at the sealed key too.
_N, _R, _P = 2**14, 8, 1


def key_id(public_hex: str) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its sha256."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def _kek(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


def new_key(password: str) -> tuple[dict[str, Any], Ed25519PrivateKey]:
    """A new key pair: the stored form (public key, sealed private key) and the private key itself."""
    private = Ed25519PrivateKey.generate()
    public_hex = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    salt, nonce = os.urandom(16), os.urandom(12)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    # The public key is the associated data: a sealed key moved under another public key fails to open.
    sealed = AESGCM(_kek(password, salt, _N, _R, _P)).encrypt(nonce, raw, bytes.fromhex(public_hex))
    return {"id": key_id(public_hex), "public": public_hex, "scrypt": [_N, _R, _P], "salt": salt.hex(),
            "nonce": nonce.hex(), "sealed": sealed.hex()}, private


def unlock(stored: dict[str, Any], password: str) -> Ed25519PrivateKey | None:
    """The private key of ``stored`` if ``password`` opens it; None otherwise."""
    try:
        n, r, p = stored["scrypt"]
        raw = AESGCM(_kek(password, bytes.fromhex(stored["salt"]), int(n), int(r), int(p))).decrypt(
            bytes.fromhex(stored["nonce"]), bytes.fromhex(stored["sealed"]), bytes.fromhex(stored["public"]))
    except (InvalidTag, KeyError, ValueError):
        return None
    return Ed25519PrivateKey.from_private_bytes(raw)


def sign_bytes(private: Ed25519PrivateKey, message: bytes) -> str:
    """The Ed25519 signature of ``message`` in hex."""
    return private.sign(message).hex()


def check(public_hex: str, message: bytes, signature_hex: str) -> bool:
    """Whether ``signature_hex`` is a valid Ed25519 signature of ``message`` by ``public_hex``."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def signature_message(obj: str, signature: dict[str, Any]) -> bytes:
    """What a signature's Ed25519 signature covers: the object it belongs to, the content's sha256,
    the meaning, the signer, the time and the key. Binding the object makes a copy to another fail."""
    return canonical({"object": obj, "sha256": signature.get("sha256"), "meaning": signature.get("meaning"),
                      "name": signature.get("name"), "at": signature.get("at"), "key": signature.get("key")})


def registration_message(user: str, key: dict[str, Any]) -> bytes:
    """What the registrar signs when a key is registered for ``user``."""
    return canonical({"user": user, "public": key.get("public"), "origin": key.get("origin"),
                      "at": key.get("at"), "by": key.get("by")})
