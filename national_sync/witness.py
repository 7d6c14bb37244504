"""Witnessing the event ledger across the three regions (R-LIFE, R-SHARE; RFC 9162 §8.2, as Certificate
Transparency's witnesses do).

The platform publishes every signed tree head on a signed feed (``GET /api/v1/exchange/tree-heads/``), each head
with the consistency path from the one before it. Each region's witness keeps the heads it has seen
(:class:`~national_sync.models.SeenTreeHead`) and checks that every new head extends them; a head that does not,
or a size signed with two roots, is kept with its problem and logged as an error: an alert that the history was
rewritten, which no later head can undo.
"""

from __future__ import annotations

import logging

from django.db import transaction

from traceability import ledger_store
from traceability.signing import get_signer, tree_head_message

from . import exchange
from .models import SeenTreeHead

log = logging.getLogger(__name__)


def head_feed(*, since: int, limit: int = 500) -> list[dict]:
    """Feed lines for the signed heads of more than ``since`` leaves, smallest first; each line carries the
    consistency path from the previous line's size (from ``since`` for the first, when a head of that size exists)."""
    lines: list[dict] = []
    previous = since if since and ledger_store.head_at(since) else None
    for head in ledger_store.heads_since(since, limit=limit):
        proof = ledger_store.consistency_proof(previous, head.tree_size) if previous else None
        lines.append(
            {
                "tree_head": head.as_dict(),
                "proof_from": previous,
                "consistency_path": proof.as_dict()["consistency_path"] if proof else [],
            }  # fmt: skip
        )
        previous = head.tree_size
    return lines


def _signature_problem(head: dict) -> str:
    signer = get_signer()
    if head.get("key_id") != signer.key_id:
        return f"signed with an unknown key {str(head.get('key_id'))[:16]!r}"
    message = tree_head_message(
        tree_size=head["tree_size"],
        timestamp_ms=head["timestamp"],
        root_hash=bytes.fromhex(head["root_hash"]),
    )
    if not signer.verify(message, bytes.fromhex(head["signature"])):
        return "the signature does not verify"
    return ""


@transaction.atomic
def witness_observe(*, witness_region: str, lines: list[dict]) -> list[SeenTreeHead]:
    """Check and keep each head of ``lines`` (as :func:`head_feed` gives them) for ``witness_region``'s witness."""
    kept: list[SeenTreeHead] = []
    for line in lines:
        head = line["tree_head"]
        seen = list(
            SeenTreeHead.objects.filter(witness_region=witness_region, consistent=True).values_list(
                "tree_size", "root_hash"
            )
        )
        if (head["tree_size"], head["root_hash"]) in seen:
            continue
        problem = _signature_problem(head)
        if not problem:
            verdict = exchange.check_head(
                seen, tree_size=head["tree_size"], root_hash=head["root_hash"],
                proof_from=line.get("proof_from"), path=line.get("consistency_path") or [],
            )  # fmt: skip
            problem = verdict.problem
        row, _ = SeenTreeHead.objects.get_or_create(
            witness_region=witness_region, tree_size=head["tree_size"], root_hash=head["root_hash"],
            defaults={"timestamp_ms": head["timestamp"], "key_id": head["key_id"], "signature": head["signature"],
                      "consistent": not problem, "problem": problem[:300]},
        )  # fmt: skip
        if problem:
            log.error("ledger witness %s: ALERT %s", witness_region, problem)
        kept.append(row)
    return kept


def witness_sync(*, witness_region: str, limit: int = 500) -> list[SeenTreeHead]:
    """Read the platform's head feed from the largest head this witness has accepted, and check what is new."""
    last = (
        SeenTreeHead.objects.filter(witness_region=witness_region, consistent=True)
        .order_by("-tree_size")
        .values_list("tree_size", flat=True)
        .first()
    )
    return witness_observe(witness_region=witness_region, lines=head_feed(since=last or 0, limit=limit))


def alerts(*, witness_region: str | None = None):
    qs = SeenTreeHead.objects.filter(consistent=False)
    return qs.filter(witness_region=witness_region) if witness_region else qs
