"""Signing of tree heads. Ed25519 (via ``cryptography``) when that package is installed, else HMAC-SHA256.

The key is ``settings.LEDGER_SIGNING_KEY`` (hex: an Ed25519 private-key seed of 32 bytes, or an HMAC secret);
without it, development derives one from ``SECRET_KEY`` so that a fresh checkout works. Production must set it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Signer:
    algorithm: str
    key_id: str
    secret: bytes
    public_key: bytes = b""

    def sign(self, message: bytes) -> bytes:
        if self.algorithm == "ed25519":
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415 - optional: HMAC signs without it

            return Ed25519PrivateKey.from_private_bytes(self.secret).sign(message)
        return hmac.new(self.secret, message, hashlib.sha256).digest()

    def verify(self, message: bytes, signature: bytes) -> bool:
        if self.algorithm == "ed25519":
            from cryptography.exceptions import InvalidSignature  # noqa: PLC0415 - optional: HMAC signs without it
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: PLC0415 - optional: HMAC signs without it

            try:
                Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
            except InvalidSignature:
                return False
            return True
        return hmac.compare_digest(self.sign(message), signature)


def _key_bytes() -> bytes:
    raw = (settings.LEDGER_SIGNING_KEY or "").strip()
    if raw:
        try:
            return bytes.fromhex(raw)
        except ValueError:
            return raw.encode()
    return hashlib.sha256(b"jjj-ledger:" + settings.SECRET_KEY.encode()).digest()


def get_signer() -> Signer:
    key = _key_bytes()
    try:
        from cryptography.hazmat.primitives import serialization  # noqa: PLC0415 - optional: HMAC signs without it
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: PLC0415 - optional: HMAC signs without it
    except ImportError:
        key_id = hashlib.sha256(b"hmac:" + key).hexdigest()[:16]
        return Signer("hmac-sha256", key_id, key)
    seed = key if len(key) == 32 else hashlib.sha256(key).digest()
    public = (
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return Signer("ed25519", hashlib.sha256(public).hexdigest()[:16], seed, public)


def tree_head_message(*, tree_size: int, timestamp_ms: int, root_hash: bytes) -> bytes:
    """The signed bytes: a versioned, line-based statement (in the spirit of RFC 9162 §4.10's TreeHeadSignature)."""
    return f"jjj-battery-trace/v1\n{tree_size}\n{timestamp_ms}\n{root_hash.hex()}\n".encode()
