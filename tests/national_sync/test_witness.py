"""The other regions witness the ledger: each keeps the signed tree heads it has seen and raises an alert on a
head that does not extend them (RFC 9162 §8.2; R-LIFE, R-SHARE)."""

import json
import logging

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from national_sync import exchange, witness
from national_sync.api.views import exchange_key
from national_sync.models import SeenTreeHead
from tests.traceability.factories import register_pack
from tests.traceability.test_ledger_consistency import _rewrite_history
from traceability import merkle, services

pytestmark = pytest.mark.django_db


def _roots(n):
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(n)]
    nodes = merkle.build(leaves)
    return leaves, nodes, lambda lv, i: nodes[(lv, i)]


def test_check_head_accepts_an_extension_and_refuses_a_fork():
    _, nodes, get = _roots(9)
    _, nodes5, get5 = _roots(5)
    root5, root9 = merkle.root(5, get5).hex(), merkle.root(9, get).hex()
    path = [p.hex() for p in merkle.consistency_proof(5, 9, get)]
    seen = [(5, root5)]
    assert exchange.check_head(seen, tree_size=9, root_hash=root9, proof_from=5, path=path).ok
    assert exchange.check_head([], tree_size=9, root_hash=root9, proof_from=None, path=[]).ok
    other = "00" * 32
    assert not exchange.check_head(seen, tree_size=9, root_hash=other, proof_from=5, path=path).ok
    assert not exchange.check_head(seen, tree_size=9, root_hash=root9, proof_from=None, path=[]).ok
    assert not exchange.check_head(seen, tree_size=9, root_hash=root9, proof_from=5, path=["zz"]).ok
    fork = exchange.check_head([(9, root9)], tree_size=9, root_hash=other, proof_from=None, path=[])
    assert not fork.ok and "two different roots" in fork.problem


@pytest.fixture
def log(make_org):
    maker = make_org(kinds=["battery_maker"])
    point = make_org(kinds=["service_operator"])
    packs = [register_pack(maker) for _ in range(3)]
    return {"maker": maker, "point": point, "packs": packs}


def _more(log):
    """One new leaf per pack: its maker releases it to the point."""
    for p in log["packs"]:
        services.release_record(
            battery=p, actor=platform_actor(log["maker"]), receiver=log["point"], occurred_at=timezone.now()
        )


def test_both_other_regions_see_every_head_extend_the_last(log):
    for region in ("TJ", "HB"):
        assert all(h.consistent for h in witness.witness_sync(witness_region=region))
    _more(log)
    for region in ("TJ", "HB"):
        new = witness.witness_sync(witness_region=region)
        assert len(new) == 3 and all(h.consistent for h in new)
    assert not witness.alerts().exists()
    assert SeenTreeHead.objects.filter(witness_region="TJ").count() == 6


def test_a_rewritten_history_raises_an_alert_at_every_witness(log, caplog):
    for region in ("BJ", "TJ"):
        witness.witness_sync(witness_region=region)
    _rewrite_history(log["packs"][1].events.first().pk)
    _more(log)  # the platform carries on from its rewritten log
    with caplog.at_level(logging.ERROR, logger="national_sync.witness"):
        for region in ("BJ", "TJ"):
            witness.witness_sync(witness_region=region)
    for region in ("BJ", "TJ"):
        problems = {a.tree_size: a.problem for a in witness.alerts(witness_region=region)}
        assert problems[4] == "the head of size 4 does not extend the seen head of size 3"
        # and every later head stays refused: none extends the last head this witness accepted
        assert set(problems) == {4, 5, 6}
    assert "ALERT" in caplog.text


def test_a_second_root_for_a_seen_size_is_an_alert(log):
    witness.witness_sync(witness_region="HB")
    line = witness.head_feed(since=0)[-1]
    forged = {**line, "tree_head": {**line["tree_head"], "root_hash": "11" * 32}}
    (row,) = witness.witness_observe(witness_region="HB", lines=[forged])
    assert not row.consistent and row.problem  # the signature no longer covers the root: refused too


def test_the_feed_is_signed_and_for_regulators(client_for, make_regulator, make_user, log):
    client = client_for(make_regulator(region="TJ"))
    response = client.get("/api/v1/exchange/tree-heads/", {"since": 1})
    assert response.status_code == 200
    body = response.content
    assert exchange.verify(exchange_key(), response["X-Exchange-Signature"], region=exchange.HEAD_FEED_REGION,
                           since=1, next_cursor=int(response["X-Next-Cursor"]), body=body)  # fmt: skip
    lines = [json.loads(x) for x in body.decode().splitlines()]
    assert [x["tree_head"]["tree_size"] for x in lines] == [2, 3]
    assert lines[0]["proof_from"] == 1 and lines[1]["proof_from"] == 2
    assert client_for(make_user()).get("/api/v1/exchange/tree-heads/").status_code == 403
    bad = client.get("/api/v1/exchange/tree-heads/", {"since": "-1"})
    assert bad.status_code == 400 and "since" in bad.json()["error"]["fields"]
