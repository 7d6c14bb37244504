"""Signing of the three-region exchange feed (R-SHARE), pure: no Django imports.

Each response body (JSON Lines) is signed with HMAC-SHA256 under a key the three regions share:
``X-Exchange-Signature: v1=<hex>`` over ``<region>\\n<since>\\n<next cursor>\\n<body>``, so that a body
cannot be replayed under another cursor or region.
"""

from __future__ import annotations

import hashlib
import hmac


def derive_key(secret: str) -> bytes:
    return hashlib.sha256(b"jjj-exchange-feed\x00" + secret.encode()).digest()


def signing_input(*, region: str, since: int, next_cursor: int, body: bytes) -> bytes:
    return f"{region}\n{since}\n{next_cursor}\n".encode() + body


def sign(key: bytes, *, region: str, since: int, next_cursor: int, body: bytes) -> str:
    mac = hmac.new(
        key, signing_input(region=region, since=since, next_cursor=next_cursor, body=body), hashlib.sha256
    )
    return "v1=" + mac.hexdigest()


def verify(key: bytes, signature: str, *, region: str, since: int, next_cursor: int, body: bytes) -> bool:
    expected = sign(key, region=region, since=since, next_cursor=next_cursor, body=body)
    return hmac.compare_digest(expected, signature)
