"""The bulk write paths read what the authority, the guards and the rules need once per batch (R-BIND, R-CODE,
R-LIFE): the number of queries of an upload does not grow with its items."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.actors import platform_actor
from traceability import services

from .factories import make_code, make_vin

pytestmark = pytest.mark.django_db


def _queries(upload, **kwargs) -> tuple[int, list[dict]]:
    with CaptureQueriesContext(connection) as captured:
        results = upload(**kwargs)
    # The ledger's frontier holds a lone leaf only when the log's size is odd: that read follows the size of the
    # log, not of the upload.
    counted = [q for q in captured.captured_queries if not q["sql"].startswith(FRONTIER_LEAF)]
    return len(counted), results


FRONTIER_LEAF = "SELECT index, leaf_hash FROM traceability_ledgerleaf"


def _register(maker, customer, n: int) -> tuple[int, list[str]]:
    items = [
        {"code": make_code("P"), "rated_energy_kwh": "60", "customer_uscc": customer.uscc} for _ in range(n)
    ]
    count, results = _queries(services.batteries_upload, items=items, actor=platform_actor(maker))
    assert [r["status"] for r in results] == ["created"] * n
    return count, [it["code"] for it in items]


def test_registration_and_binding_queries_do_not_grow_with_the_items(orgs):
    maker, automaker, _ = orgs
    counts = {}
    # The first upload of a process also fills caches (sequence names, content types): not counted.
    for n in (2, 10, 50):
        registered, packs = _register(maker, automaker, n)
        items = [{"vin": make_vin(), "pack_code": code, "sold_at": "2024-05-06"} for code in packs]
        bound, results = _queries(services.bindings_upload, items=items, actor=platform_actor(automaker))
        assert [r["status"] for r in results] == ["created"] * n
        counts[n] = (registered, bound)
    assert counts[10] == counts[50]


def test_refused_binding_items_cost_no_query_each(orgs):
    maker, automaker, _ = orgs
    counts = {}
    for n in (2, 10, 50):
        _, packs = _register(maker, automaker, n)
        # Every other item names a pack nobody registered: refused, naming the field, the rest written.
        items = [
            {"vin": make_vin(), "pack_code": code if k % 2 else make_code("P"), "sold_at": "2024-05-06"}
            for k, code in enumerate(packs)
        ]
        count, results = _queries(services.bindings_upload, items=items, actor=platform_actor(automaker))
        assert [r["status"] for r in results] == ["error", "created"] * (n // 2)
        assert all("pack_code" in r["errors"] for r in results if r["status"] == "error")
        counts[n] = count
    assert counts[10] == counts[50]


def test_event_upload_queries_do_not_grow_with_the_items(orgs):
    maker, automaker, point = orgs
    counts = {}
    for n in (2, 10, 50):
        _, packs = _register(maker, automaker, n)
        items = [
            {"battery_code": code, "kind": "handed_over", "to_uscc": point.uscc, "occurred_at": "2025-01-03"}
            for code in packs
        ]
        count, results = _queries(services.events_upload, items=items, actor=platform_actor(automaker))
        assert [r["status"] for r in results] == ["created"] * n, results[:2]
        counts[n] = count
    assert counts[10] == counts[50]
