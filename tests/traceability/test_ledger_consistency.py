"""RFC 9162 §2.1.4 consistency proofs: pure property checks, and the API checked with an independent verifier
(``tests/passport/offline.py``); a rewritten history fails (R-LIFE)."""

import hashlib

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from accounts.actors import platform_actor
from tests.passport.offline import consistency_ok, head_signature_ok, inclusion_ok, leaf_hash
from traceability import ledger_store, merkle, services
from traceability.models import LifecycleEvent

from .factories import at, register_pack


def _tree(n: int):
    leaves = [merkle.leaf_hash(f"event {i}".encode()) for i in range(n)]
    nodes = merkle.build(leaves)
    return leaves, nodes, (lambda lv, i: nodes[(lv, i)])


@given(st.integers(1, 200), st.data())
def test_every_consistency_proof_verifies_and_a_wrong_old_root_does_not(second, data):
    first = data.draw(st.integers(1, second))
    leaves, _, get = _tree(second)
    _, _, get_first = _tree(first)
    old_root, new_root = merkle.root(first, get_first), merkle.root(second, get)
    proof = merkle.consistency_proof(first, second, get)
    assert merkle.verify_consistency(first, second, old_root, new_root, proof)
    assert consistency_ok(first, second, old_root.hex(), new_root.hex(), [p.hex() for p in proof])
    forged = hashlib.sha256(b"forged").digest()
    if first < second:
        assert not merkle.verify_consistency(first, second, forged, new_root, proof)
        assert not consistency_ok(first, second, forged.hex(), new_root.hex(), [p.hex() for p in proof])
        assert not merkle.verify_consistency(first, second, old_root, new_root, proof[:-1])


def test_proof_reads_only_stored_perfect_nodes_and_is_logarithmic():
    _, nodes, get = _tree(1000)
    for first in (1, 2, 3, 511, 512, 513, 999):
        needed = merkle.consistency_nodes(first, 1000)
        assert set(needed) <= set(nodes)
        assert len(merkle.consistency_proof(first, 1000, get)) <= 2 * 10


def test_sizes_out_of_range_are_refused():
    _, _, get = _tree(4)
    for first, second in ((0, 4), (5, 4), (-1, 2)):
        with pytest.raises(ValueError):
            merkle.consistency_proof(first, second, get)
        assert not merkle.verify_consistency(first, second, b"", b"", [])


# --- through the API, against PostgreSQL ---------------------------------------------------------------------


@pytest.fixture
def log(db, make_org):
    maker = make_org(kinds=["battery_maker"])
    point = make_org(kinds=["service_operator"])
    packs = [register_pack(maker) for _ in range(3)]
    first = ledger_store.latest_head().tree_size
    for p in packs:
        services.release_record(
            battery=p, actor=platform_actor(maker), receiver=point, occurred_at=at(2025, 1, 3)
        )
    return {"first": first, "packs": packs}


def _get(api_client, **params):
    return api_client.get("/api/v1/ledger/consistency/", params)


def test_api_answers_both_signed_heads_and_a_path_that_verifies_offline(api_client, log):
    latest = ledger_store.latest_head().tree_size
    body = _get(api_client, first=log["first"], second=latest).json()
    assert (body["first"], body["second"]) == (log["first"], latest)
    assert body["consistency_path"] and all(len(h) == 64 for h in body["consistency_path"])
    for head in (body["first_tree_head"], body["second_tree_head"]):
        assert head_signature_ok(head)
    assert consistency_ok(body["first"], body["second"], body["first_tree_head"]["root_hash"],
                          body["second_tree_head"]["root_hash"], body["consistency_path"])  # fmt: skip
    assert (
        _get(api_client, first=log["first"]).json()["second"] == latest
    )  # second defaults to the latest head


@pytest.mark.parametrize(
    ("params", "field", "status"),
    [
        ({}, "first", 400),
        ({"first": "abc"}, "first", 400),
        ({"first": "0"}, "first", 400),
        ({"first": "3", "second": "2"}, "second", 400),
        ({"first": "1;DROP TABLE x", "second": "2"}, "first", 400),
        ({"first": "99999999999999999999999"}, "first", 400),
    ],
)
def test_bad_sizes_are_refused_naming_the_field(api_client, log, params, field, status):
    response = _get(api_client, **params)
    assert response.status_code == status, response.content
    assert field in response.json()["error"]["fields"]


def test_a_size_without_a_signed_head_is_404(api_client, log):
    assert _get(api_client, first=10**9, second=10**9 + 1).status_code == 404


def _rewrite_history(victim_id: int) -> None:
    """An operator alters an event and rebuilds the whole log from the events and signs new heads, as someone
    with the database and the key could: the platform's own verifier is then satisfied."""
    tables = ("lifecycleevent", "ledgerleaf", "ledgernode", "signedtreehead")
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for t in tables:
            cur.execute(f"ALTER TABLE traceability_{t} DISABLE TRIGGER USER")
        cur.execute("UPDATE traceability_lifecycleevent SET place = 'rewritten' WHERE id = %s", [victim_id])
        cur.execute("DELETE FROM traceability_ledgerleaf; DELETE FROM traceability_ledgernode; "
                    "DELETE FROM traceability_signedtreehead")  # fmt: skip
        for t in tables:
            cur.execute(f"ALTER TABLE traceability_{t} ENABLE TRIGGER USER")

    events = list(LifecycleEvent.objects.select_related("battery").order_by("id"))
    for event in events:  # one head per append, as the writers produced them
        ledger_store.ledger_append([event])


def test_a_rewritten_history_fails_consistency_and_inclusion(api_client, log):
    held_first = _get(api_client, first=log["first"]).json()["first_tree_head"]
    victim = log["packs"][0].events.order_by("id").first()
    kept_proof = ledger_store.inclusion_proof(victim.pk).as_dict()
    assert inclusion_ok(leaf_hash(kept_proof["leaf_data"]), kept_proof["leaf_index"], kept_proof["tree_size"],
                        kept_proof["audit_path"], kept_proof["tree_head"]["root_hash"])  # fmt: skip
    _rewrite_history(victim.pk)
    assert ledger_store.verify().ok  # the platform's own check cannot see it

    body = _get(api_client, first=log["first"]).json()
    new_head = body["second_tree_head"]
    assert head_signature_ok(new_head)
    # The new log proves itself consistent with its own rebuilt old head, but not with the head held before.
    assert consistency_ok(body["first"], body["second"], body["first_tree_head"]["root_hash"],
                          new_head["root_hash"], body["consistency_path"])  # fmt: skip
    assert body["first_tree_head"]["root_hash"] != held_first["root_hash"]
    assert not consistency_ok(body["first"], body["second"], held_first["root_hash"],
                              new_head["root_hash"], body["consistency_path"])  # fmt: skip
    # The event content held before no longer proves into the new tree.
    fresh = ledger_store.inclusion_proof(victim.pk).as_dict()
    assert not inclusion_ok(leaf_hash(kept_proof["leaf_data"]), fresh["leaf_index"], fresh["tree_size"],
                            fresh["audit_path"], new_head["root_hash"])  # fmt: skip
