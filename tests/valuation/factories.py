"""Batteries with a history, for the valuation tests."""

import itertools
from datetime import UTC, date, datetime, timedelta

import factory

from accounts.actors import platform_actor
from traceability.models import Battery, Binding, Vehicle
from traceability.services import event_record

_serial = itertools.count(1)


def pack_code(chemistry: str = "B") -> str:
    return f"0A1P{chemistry}01TRACE01A11{next(_serial):07d}"


class BatteryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Battery

    code = factory.LazyFunction(pack_code)
    level = "P"
    chemistry = "B"
    rated_capacity_ah = 150
    rated_energy_kwh = 50
    mass_kg = 400
    production_date = date(2018, 3, 1)
    state = "removed"
    region = "BJ"


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    vin = factory.Sequence(lambda n: f"LVALTEST{n:09d}")
    use = "private"
    region = "BJ"
    sold_at = date(2018, 6, 1)


def bind(battery, vehicle, *, start: date, end: date | None = None) -> Binding:
    def at(d):
        return datetime(d.year, d.month, d.day, 12, tzinfo=UTC)

    return Binding.objects.create(
        vehicle=vehicle, pack=battery, bound_at=at(start), unbound_at=at(end) if end else None
    )


def days_ago(n: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=n)


def lab_tested_pack(holder, make_org, early_cycle: dict, chemistry: str = "B") -> Battery:
    """A taxi pack in the holder's custody whose trace carries early-cycle lab features on an 'assessed' event."""

    org = holder.organisation
    pack = BatteryFactory(custodian=org, chemistry=chemistry)
    bind(pack, VehicleFactory(automaker=make_org(kinds=("automaker",)), use="taxi"), start=date(2021, 6, 1))
    event_record(
        battery=pack, kind="assessed", actor=platform_actor(org), occurred_at=days_ago(5),
        payload={"early_cycle_features": early_cycle},
    )  # fmt: skip
    return pack
