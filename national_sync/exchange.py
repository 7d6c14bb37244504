"""Signing of the three-region exchange feed (R-SHARE) and the witnesses' check of the ledger's signed tree heads
published on it; pure: no Django imports.

Each response body (JSON Lines) is signed with HMAC-SHA256 under a key the three regions share:
``X-Exchange-Signature: v1=<hex>`` over ``<region>\\n<since>\\n<next cursor>\\n<body>``, so that a body
cannot be replayed under another cursor or region.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from traceability import merkle


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


# --- signed tree heads of the event ledger, witnessed by the other regions (RFC 9162 §8.2, as CT does) ---------

HEAD_FEED_REGION = (
    "LEDGER"  # the signing input's region field for the tree-head feed: never a region's own feed
)


@dataclass(frozen=True)
class WitnessVerdict:
    ok: bool
    problem: str = ""
    extends: int | None = None  # the size of the seen head it was checked against


def check_head(
    seen: list[tuple[int, str]], *, tree_size: int, root_hash: str, proof_from: int | None, path: list[str]
) -> WitnessVerdict:
    """Does the head (``tree_size``, ``root_hash`` hex) extend the heads already ``seen`` ((size, root) pairs, each
    checked when it arrived, so they form one chain)?

    A seen head of the same size must have the same root; the largest smaller one must be extended, shown by
    ``path``, an RFC 9162 §2.1.4 consistency path from size ``proof_from`` that §2.1.4.2 accepts. A larger seen
    head is not compared here: it was itself checked to extend what was seen before it."""
    for size, root in seen:
        if size == tree_size and root != root_hash:
            return WitnessVerdict(False, f"tree size {size} was signed with two different roots", size)
    smaller = [(size, root) for size, root in seen if size < tree_size]
    if not smaller:
        return WitnessVerdict(True)
    size, root = max(smaller)
    if proof_from != size:
        return WitnessVerdict(False, f"no consistency proof from the seen head of size {size}", size)
    try:
        ok = merkle.verify_consistency(
            size, tree_size, bytes.fromhex(root), bytes.fromhex(root_hash), [bytes.fromhex(p) for p in path]
        )
    except ValueError:
        ok = False
    if not ok:
        return WitnessVerdict(
            False, f"the head of size {tree_size} does not extend the seen head of size {size}", size
        )
    return WitnessVerdict(True, extends=size)
