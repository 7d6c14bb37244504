"""Tamper tests: rows are changed directly in SQL, with the append-only trigger disabled as a DBA could."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import IntegrityError, InternalError

from traceability import ledger_store, merkle

from .factories import at, move, register_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(make_org):
    maker = make_org(kinds=["battery_maker"])
    point = make_org(kinds=["service_operator"])
    packs = [register_pack(maker) for _ in range(5)]
    for p in packs[:3]:
        move(p, point, at_=at(2025, 1, 3))
    # The produced and received events (the hand-overs between them are in the ledger too).
    mine = [*packs[0].events.all(), *packs[1].events.all(), *packs[4].events.all()]
    return [e for e in mine if e.kind != "handed_over"]


def _tamper(sql, params=()):
    with connection.cursor() as cur:
        # A superuser session that skips triggers, as a DBA could (ALTER TABLE ... DISABLE TRIGGER works too).
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE traceability_lifecycleevent DISABLE TRIGGER lifecycle_event_append_only")
        cur.execute(sql, params)
        cur.execute("ALTER TABLE traceability_lifecycleevent ENABLE TRIGGER lifecycle_event_append_only")


def test_clean_ledger_verifies(events):
    report = ledger_store.verify()
    assert report.ok, report.problems
    assert report.tree_size == 11  # 5 produced, 3 hand-overs and their 3 receipts
    call_command("verify_ledger")


def test_every_inclusion_proof_verifies_offline(events):
    head = ledger_store.latest_head()
    for event in events:
        proof = ledger_store.inclusion_proof(event.pk).as_dict()
        leaf = merkle.leaf_hash(proof["leaf_data"].encode())
        assert leaf.hex() == proof["leaf_hash"]
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        assert merkle.verify_inclusion(leaf, proof["leaf_index"], proof["tree_size"], path, head.root_hash)
        assert not merkle.verify_inclusion(
            leaf, proof["leaf_index"] ^ 1, proof["tree_size"], path, head.root_hash
        )


def test_trigger_refuses_update_and_delete(events):
    for sql in (
        "UPDATE traceability_lifecycleevent SET place = 'x'",
        "DELETE FROM traceability_lifecycleevent",
    ):
        with pytest.raises((InternalError, IntegrityError)), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)


def test_altered_row_is_named(events):
    victim = events[1]
    _tamper("UPDATE traceability_lifecycleevent SET place = 'elsewhere' WHERE id = %s", [victim.pk])
    report = ledger_store.verify()
    assert [p.event_id for p in report.problems if p.kind == "altered"] == [victim.pk]
    with pytest.raises(CommandError):
        call_command("verify_ledger")


def test_deleted_row_is_named(events):
    victim = events[2]
    _tamper("DELETE FROM traceability_lifecycleevent WHERE id = %s", [victim.pk])
    report = ledger_store.verify()
    assert [p.event_id for p in report.problems if p.kind == "deleted"] == [victim.pk]


def test_reordered_rows_are_named(events):
    a, b = events[0], events[3]
    _tamper(
        "UPDATE traceability_lifecycleevent e SET occurred_at = CASE WHEN e.id = %s THEN %s ELSE %s END "
        "WHERE e.id IN (%s, %s)",
        [a.pk, b.occurred_at, a.occurred_at, a.pk, b.pk],
    )
    named = {p.event_id for p in ledger_store.verify().problems if p.kind == "altered"}
    assert named == {a.pk, b.pk}


def test_row_inserted_behind_the_ledger_is_named(events):
    template = events[0]
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO traceability_lifecycleevent (battery_id, kind, state_before, state_after, place, place_ref, "
            "region, occurred_at, reported_at, payload) VALUES (%s, 'stored', 'at_service_point', 'at_service_point', "
            "'', '', '', now(), now(), '{}') RETURNING id",
            [template.battery_id],
        )
        new_id = cur.fetchone()[0]
    problems = ledger_store.verify().problems
    assert [p.event_id for p in problems if p.kind in {"not_in_ledger", "out_of_order"}] == [new_id]


def test_rewritten_leaf_is_caught_by_the_nodes_and_signed_heads(events):
    victim = events[1]
    _tamper("UPDATE traceability_lifecycleevent SET place = 'elsewhere' WHERE id = %s", [victim.pk])
    forged = ledger_store.event_leaf_hash(type(victim).objects.select_related("battery").get(pk=victim.pk))
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE traceability_ledgerleaf DISABLE TRIGGER ledger_leaf_append_only")
        cur.execute(
            "UPDATE traceability_ledgerleaf SET leaf_hash = %s WHERE event_id = %s", [forged, victim.pk]
        )
        cur.execute("ALTER TABLE traceability_ledgerleaf ENABLE TRIGGER ledger_leaf_append_only")
    kinds = {p.kind for p in ledger_store.verify().problems}
    assert "head" in kinds and "node" in kinds
