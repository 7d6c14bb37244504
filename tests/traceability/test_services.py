from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from cascade_use.services import authorisation_grant
from core import hooks
from tests.cascade_use.factories import assess
from traceability import services
from traceability.models import Battery, BatteryLink, Binding, LifecycleEvent
from traceability.selectors import battery_trace

from .factories import at, make_code, make_vin, move, register_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured():
    seen = []

    def receiver(kind, records):
        seen.append((kind, len(records)))

    hooks.connect(receiver)
    yield seen
    hooks._receivers.remove(receiver)


def test_register_reads_level_chemistry_and_date_from_the_code(make_org, captured):
    maker = make_org(kinds=["battery_maker"])
    code = make_code("M")
    battery = services.battery_register(
        code=code, maker=maker, actor=platform_actor(maker), occurred_at=at(2024, 3, 6)
    )
    assert (battery.level, battery.chemistry, battery.production_date.isoformat()) == ("M", "B", "2024-03-05")
    event = battery.events.get()
    assert event.kind == "produced" and event.deadline is not None
    assert ("battery", 1) in captured and ("lifecycle_event", 1) in captured


def test_register_refuses_a_bad_code_naming_the_field(make_org):
    maker = make_org(kinds=["battery_maker"])
    with pytest.raises(services.TraceabilityError) as err:
        services.battery_register(code="0A1XB12ABCDEFGE350000001", maker=maker, actor=platform_actor(maker))
    assert err.value.code == "product_type"


def test_cascade_code_is_flagged(make_org):
    maker = make_org(kinds=["battery_maker"])
    battery = services.battery_register(
        code=make_code("P", cascade=True), maker=maker, actor=platform_actor(maker)
    )
    assert battery.is_cascade_product


def test_unknown_code_at_intake_is_kept_with_its_errors(make_org):
    point = make_org(kinds=["service_operator"])
    battery = services.battery_register_unknown(
        code="NOT-A-CODE", actor=platform_actor(point), occurred_at=at(2025, 1, 2)
    )
    assert battery.registered is False and battery.custodian == point
    assert "length" in battery.events.get().payload["parse_errors"]
    services.event_record(
        battery=battery, kind="received", actor=platform_actor(point), occurred_at=at(2025, 1, 2)
    )
    battery.refresh_from_db()
    assert battery.state == "at_service_point"


def test_illegal_event_is_refused_and_not_stored(make_org):
    maker = make_org(kinds=["battery_maker"])
    pack = register_pack(maker)
    with pytest.raises(services.TraceabilityError) as err:
        services.event_record(
            battery=pack, kind="dismantled", actor=platform_actor(maker), occurred_at=at(2024, 4, 1)
        )
    assert err.value.code == "lifecycle.dismantled" and err.value.http_status == 409
    assert "registered" in err.value.message
    assert pack.events.count() == 1


def test_product_link_consumes_sources_and_trace_follows_both_ways(make_org):
    maker = make_org(kinds=["battery_maker"])
    cascade = make_org(kinds=["cascade_use"])

    authorisation_grant(
        battery_maker=maker,
        enterprise=cascade,
        valid_from=date(2024, 1, 1),
        valid_to=date(2030, 1, 1),
        document_ref="AUTH-LINK",
        actor=platform_actor(maker),
    )
    sources = [register_pack(maker) for _ in range(2)]
    for s in sources:
        move(s, cascade, at_=at(2025, 1, 1), kind="cascade_received")
        assess(s, cascade, soh_pct=80)
    product = services.battery_register(code=make_code("P", cascade=True), maker=None, actor=platform_actor(cascade),
                                        custodian=cascade, is_cascade_product=True)  # fmt: skip
    services.product_link(
        product=product, sources=sources, actor=platform_actor(cascade), occurred_at=at(2025, 2, 1)
    )
    assert BatteryLink.objects.filter(product=product).count() == 2
    for s in sources:
        s.refresh_from_db()
        assert s.state == "consumed"
        assert s.events.last().payload == {"consumed_into": product.code}
    trace = battery_trace(battery=product)
    assert {s["code"] for s in trace["sources"]} == {s.code for s in sources}
    assert battery_trace(battery=sources[0])["products"][0]["code"] == product.code


def test_trace_goes_from_pack_to_cells_with_ledger_indexes(make_org, django_assert_max_num_queries):
    maker = make_org(kinds=["battery_maker"])
    pack = register_pack(maker, modules=2, cells=3)
    with django_assert_max_num_queries(10):
        trace = battery_trace(battery=pack)
    assert len(trace["children"]) == 2 and len(trace["children"][0]["children"]) == 3
    assert all(e["ledger_index"] is not None for e in trace["events"])


def test_bulk_events_share_the_checks(make_org):
    maker = make_org(kinds=["battery_maker"])
    point = make_org(kinds=["service_operator"])
    a, b = register_pack(maker), register_pack(maker)
    services.release_record(
        battery=a, actor=platform_actor(maker), receiver=point, occurred_at=at(2025, 1, 1)
    )
    specs = [
        services.EventSpec(battery=a, kind="received", occurred_at=at(2025, 1, 1)),
        services.EventSpec(battery=b, kind="dismantled", occurred_at=at(2025, 1, 1)),
        services.EventSpec(battery=a, kind="stored", occurred_at=at(2025, 1, 2)),
    ]
    outcome = services.events_record_bulk(specs=specs, actor=platform_actor(point), skip_errors=True)
    assert [e.kind for e in outcome.events] == ["received", "stored"]
    assert outcome.errors[1].code == "lifecycle.dismantled"
    a.refresh_from_db()
    assert a.custodian == point and a.releases.get().status == "confirmed"
    with pytest.raises(services.TraceabilityError):
        services.events_record_bulk(specs=[services.EventSpec(battery=b, kind="stored", occurred_at=at(2025, 1, 1))],
                                    actor=platform_actor(point))  # fmt: skip


def test_replacement_one_in_one_out(make_org, captured):
    maker = make_org(kinds=["battery_maker"])
    automaker = make_org(kinds=["automaker"])
    outlet = make_org(kinds=["after_sales"])
    old, new = register_pack(maker, customer=automaker), register_pack(maker, customer=automaker)
    services.outlet_authorise(automaker=automaker, outlet=outlet)
    vin = make_vin()
    services.bindings_upload(
        items=[{"vin": vin, "pack_code": old.code, "sold_at": "2024-05-01"}], actor=platform_actor(automaker)
    )
    results = services.replacements_upload(
        items=[
            {"vin": vin, "old_pack_code": old.code, "new_pack_code": new.code, "replaced_at": "2025-06-01"}
        ],
        actor=platform_actor(outlet),
    )
    assert results[0]["status"] == "created"
    old.refresh_from_db()
    assert old.state == "removed" and old.custodian == outlet
    assert Binding.objects.get(pack=old).unbound_reason == "replaced_out"
    assert Binding.objects.get(pack=new, unbound_at__isnull=True).vehicle.vin == vin
    assert ("replacement", 1) in captured
    again = services.replacements_upload(
        items=[
            {"vin": vin, "old_pack_code": old.code, "new_pack_code": new.code, "replaced_at": "2025-06-01"}
        ],
        actor=platform_actor(outlet),
    )
    assert again[0]["status"] == "unchanged"


def test_late_report_is_marked(make_org):
    maker = make_org(kinds=["battery_maker"])
    automaker = make_org(kinds=["automaker"])
    pack = register_pack(maker, customer=automaker)
    services.bindings_upload(items=[{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2024-05-06"}],
                             actor=platform_actor(automaker), reported_at=at(2024, 9, 1))  # fmt: skip
    event = LifecycleEvent.objects.get(battery=pack, kind="bound")
    # 15 working days after Monday 6 May 2024, Saturday 11 May being a make-up working day (调休): 24 May.
    assert event.deadline.isoformat() == "2024-05-24" and event.on_time is False


def test_removal_closes_the_binding(make_org):
    maker = make_org(kinds=["battery_maker"])
    automaker = make_org(kinds=["automaker"])
    pack = register_pack(maker, customer=automaker)
    services.bindings_upload(items=[{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2024-05-06"}],
                             actor=platform_actor(automaker))  # fmt: skip
    services.event_record(
        battery=pack, kind="removed", actor=platform_actor(automaker), occurred_at=at(2025, 5, 6)
    )
    assert not Binding.objects.filter(pack=pack, unbound_at__isnull=True).exists()
    assert Battery.objects.get(pk=pack.pk).custodian == automaker


@pytest.mark.parametrize("field", ["rated_capacity_ah", "rated_energy_kwh", "mass_kg"])
@pytest.mark.parametrize("value", [Decimal("-5"), Decimal("0"), Decimal("NaN"), Decimal("1e9")])
def test_a_registered_quantity_out_of_range_is_refused_naming_it(make_org, field, value):
    """Whoever registers (a maker's upload, a cascade-use product, a disassembly), the same bound applies."""
    maker = make_org(kinds=["battery_maker"])
    code = make_code("P")
    with pytest.raises(services.TraceabilityError) as refused:
        services.battery_register(code=code, maker=maker, actor=platform_actor(maker), occurred_at=timezone.now(),
                                  **{field: value})  # fmt: skip
    assert refused.value.field == field
    assert not Battery.objects.filter(code=code).exists()
