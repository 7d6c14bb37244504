"""The tamper-evident ledger of lifecycle events, stored in PostgreSQL (R-LIFE; RFC 9162 Merkle log).

Each event becomes a leaf (the SHA-256 of its canonical bytes, :func:`canonical_bytes`), appended under a
transaction-scoped advisory lock so that leaf indexes are dense and in commit order. Every completed perfect
subtree is stored (:class:`~traceability.models.LedgerNode`), so a root or an inclusion proof reads O(log n)
rows in one query, and a signed tree head is written after each append.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache

from django.db import connection
from django.utils import timezone

from . import merkle
from .bulk_sql import copy_rows
from .signing import get_signer, tree_head_message

LOCK_KEY = 0x4A4A4A_4C454447  # "JJJ" "LEDG": one advisory lock for the whole log
BULK_CHECKS_FIRST = (
    100  # appends of at least this many leaves check their writer's foreign keys before locking
)


@lru_cache(maxsize=8192)  # bulk writes share few distinct times
def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _d(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def canonical_record(row: dict) -> dict:
    """What a leaf commits to: every column of the event, plus the battery's code."""
    return {
        "id": row["id"],
        "battery": row["battery_code"],
        "kind": row["kind"],
        "state_before": row["state_before"],
        "state_after": row["state_after"],
        "actor": row["actor_id"],
        "actor_user": row["actor_user_id"],
        "custodian_before": row["custodian_before_id"],
        "custodian_after": row["custodian_after_id"],
        "place": row["place"],
        "place_ref": row["place_ref"],
        "region": row["region"],
        "occurred_at": _ts(row["occurred_at"]),
        "reported_at": _ts(row["reported_at"]),
        "deadline": _d(row["deadline"]),
        "on_time": row["on_time"],
        # Raw cursors return jsonb as text; model instances hold the parsed value.
        "payload": json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"],
    }


def canonical_bytes(record: dict) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_row(event) -> dict:
    return {
        "id": event.pk,
        "battery_code": event.battery.code,
        "kind": event.kind,
        "state_before": event.state_before,
        "state_after": event.state_after,
        "actor_id": event.actor_id,
        "actor_user_id": event.actor_user_id,
        "custodian_before_id": event.custodian_before_id,
        "custodian_after_id": event.custodian_after_id,
        "place": event.place,
        "place_ref": event.place_ref,
        "region": event.region,
        "occurred_at": event.occurred_at,
        "reported_at": event.reported_at,
        "deadline": event.deadline,
        "on_time": event.on_time,
        "payload": event.payload,
    }


EVENT_COLUMNS_SQL = """
    e.id, b.code AS battery_code, e.kind, e.state_before, e.state_after, e.actor_id, e.actor_user_id,
    e.custodian_before_id, e.custodian_after_id, e.place, e.place_ref, e.region, e.occurred_at, e.reported_at,
    e.deadline, e.on_time, e.payload
"""


def event_leaf_hash(event) -> bytes:
    return row_leaf_hash(event_row(event))


def row_leaf_hash(row: dict) -> bytes:
    """The leaf of an event given as a row (the keys of :func:`event_row`), for writers without instances."""
    return merkle.leaf_hash(canonical_bytes(canonical_record(row)))


def _fetch(cur, nodes: list[merkle.Node]) -> dict[merkle.Node, bytes]:
    found: dict[merkle.Node, bytes] = {}
    leaves = [i for level, i in nodes if level == 0]
    inner = [(level, i) for level, i in nodes if level > 0]
    if leaves:
        cur.execute("SELECT index, leaf_hash FROM traceability_ledgerleaf WHERE index = ANY(%s)", [leaves])
        found.update({(0, i): bytes(h) for i, h in cur.fetchall()})
    if inner:
        cur.execute(
            "SELECT level, index, hash FROM traceability_ledgernode "
            "WHERE (level, index) IN (SELECT * FROM unnest(%s::smallint[], %s::bigint[]))",
            [[n[0] for n in inner], [n[1] for n in inner]],
        )
        found.update({(lv, i): bytes(h) for lv, i, h in cur.fetchall()})
    return found


def ledger_append(events) -> None:
    """Append ``events`` (already inserted, same transaction) to the log and sign the new head."""
    if not events:
        return
    ledger_append_leaves([(e.pk, event_leaf_hash(e)) for e in events])


def ledger_append_leaves(leaves: list[tuple[int, bytes]]) -> None:
    """Append ``(event_id, leaf_hash)`` pairs in order and sign the new head.

    The leaf hashes are computed before the call, so the advisory lock (which serialises every writer of the
    log until it commits) covers only the frontier read, the new nodes and two ``COPY`` statements.
    """
    if not leaves:
        return

    hashes = [h for _, h in leaves]
    with connection.cursor() as cur:
        if len(leaves) >= BULK_CHECKS_FIRST:
            # The deferred foreign-key checks of a bulk write's thousands of rows run now, not at commit while this
            # lock is held (every constraint of the schema is deferrable only as Django's initially deferred ones).
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cur.execute("SELECT COALESCE(MAX(index) + 1, 0) FROM traceability_ledgerleaf")
        size = cur.fetchone()[0]
        known = _fetch(cur, merkle.frontier(size))
        nodes = merkle.append(size, hashes, known)
        copy_rows(
            cur,
            "traceability_ledgerleaf",
            ("index", "event_id", "leaf_hash"),
            [(size + i, event_id, h) for i, (event_id, h) in enumerate(leaves)],
        )
        if nodes:
            copy_rows(
                cur,
                "traceability_ledgernode",
                ("level", "index", "hash"),
                [(lv, i, h) for (lv, i), h in nodes.items()],
            )
        new_size = size + len(hashes)
        everything = {**known, **nodes, **{(0, size + i): h for i, h in enumerate(hashes)}}
        root_hash = merkle.root(new_size, lambda lv, i: everything[(lv, i)])
        _sign_head(cur, new_size, root_hash)


def _sign_head(cur, size: int, root_hash: bytes) -> None:
    signer = get_signer()
    now = timezone.now()
    message = tree_head_message(tree_size=size, timestamp_ms=_ms(now), root_hash=root_hash)
    cur.execute(
        "INSERT INTO traceability_signedtreehead (tree_size, root_hash, timestamp, algorithm, key_id, signature) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        [size, root_hash, now, signer.algorithm, signer.key_id, signer.sign(message)],
    )


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


@dataclass
class TreeHead:
    tree_size: int
    root_hash: bytes
    timestamp: datetime
    algorithm: str
    key_id: str
    signature: bytes

    def as_dict(self) -> dict:
        head = {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp": _ms(self.timestamp),
            "algorithm": self.algorithm,
            "key_id": self.key_id,
            "signature": self.signature.hex(),
            "signed_message": tree_head_message(
                tree_size=self.tree_size, timestamp_ms=_ms(self.timestamp), root_hash=self.root_hash
            ).decode(),
        }
        signer = get_signer()
        if signer.public_key and signer.key_id == self.key_id:
            head["public_key"] = (
                signer.public_key.hex()
            )  # the published Ed25519 key that checks the signature
        return head

    @classmethod
    def from_row(cls, row: tuple) -> TreeHead:
        """A head from a row of ``HEAD_COLUMNS``."""
        tree_size, root_hash, timestamp, algorithm, key_id, signature = row
        return cls(tree_size, bytes(root_hash), timestamp, algorithm, key_id, bytes(signature))


HEAD_COLUMNS = "tree_size, root_hash, timestamp, algorithm, key_id, signature"


def latest_head() -> TreeHead | None:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {HEAD_COLUMNS} FROM traceability_signedtreehead ORDER BY tree_size DESC LIMIT 1")
        row = cur.fetchone()
    if row is None:
        return None
    return TreeHead.from_row(row)


def head_at(tree_size: int) -> TreeHead | None:
    """The signed tree head of exactly ``tree_size`` leaves (a head is signed after every append)."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {HEAD_COLUMNS} FROM traceability_signedtreehead WHERE tree_size = %s "
            "ORDER BY timestamp DESC LIMIT 1",
            [tree_size],
        )
        row = cur.fetchone()
    if row is None:
        return None
    return TreeHead.from_row(row)


def heads_since(tree_size: int, *, limit: int) -> list[TreeHead]:
    """Signed heads of more than ``tree_size`` leaves, smallest first."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {HEAD_COLUMNS} FROM traceability_signedtreehead WHERE tree_size > %s "
            "ORDER BY tree_size LIMIT %s",
            [tree_size, limit],
        )
        return [TreeHead.from_row(row) for row in cur.fetchall()]


@dataclass
class ConsistencyProof:
    first: TreeHead
    second: TreeHead
    path: list[bytes]

    def as_dict(self) -> dict:
        return {
            "first": self.first.tree_size,
            "second": self.second.tree_size,
            "first_tree_head": self.first.as_dict(),
            "second_tree_head": self.second.as_dict(),
            "consistency_path": [h.hex() for h in self.path],
        }


def consistency_proof(first: int, second: int) -> ConsistencyProof | None:
    """RFC 9162 §2.1.4 proof that the signed head of ``second`` leaves extends the one of ``first``; None when
    either size has no signed head. Reads O(log n) stored nodes in one query."""
    if not 0 < first <= second:
        raise ValueError("first must be at least 1 and at most second")
    older, newer = head_at(first), head_at(second)
    if older is None or newer is None:
        return None
    with connection.cursor() as cur:
        nodes = _fetch(cur, merkle.consistency_nodes(first, second))
    path = merkle.consistency_proof(first, second, lambda lv, i: nodes[(lv, i)])
    return ConsistencyProof(older, newer, path)


def inclusion_proofs(event_ids: list[int]) -> dict[int, InclusionProof]:
    """Proofs of several events against one signed head (the latest), in three queries whatever their number.

    Events not yet in the ledger are absent."""
    head = latest_head()
    if head is None or not event_ids:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT l.index, l.leaf_hash, {EVENT_COLUMNS_SQL} FROM traceability_ledgerleaf l "
            "JOIN traceability_lifecycleevent e ON e.id = l.event_id "
            "JOIN traceability_battery b ON b.id = e.battery_id WHERE l.event_id = ANY(%s) AND l.index < %s",
            [list(event_ids), head.tree_size],
        )
        columns = [c.name for c in cur.description]
        rows = cur.fetchall()
        needed = {node for row in rows for node in merkle.proof_nodes(row[0], head.tree_size)}
        nodes = _fetch(cur, sorted(needed))
    proofs: dict[int, InclusionProof] = {}
    for row in rows:
        data = dict(zip(columns[2:], row[2:], strict=True))
        index, leaf = row[0], bytes(row[1])
        path = merkle.inclusion_proof(index, head.tree_size, lambda lv, i: nodes[(lv, i)])
        proofs[data["id"]] = InclusionProof(
            data["id"], index, head.tree_size, leaf, path, head, canonical_record(data)
        )
    return proofs


@dataclass
class InclusionProof:
    event_id: int
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: list[bytes]
    head: TreeHead
    record: dict

    def as_dict(self) -> dict:
        return {
            "event_id": self.event_id,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "audit_path": [h.hex() for h in self.audit_path],
            "leaf_data": canonical_bytes(self.record).decode(),
            "tree_head": self.head.as_dict(),
        }


def inclusion_proof(event_id: int) -> InclusionProof | None:
    """The proof that event ``event_id`` is in the latest signed tree head, read in two queries."""
    head = latest_head()
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT l.index, l.leaf_hash, {EVENT_COLUMNS_SQL} FROM traceability_ledgerleaf l "
            "JOIN traceability_lifecycleevent e ON e.id = l.event_id "
            "JOIN traceability_battery b ON b.id = e.battery_id WHERE l.event_id = %s",
            [event_id],
        )
        row = cur.fetchone()
        if row is None or head is None or row[0] >= head.tree_size:
            return None
        columns = [c.name for c in cur.description]
        data = dict(zip(columns[2:], row[2:], strict=True))
        index, leaf = row[0], bytes(row[1])
        nodes = _fetch(cur, merkle.proof_nodes(index, head.tree_size))
    path = merkle.inclusion_proof(index, head.tree_size, lambda lv, i: nodes[(lv, i)])
    return InclusionProof(event_id, index, head.tree_size, leaf, path, head, canonical_record(data))


# --- verification ---------------------------------------------------------------------------------------


@dataclass
class Problem:
    kind: str  # altered, deleted, not_in_ledger, out_of_order, node, head, signature, gap
    message: str
    event_id: int | None = None


@dataclass
class Report:
    tree_size: int = 0
    events: int = 0
    heads_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify() -> Report:
    """Recompute every leaf from the event rows, every stored node and every signed head; name what differs."""
    report = Report()
    signer = get_signer()
    recomputed: list[bytes] = []
    stored_leaves: list[bytes] = []
    ledgered: set[int] = set()
    max_event_in_ledger = 0
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT l.index, l.event_id, l.leaf_hash, {EVENT_COLUMNS_SQL} FROM traceability_ledgerleaf l "
            "LEFT JOIN traceability_lifecycleevent e ON e.id = l.event_id "
            "LEFT JOIN traceability_battery b ON b.id = e.battery_id ORDER BY l.index"
        )
        columns = [c.name for c in cur.description][3:]
        for row in cur:
            index, event_id, stored = row[0], row[1], bytes(row[2])
            if index != len(recomputed):
                report.problems.append(
                    Problem("gap", f"ledger leaves {len(recomputed)}..{index - 1} are missing (deleted)")
                )
                while len(recomputed) < index:  # keep positions aligned so later checks still work
                    recomputed.append(b"\x00" * 32)
                    stored_leaves.append(b"\x00" * 32)
            ledgered.add(event_id)
            max_event_in_ledger = max(max_event_in_ledger, event_id)
            stored_leaves.append(stored)
            if row[3] is None:
                report.problems.append(
                    Problem("deleted", f"event {event_id} (leaf {index}) was deleted", event_id)
                )
                recomputed.append(b"\x00" * 32)
                continue
            data = dict(zip(columns, row[3:], strict=True))
            leaf = merkle.leaf_hash(canonical_bytes(canonical_record(data)))
            recomputed.append(leaf)
            if leaf != stored:
                report.problems.append(
                    Problem(
                        "altered",
                        f"event {event_id} (battery {data['battery_code']}, leaf {index}) was altered",
                        event_id,
                    )
                )
        cur.execute("SELECT id FROM traceability_lifecycleevent ORDER BY id")
        for (event_id,) in cur:
            report.events += 1
            if event_id not in ledgered:
                where = "out of order, " if event_id < max_event_in_ledger else ""
                report.problems.append(
                    Problem(
                        "out_of_order" if where else "not_in_ledger",
                        f"event {event_id} was inserted {where}outside the ledger",
                        event_id,
                    )
                )
        report.tree_size = len(recomputed)
        levels = _levels(recomputed)
        _check_nodes(cur, levels, stored_leaves, report)
        cur.execute(f"SELECT {HEAD_COLUMNS} FROM traceability_signedtreehead ORDER BY tree_size")
        for size, root_hash, ts, _algorithm, key_id, signature in cur:
            report.heads_checked += 1
            root_hash = bytes(root_hash)
            message = tree_head_message(tree_size=size, timestamp_ms=_ms(ts), root_hash=root_hash)
            if key_id == signer.key_id and not signer.verify(message, bytes(signature)):
                report.problems.append(Problem("signature", f"signed tree head {size} has a bad signature"))
            if size > len(recomputed):
                report.problems.append(
                    Problem("head", f"signed tree head {size} is beyond the log's {len(recomputed)} leaves")
                )
                continue
            if merkle.root(size, lambda lv, i: levels[lv][i]) != root_hash:
                report.problems.append(
                    Problem("head", f"the events no longer hash to the root signed at tree size {size}")
                )
    return report


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([merkle.node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _check_nodes(cur, levels: list[list[bytes]], stored_leaves: list[bytes], report: Report) -> None:
    """Stored inner nodes must match the ones recomputed from the stored leaf hashes (a DBA rewriting a leaf
    hash to match an altered event must also rewrite every node above it, and the signed heads)."""
    stored_levels = _levels(stored_leaves)
    cur.execute("SELECT level, index, hash FROM traceability_ledgernode ORDER BY level, index")
    for level, index, hash_ in cur:
        expected = (
            stored_levels[level][index]
            if level < len(stored_levels) and index < len(stored_levels[level])
            else None
        )
        if expected is None or bytes(hash_) != expected:
            first, last = index << level, ((index + 1) << level) - 1
            report.problems.append(
                Problem("node", f"ledger node ({level}, {index}) over leaves {first}..{last} does not match")
            )
