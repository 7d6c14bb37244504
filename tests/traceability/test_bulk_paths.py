"""The set-based bindings path and the trace read: same rows, same outbox payloads, same ledger as the
instance-based code paths would give."""

import json

import pytest

from accounts.actors import platform_actor
from national_sync import field_map
from national_sync.models import OutboxRecord
from national_sync.receivers import map_fast
from traceability import ledger_store, merkle, services
from traceability.models import Battery, BatteryLink, Binding, LifecycleEvent, Vehicle
from traceability.selectors import battery_trace

from .factories import at, make_vin, register_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs(make_org):
    return make_org(kinds=["battery_maker"]), make_org(kinds=["automaker"], region="TJ")


def test_bulk_bindings_queue_the_payloads_of_the_stored_rows(orgs):
    maker, automaker = orgs
    packs = [register_pack(maker, customer=automaker) for _ in range(3)]
    items = [
        {"vin": make_vin(), "pack_code": p.code, "sold_at": "2024-05-06", "model_name": "EV-1"} for p in packs
    ]
    results = services.bindings_upload(items=items, actor=platform_actor(automaker))
    assert [r["status"] for r in results] == ["created"] * 3
    for kind, model, related in (
        ("binding", Binding, ("vehicle__automaker", "pack")),
        ("lifecycle_event", LifecycleEvent, ("battery", "actor", "custodian_before", "custodian_after")),
    ):
        stored = model.objects.select_related(*related).filter(pk__in=_ids(kind)).order_by("pk")
        stored = list(stored.filter(kind="bound") if model is LifecycleEvent else stored)
        assert len(stored) == 3
        expected = {m.object_id: m for m in field_map.map_records(kind, stored)}
        for row in OutboxRecord.objects.filter(kind=kind, object_id__in=expected):
            assert row.payload == _roundtrip(expected[row.object_id].data)
            assert row.partition_key == expected[row.object_id].partition_key
            assert row.region == expected[row.object_id].region == "TJ"
    assert Vehicle.objects.get(vin=items[0]["vin"]).model_name == "EV-1"
    assert {b.state for b in Battery.objects.filter(pk__in=[p.pk for p in packs])} == {"in_vehicle"}


def _ids(kind):
    return [int(i) for i in OutboxRecord.objects.filter(kind=kind).values_list("object_id", flat=True)]


def _roundtrip(data):
    return json.loads(json.dumps(data))


def test_fast_mapping_equals_the_general_one_on_model_instances(orgs):
    maker, automaker = orgs
    pack = register_pack(maker, customer=automaker)
    services.bindings_upload(items=[{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2024-05-06"}],
                             actor=platform_actor(automaker))  # fmt: skip
    events = list(LifecycleEvent.objects.filter(battery=pack))
    bindings = list(Binding.objects.filter(pack=pack))
    assert map_fast("lifecycle_event", events) == field_map.map_records("lifecycle_event", events)
    assert map_fast("binding", bindings) == field_map.map_records("binding", bindings)


def test_bulk_bindings_extend_a_ledger_that_verifies(orgs):
    maker, automaker = orgs
    packs = [register_pack(maker, customer=automaker) for _ in range(5)]
    services.bindings_upload(
        items=[
            {"vin": make_vin(), "pack_code": p.code, "sold_at": f"2024-05-0{n + 1}"}
            for n, p in enumerate(packs)
        ],
        actor=platform_actor(automaker),
    )
    report = ledger_store.verify()
    assert report.ok, report.problems
    event = LifecycleEvent.objects.filter(kind="bound").last()
    proof = ledger_store.inclusion_proof(event.pk).as_dict()
    leaf = merkle.leaf_hash(proof["leaf_data"].encode())
    assert merkle.verify_inclusion(leaf, proof["leaf_index"], proof["tree_size"],
                                   [bytes.fromhex(h) for h in proof["audit_path"]],
                                   bytes.fromhex(proof["tree_head"]["root_hash"]))  # fmt: skip


def test_mixed_batch_duplicates_replays_and_dates(orgs, make_org):
    maker, automaker = orgs
    other = make_org(kinds=["automaker"])
    a, b, c = (register_pack(maker, customer=automaker) for _ in range(3))
    theirs = register_pack(maker, customer=other)
    vin_a = make_vin()
    items = [
        {"vin": vin_a, "pack_code": a.code, "sold_at": "2024-05-06"},
        {"vin": make_vin(), "pack_code": a.code, "sold_at": "2024-05-06"},  # same pack twice
        {"vin": make_vin(), "pack_code": b.code, "sold_at": "2024-03-01"},  # before the pack was produced
        {"vin": make_vin(), "pack_code": theirs.code, "sold_at": "2024-05-06"},  # another automaker's pack
        {"vin": make_vin(), "pack_code": c.code, "sold_at": "2999-01-01"},  # in the future
        {"vin": "LGXC16DF0P0000000", "pack_code": c.code, "sold_at": "2024-05-06"},  # bad check digit
        "not an object",
    ]
    results = services.bindings_upload(items=items, actor=platform_actor(automaker))
    assert [r["status"] for r in results] == ["created"] + ["error"] * 6
    assert "already bound" in results[1]["errors"]["pack_code"][0]
    assert "sold_at" in results[2]["errors"] and "sold_at" in results[4]["errors"]
    assert results[3]["errors"]["pack_code"] == ["no pack with this code is available to you"]
    assert results[5]["errors"]["vin"][0].startswith("check_digit")
    events = LifecycleEvent.objects.count()
    again = services.bindings_upload(items=items[:1], actor=platform_actor(automaker))
    assert again[0]["status"] == "unchanged" and LifecycleEvent.objects.count() == events
    # The pack is now in a vehicle: binding it elsewhere is refused by the state of the binding, not stored.
    moved = services.bindings_upload(items=[{"vin": make_vin(), "pack_code": a.code, "sold_at": "2024-06-01"}],
                                     actor=platform_actor(automaker))  # fmt: skip
    assert moved[0]["status"] == "error" and LifecycleEvent.objects.count() == events


def test_late_report_by_index_is_marked_late(orgs):
    maker, automaker = orgs
    pack = register_pack(maker, customer=automaker)
    services.bindings_upload(
        items=[{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2024-05-06"}],
        actor=platform_actor(automaker),
        reported_at_by_index={0: at(2024, 9, 1)},
    )
    event = LifecycleEvent.objects.get(battery=pack, kind="bound")
    assert event.on_time is False and event.reported_at == at(2024, 9, 1)


def test_trace_reads_the_family_links_events_and_vehicles(orgs):
    maker, automaker = orgs
    pack = register_pack(maker, customer=automaker, modules=2, cells=2)
    vin = make_vin()
    services.bindings_upload(
        items=[{"vin": vin, "pack_code": pack.code, "sold_at": "2024-05-06"}], actor=platform_actor(automaker)
    )
    product = register_pack(maker)
    BatteryLink.objects.create(source=pack, product=product)
    trace = battery_trace(battery=Battery.objects.get(pk=pack.pk))
    assert [e["kind"] for e in trace["events"]] == ["produced", "bound"]
    assert all(e["ledger_index"] is not None for e in trace["events"])
    assert trace["events"][1]["actor"] == automaker.display_name
    assert trace["events"][1]["payload"] == {"vin": vin}
    modules = Battery.objects.filter(parent=pack).order_by("code")
    assert [m["code"] for m in trace["children"]] == [m.code for m in modules]
    assert [c["code"] for c in trace["children"][0]["children"]] == list(
        Battery.objects.filter(parent=modules[0]).order_by("code").values_list("code", flat=True)
    )
    assert trace["children"][0]["children"][0]["events"][0]["kind"] == "produced"
    assert [v["vin"] for v in trace["vehicles"]] == [vin] and trace["vehicles"][0]["unbound_at"] is None
    assert [p["code"] for p in trace["products"]] == [product.code] and trace["sources"] == []
    assert [e["kind"] for e in trace["products"][0]["events"]] == ["produced"]
    back = battery_trace(battery=product)
    assert [s["code"] for s in back["sources"]] == [pack.code] and back["children"] == []
