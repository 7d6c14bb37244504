"""Helpers for traceability tests: codes, VINs and registered packs."""

import itertools
from datetime import date, datetime

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from accounts.models import Organisation
from traceability import codes, services
from traceability.vin import with_check_digit

_serial = itertools.count(1)
_vin = itertools.count(1)


def make_code(
    level: str = "P", *, produced: date = date(2024, 3, 5), maker: str = "0A1", cascade=False
) -> str:
    return codes.compose(
        manufacturer=maker, product_type=level, battery_type="B", spec="12", trace="ABCDEFG",
        produced=produced, serial=next(_serial), cascade=cascade,
    )  # fmt: skip


# The chain's parties most trace tests start from: a pack's maker, the automaker, a service point, a cascade-use
# enterprise and a Tianjin regeneration enterprise.
CHAIN = {
    "maker": "battery_maker",
    "automaker": "automaker",
    "point": "service_operator",
    "cascade": "cascade_use",
    "regen": ("regeneration", "TJ"),
}


def parties(make_org, make_user, **spec) -> dict:
    """Organisations by name, each made from its kind or (kind, region), and a user of each under ``"users"``."""
    orgs = {}
    for name, kind in spec.items():
        kind, region = (kind, None) if isinstance(kind, str) else kind
        orgs[name] = make_org(kinds=[kind], **({"region": region} if region else {}))
    orgs["users"] = {k: make_user(v) for k, v in orgs.items()}
    return orgs


def refused(rule: str, call, *args, **kw):
    """``call`` is refused with ``rule``; the refusal, for further checks."""
    with pytest.raises(services.TraceabilityError) as err:
        call(*args, **kw)
    assert err.value.code == rule, (err.value.code, err.value.message)
    return err.value


def make_vin() -> str:
    return with_check_digit(f"LGXC16DF0P{next(_vin):07d}")


def at(y: int, m: int, d: int) -> datetime:
    return timezone.make_aware(datetime(y, m, d, 10, 0))


def register_pack(maker, *, customer=None, modules: int = 0, cells: int = 0, **kw):
    pack = services.battery_register(code=make_code("P"), maker=maker, actor=platform_actor(maker), custodian=customer,
                                     occurred_at=at(2024, 3, 6), **kw)  # fmt: skip
    for _ in range(modules):
        module = services.battery_register(code=make_code("M"), maker=maker, actor=platform_actor(maker), parent=pack,
                                           custodian=customer, occurred_at=at(2024, 3, 6))  # fmt: skip
        for _ in range(cells):
            services.battery_register(code=make_code("C"), maker=maker, actor=platform_actor(maker), parent=module,
                                      custodian=customer, occurred_at=at(2024, 3, 6))  # fmt: skip
    return pack


def move(battery, to, *, at_: datetime | None = None, kind: str | None = None, release: str = "handed_over"):
    """Custody the two-party way: the holder releases ``battery`` to ``to``, which confirms with its receipt."""

    when = at_ or at(2025, 1, 3)
    battery.refresh_from_db()
    holder = Organisation.objects.get(pk=battery.custodian_id)
    services.release_record(
        battery=battery, actor=platform_actor(holder), receiver=to, occurred_at=when, kind=release
    )
    event = services.receipt_confirm(battery=battery, actor=platform_actor(to), occurred_at=when, kind=kind)
    battery.refresh_from_db()
    return event


def pack_in_vehicle(maker, automaker, **kw):
    """A pack ``maker`` sold to ``automaker`` and bound by it to a new vehicle (R-BIND)."""
    pack = register_pack(maker, customer=automaker, **kw)
    services.bindings_upload(items=[{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2024-05-01"}],
                             actor=platform_actor(automaker))  # fmt: skip
    pack.refresh_from_db()
    return pack
