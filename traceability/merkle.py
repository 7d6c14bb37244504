"""Merkle tree hashing of RFC 9162 (Certificate Transparency 2.0) §2.1. Pure module: no Django imports.

The log stores every *perfect* subtree once it is complete: node ``(level, index)`` covers leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 are the leaf hashes. A root of any size and an inclusion
proof then need O(log n) stored nodes, found by :func:`root_nodes` / :func:`proof_nodes` and fetched in one
query by the caller. :func:`verify_inclusion` is the client-side check of RFC 9162 §2.1.3.2;
:func:`consistency_proof` / :func:`verify_consistency` are RFC 9162 §2.1.4 (a larger tree contains a smaller one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping

Node = tuple[int, int]  # (level, index)
Getter = Callable[[int, int], bytes]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[Node]:
    """The perfect subtrees covering leaves [start, end) as MTH splits them, left to right.

    ``start`` must be a multiple of a power of two at least as large as the range (true for every range that
    RFC 9162's recursion produces).
    """
    nodes: list[Node] = []
    while start < end:
        size = end - start
        level = size.bit_length() - 1  # largest power of two <= size
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def range_hash(start: int, end: int, get: Getter) -> bytes:
    """MTH(D[start:end]) from stored perfect subtrees: the rightmost two are joined first (RFC 9162 §2.1.1)."""
    nodes = perfect_subtrees(start, end)
    if not nodes:
        return EMPTY_ROOT
    result = get(*nodes[-1])
    for level, index in reversed(nodes[:-1]):
        result = node_hash(get(level, index), result)
    return result


def root_nodes(size: int) -> list[Node]:
    return perfect_subtrees(0, size)


def root(size: int, get: Getter) -> bytes:
    return range_hash(0, size, get)


def _path_ranges(m: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make up PATH(m, D[0:size]), leaf first (RFC 9162 §2.1.3.1)."""
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if m - start < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start = start + k
    return list(reversed(ranges))


def _stored_nodes(ranges: list[tuple[int, int]]) -> list[Node]:
    """The stored nodes that hold the hashes of these leaf ranges, in order."""
    return [node for start, end in ranges for node in perfect_subtrees(start, end)]


def proof_nodes(m: int, size: int) -> list[Node]:
    """Every stored node that an inclusion proof of leaf ``m`` in a tree of ``size`` reads."""
    return _stored_nodes(_path_ranges(m, size))


def inclusion_proof(m: int, size: int, get: Getter) -> list[bytes]:
    if not 0 <= m < size:
        raise ValueError(f"leaf {m} is not in a tree of size {size}")
    return [range_hash(start, end, get) for start, end in _path_ranges(m, size)]


def verify_inclusion(leaf: bytes, m: int, size: int, proof: Iterable[bytes], expected_root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` show leaf hash ``leaf`` at index ``m`` of the tree with that root?"""
    if not 0 <= m < size:
        return False
    fn, sn, r = m, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def _subproof_ranges(m: int, start: int, end: int, complete: bool) -> list[tuple[int, int]]:
    """SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1 as the leaf ranges whose MTH it lists, in order."""
    n = end - start
    if m == n:
        return [] if complete else [(start, end)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return [*_subproof_ranges(m, start, start + k, complete), (start + k, end)]
    return [*_subproof_ranges(m - k, start + k, end, False), (start, start + k)]


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from a tree of size {first} to one of size {second}")
    return [] if first == second else _subproof_ranges(first, 0, second, True)


def consistency_nodes(first: int, second: int) -> list[Node]:
    """Every stored node that a consistency proof from ``first`` to ``second`` leaves reads."""
    return _stored_nodes(_consistency_ranges(first, second))


def consistency_proof(first: int, second: int, get: Getter) -> list[bytes]:
    """PROOF(first, D[0:second]) of RFC 9162 §2.1.4.1 (empty when the sizes are equal)."""
    return [range_hash(start, end, get) for start, end in _consistency_ranges(first, second)]


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Iterable[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show the tree of ``second`` leaves extends the one of ``first``?"""
    path = list(proof)
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:  # an exact power of two: the old root is itself a node of the new tree
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


def frontier(size: int) -> list[Node]:
    """The perfect subtrees that appending to a tree of ``size`` may combine with (its right edge)."""
    return root_nodes(size)


def append(size: int, leaves: list[bytes], known: Mapping[Node, bytes]) -> dict[Node, bytes]:
    """New perfect nodes (level >= 1) completed by appending ``leaves`` at ``size``; ``known`` holds at least
    :func:`frontier` (size) and the new leaves are read from it or from ``leaves``."""
    nodes: dict[Node, bytes] = {}

    def get(level: int, index: int) -> bytes:
        if level == 0 and size <= index < size + len(leaves):
            return leaves[index - size]
        return nodes.get((level, index)) or known[(level, index)]

    for i in range(size, size + len(leaves)):
        level, index, n = 0, i, i + 1
        while n % (1 << (level + 1)) == 0:
            left, right = get(level, index - 1), get(level, index)
            level, index = level + 1, index >> 1
            nodes[(level, index)] = node_hash(left, right)
    return nodes


def build(leaves: list[bytes]) -> dict[Node, bytes]:
    """Every perfect node of a log of ``leaves`` (for verification from scratch), leaves included."""
    nodes: dict[Node, bytes] = {(0, i): h for i, h in enumerate(leaves)}
    nodes.update(append(0, leaves, {}))
    return nodes
