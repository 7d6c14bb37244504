"""A verifier written from RFC 9162 §2.1 and RFC 8032 alone, as a holder of a passport would write it: it imports
nothing of the platform (no ``traceability``), so a fault in the platform's ledger code cannot hide itself."""

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(leaf_data: str) -> bytes:
    return _h(b"\x00" + leaf_data.encode())


def _node(left: bytes, right: bytes) -> bytes:
    return _h(b"\x01" + left + right)


def inclusion_ok(leaf: bytes, index: int, size: int, path_hex: list[str], root_hex: str) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in (bytes.fromhex(x) for x in path_hex):
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = _node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            r = _node(r, p)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and r.hex() == root_hex


def consistency_ok(
    first: int, second: int, first_root_hex: str, second_root_hex: str, path_hex: list[str]
) -> bool:
    """RFC 9162 §2.1.4.2."""
    path = [bytes.fromhex(x) for x in path_hex]
    first_root, second_root = bytes.fromhex(first_root_hex), bytes.fromhex(second_root_hex)
    if first < 1 or second < first:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if (first & (first - 1)) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn // 2, sn // 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            sr = _node(sr, c)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and fr == first_root and sr == second_root


def head_signature_ok(head: dict) -> bool:
    """The signed message states the size and root shown, and the published Ed25519 key signed it."""
    lines = head["signed_message"].split("\n")
    if lines[1:4] != [str(head["tree_size"]), str(head["timestamp"]), head["root_hash"]]:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(head["public_key"])).verify(
            bytes.fromhex(head["signature"]), head["signed_message"].encode()
        )
    except InvalidSignature:
        return False
    return True
