"""Factories and helpers for the recycling-network tests. Batteries are made through the traceability
services so that their traces are real."""

import itertools
from datetime import timedelta

from django.utils import timezone

from accounts.actors import platform_actor
from recycling_network.models import Division, ServicePoint
from tests.factories import OrganisationFactory
from traceability.models import Vehicle
from traceability.services import battery_register, bindings_upload
from traceability.vin import with_check_digit

_serial = itertools.count(1)
_point = itertools.count(1)


def pack_code(n: int | None = None, maker: str = "0A1") -> str:
    """A well-formed GB/T 34014 pack code (NCM, produced 2023-01-01)."""
    n = next(_serial) if n is None else n
    return f"{maker}PE01TRACE01D11{n:07d}"


def make_pack(*, custodian=None, maker=None, mass_kg=None, code=None):
    return battery_register(
        code=code or pack_code(),
        maker=maker,
        actor=platform_actor(maker),
        custodian=custodian,
        mass_kg=mass_kg,
        occurred_at=timezone.now() - timedelta(days=400),
    )


def make_point(
    *, operator=None, automakers=None, region="BJ", district=None, status="published", **kw
) -> ServicePoint:
    """A service point straight in the database (the workflow has its own tests)."""
    district = district or {"BJ": "110105", "TJ": "120116", "HB": "130600"}[region]
    division = Division.objects.get(code=district)
    automakers = automakers or [OrganisationFactory(kinds=["automaker"], region=region)]
    operator = operator or automakers[0]
    n = next(_point)
    defaults = {
        "code": f"SP-T{n:05d}",
        "name_zh": f"测试网点{n}",
        "name_en": f"Test point {n}",
        "address": f"测试路{n}号",
        "lat": division.lat + 0.01,
        "lon": division.lon + 0.01,
        "status": status,
        "published_at": timezone.now() if status == "published" else None,
    }
    defaults.update(kw)
    point = ServicePoint.objects.create(
        operator=operator, registered_by=automakers[0], region=division.region, district=division, **defaults
    )
    point.automakers.set(automakers)
    return point


_vin = itertools.count(1)


def make_vehicle_with_pack(*, automaker, fleet_owner=None, use="private"):
    """A sold vehicle with a bound pack, through the traceability services; returns (vehicle, pack)."""

    pack = make_pack()
    vin = with_check_digit(f"LRW3E7FA0RC{next(_vin):06d}")
    result = bindings_upload(
        items=[{"vin": vin, "pack_code": pack.code, "sold_at": "2024-05-01", "use": use}],
        actor=platform_actor(automaker),
    )
    assert result[0]["status"] == "created", result
    vehicle = Vehicle.objects.get(vin=vin)
    if fleet_owner is not None:
        Vehicle.objects.filter(pk=vehicle.pk).update(fleet_owner=fleet_owner)
        vehicle.refresh_from_db()
    pack.refresh_from_db()
    return vehicle, pack
