"""Codes of unregistered makers (R-CODE, R-COMPLY): a code whose manufacturer prefix is not in the code registry
is refused at registration naming ``manufacturer`` (the default policy), or accepted and flagged where the policy
says so; flagged codes count in compliance against the automaker that binds them and the service point that
receives them (and the automakers that point serves)."""

import pytest

from accounts.actors import platform_actor
from accounts.choices import JJJ_REGIONS
from dashboards import selectors as dashboards
from recycling_network import selectors as network
from tests.cascade_use.factories import licence
from tests.recycling_network.factories import make_point
from traceability import services
from traceability.models import Battery, LifecycleEvent
from traceability.services.registration import unregistered_maker_policy

from .factories import at, make_code, make_vin, move

pytestmark = pytest.mark.django_db


@pytest.fixture
def maker(make_org):
    return make_org(kinds=["battery_maker"])


@pytest.fixture
def flag_policy(settings):
    settings.TRACE_UNREGISTERED_MAKER_POLICY = "flag"


def _code(prefix: str) -> str:
    return prefix[:3].upper() + make_code("P")[3:]


def test_the_default_policy_refuses_a_code_of_an_unknown_maker_naming_manufacturer(maker):
    assert unregistered_maker_policy() == "refuse"
    before = (Battery.objects.count(), LifecycleEvent.objects.count())
    for prefix in ("ZZ9", "OA1", "999"):
        with pytest.raises(services.TraceabilityError) as err:
            services.battery_register(
                code=_code(prefix), maker=maker, actor=platform_actor(maker), occurred_at=at(2024, 3, 6)
            )
        assert err.value.field == "manufacturer" and err.value.code == "manufacturer_unregistered"
        assert prefix[:3] in err.value.message
    assert (Battery.objects.count(), LifecycleEvent.objects.count()) == before
    # A registered prefix is accepted and not flagged.
    ok = services.battery_register(
        code=make_code("P"), maker=maker, actor=platform_actor(maker), occurred_at=at(2024, 3, 6)
    )
    assert ok.unregistered_maker is False


def test_a_forged_prefix_over_rest_is_refused_per_item(maker, make_user, client_for):
    client = client_for(make_user(maker))
    good = make_code("P")
    forged_child = "ZZ9" + make_code("M")[3:]
    items = [
        {"code": _code("OA1")},
        {"code": good, "children": [{"code": forged_child}]},
        {"code": make_code("P")},
    ]
    r = client.post("/api/v1/batteries/", {"items": items}, format="json")
    assert r.status_code in (200, 201, 207), r.content
    results = r.json()["results"]
    assert results[0]["status"] == "error" and list(results[0]["errors"]) == ["manufacturer"]
    assert results[1]["status"] == "error" and [k.endswith("manufacturer") for k in results[1]["errors"]] == [
        True
    ]
    assert results[2]["status"] == "created"
    assert not Battery.objects.filter(code__in=[good, forged_child, items[0]["code"]]).exists()


def test_an_unknown_policy_value_refuses(settings, maker):
    settings.TRACE_UNREGISTERED_MAKER_POLICY = "accept-everything"
    assert unregistered_maker_policy() == "refuse"
    with pytest.raises(services.TraceabilityError) as err:
        services.battery_register(
            code=_code("ZZ9"), maker=maker, actor=platform_actor(maker), occurred_at=at(2024, 3, 6)
        )
    assert err.value.field == "manufacturer"


def test_the_flag_policy_accepts_and_flags(flag_policy, maker):
    pack = services.battery_register(
        code=_code("ZZ9"), maker=maker, actor=platform_actor(maker), occurred_at=at(2024, 3, 6)
    )
    assert pack.unregistered_maker is True and pack.registered is True and pack.manufacturer_code == "ZZ9"
    produced = LifecycleEvent.objects.get(battery=pack)
    assert produced.payload["unregistered_maker"] == "ZZ9"
    # Other faults of the code are still refused under the flag policy, naming their field.
    with pytest.raises(services.TraceabilityError) as err:
        services.battery_register(
            code=_code("ZZ9")[:-7] + "0000000", maker=maker, actor=platform_actor(maker)
        )
    assert err.value.code == "serial"


def test_a_code_first_seen_at_intake_is_taken_in_flagged_whatever_the_policy(make_org):
    operator = make_org(kinds=["service_operator"])
    battery = services.battery_register_unknown(
        code=_code("ZZ9"), actor=platform_actor(operator), occurred_at=at(2025, 1, 3)
    )
    assert battery.registered is False and battery.unregistered_maker is True


def test_flagged_codes_count_against_the_binding_automaker_and_the_receiving_point(
    flag_policy, maker, make_org
):
    binder = make_org(kinds=["automaker"], region="BJ")
    served = make_org(kinds=["automaker"], region="BJ")
    bystander = make_org(kinds=["automaker"], region="BJ")
    operator = make_org(kinds=["service_operator"], region="BJ")
    point = make_point(operator=operator, automakers=[served], region="BJ")
    flagged = services.battery_register(code=_code("ZZ9"), maker=maker, actor=platform_actor(maker), custodian=binder,
                                        occurred_at=at(2024, 3, 6))  # fmt: skip
    clean = services.battery_register(code=make_code("P"), maker=maker, actor=platform_actor(maker), custodian=binder,
                                      occurred_at=at(2024, 3, 6))  # fmt: skip
    for pack in (flagged, clean):
        result = services.bindings_upload(
            items=[{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2024-05-01", "region": "BJ"}],
            actor=platform_actor(binder),
        )
        assert result[0]["status"] == "created", result
        pack.refresh_from_db()
        services.event_record(
            battery=pack,
            kind="removed",
            actor=platform_actor(binder),
            occurred_at=at(2025, 1, 2),
            region="BJ",
        )
        services.release_record(
            battery=pack, actor=platform_actor(binder), receiver=operator, occurred_at=at(2025, 1, 3)
        )
        services.receipt_confirm(battery=pack, actor=platform_actor(operator), occurred_at=at(2025, 1, 3), region="BJ",
                                 place_ref=point.place_ref)  # fmt: skip

    counts = dashboards.unregistered_maker_by_actor(JJJ_REGIONS, None)
    assert counts.get(binder.pk) == 1  # it bound the flagged pack (the clean one does not count)
    assert counts.get(operator.pk) == 1  # the point that received it
    assert counts.get(served.pk) == 1  # the automaker that point serves
    assert bystander.pk not in counts
    assert dashboards.unregistered_maker_by_actor(JJJ_REGIONS, 2024).get(binder.pk) == 1
    assert dashboards.unregistered_maker_by_actor(JJJ_REGIONS, 2025).get(binder.pk) is None
    # They add to the compliance score's unregistered-code measure.
    assert dashboards.unregistered_by_actor(JJJ_REGIONS, None).get(binder.pk, 0) >= 1
    rows = {e.pk for e in dashboards.unregistered_events(JJJ_REGIONS)}
    assert LifecycleEvent.objects.get(battery=flagged, kind="bound").pk in rows
    assert not LifecycleEvent.objects.filter(battery=clean, pk__in=rows).exists()
    # The network's compliance signals: the binding automaker's packs of unregistered makers.
    summary = {r["automaker_id"]: r for r in network.compliance_summary()}
    assert summary[binder.pk]["unregistered_bindings"] == 1
    assert (
        summary[served.pk]["unregistered_bindings"] == 0
        and summary[bystander.pk]["unregistered_bindings"] == 0
    )


def test_flagged_codes_count_in_the_network_compliance_api(
    flag_policy, maker, make_org, make_regulator, client_for
):
    binder = make_org(kinds=["automaker"], region="BJ")
    pack = services.battery_register(code=_code("ZZ9"), maker=maker, actor=platform_actor(maker), custodian=binder,
                                     occurred_at=at(2024, 3, 6))  # fmt: skip
    services.bindings_upload(items=[{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2024-05-01"}],
                             actor=platform_actor(binder))  # fmt: skip
    rows = client_for(make_regulator()).get("/api/v1/network-compliance/").json()["results"]
    mine = next(r for r in rows if r["automaker_id"] == binder.pk)
    assert mine["unregistered_bindings"] == 1


def test_a_disassembly_child_of_an_unknown_maker_follows_the_policy(settings, maker, make_org):
    regen = make_org(kinds=["regeneration"], region="TJ")
    point = make_org(kinds=["service_operator"])
    licence(regen)
    pack = services.battery_register(
        code=make_code("P"), maker=maker, actor=platform_actor(maker), occurred_at=at(2024, 3, 6)
    )
    move(pack, point, at_=at(2025, 1, 3))
    move(pack, regen, at_=at(2025, 1, 4), kind="regeneration_received")
    child = "ZZ9" + make_code("M")[3:]
    with pytest.raises(services.TraceabilityError) as err:
        services.battery_disassemble(
            actor=platform_actor(regen), code=pack.code, children=[child], occurred_at=at(2025, 1, 5)
        )
    assert err.value.field == "manufacturer"
    assert Battery.objects.get(pk=pack.pk).state == "at_regeneration" and not Battery.objects.filter(
        code=child
    )
    settings.TRACE_UNREGISTERED_MAKER_POLICY = "flag"
    done = services.battery_disassemble(
        actor=platform_actor(regen), code=pack.code, children=[child], occurred_at=at(2025, 1, 5)
    )
    added = Battery.objects.get(code=child)
    assert done.parent.state == "disassembled" and added.unregistered_maker and added.maker_id is None
