"""The reads other apps make of the trace: bindings now and ever, custody ever held, open releases, codes taken."""

import pytest

from accounts.actors import platform_actor
from traceability import selectors, services
from traceability.lifecycle import EventKind, State
from traceability.models import Vehicle

from .factories import at, make_code, pack_in_vehicle, register_pack

pytestmark = pytest.mark.django_db


def test_code_taken_only_once_registered(orgs):
    maker, _, _ = orgs
    code = make_code("P")
    assert not selectors.battery_code_taken(code=code)
    services.battery_register(code=code, maker=maker, actor=platform_actor(maker), occurred_at=at(2024, 3, 6))
    assert selectors.battery_code_taken(code=code)


def test_battery_by_code_normalises_and_misses_unknown_codes(orgs):
    maker, _, _ = orgs
    pack = register_pack(maker)
    assert selectors.battery_by_code(code=f"  {pack.code.lower()} ") == pack
    assert selectors.battery_by_code(code=make_code("P")) is None


def test_bindings_now_and_ever(orgs):
    maker, automaker, _ = orgs
    pack = pack_in_vehicle(maker, automaker)
    vehicle = Vehicle.objects.get(bindings__pack=pack)
    other = register_pack(maker, customer=automaker)
    assert selectors.pack_bound_to(vehicle=vehicle, pack=pack, now=True)
    assert selectors.pack_bound_to(vehicle=vehicle, pack=pack)
    assert not selectors.pack_bound_to(vehicle=vehicle, pack=other)
    assert selectors.vehicles_carrying(pack_ids=[pack.pk, other.pk]) == {pack.pk: vehicle.pk}
    assert selectors.vehicle_pack_now_or_last(vehicle=vehicle) == pack
    assert [b.pack for b in selectors.vehicle_bindings(vehicle=vehicle)] == [pack]
    assert [b.vehicle for b in selectors.battery_bindings(battery=pack)] == [vehicle]


def test_custody_ever_held_and_open_releases(orgs):
    maker, automaker, operator = orgs
    pack = register_pack(maker, customer=automaker)
    assert selectors.battery_ever_held_by(battery=pack, org=automaker)
    assert not selectors.battery_ever_held_by(battery=pack, org=operator)
    assert not selectors.release_open_to(battery=pack, org=operator)
    services.release_record(battery=pack, actor=platform_actor(automaker), receiver=operator, occurred_at=at(2025, 1, 3),
                            kind="handed_over")  # fmt: skip
    assert selectors.release_open_to(battery=pack, org=operator)
    assert not selectors.release_open_to(battery=pack, org=maker)
    assert list(selectors.batteries_released_to_or_held(org=operator, states=[State.AT_SERVICE_POINT])) == [
        pack
    ]
    assert not selectors.batteries_released_to_or_held(org=maker, states=[State.AT_SERVICE_POINT]).exists()


def test_latest_event_of_kind(orgs):
    maker, _, _ = orgs
    pack = register_pack(maker)
    assert selectors.latest_event_of_kind(battery=pack, kind=EventKind.PRODUCED) is not None
    assert selectors.latest_event_of_kind(battery=pack, kind=EventKind.REMOVED) is None
