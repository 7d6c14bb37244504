"""Licence checks at receipt: category, expiry and annual scale (R-REGEN, seed 四(一)3)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from regeneration.selectors import licence_usages
from regeneration.services import RegenerationError, pack_receive
from tests.cascade_use.factories import battery_maker, held_pack, licence, now, regeneration_enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def regen():
    return regeneration_enterprise()


def handed(regen, **kw):
    # handed over (custody changed) but not yet booked in
    return held_pack(maker=battery_maker(), holder=regen, kind="received", **kw)


def test_category_not_covered_is_refused(regen):
    licence(regen, categories=["LIB-LFP"])
    pack = handed(regen, chemistry="E")
    with pytest.raises(RegenerationError) as exc:
        pack_receive(battery=pack, occurred_at=now(), actor=platform_actor(regen))
    assert exc.value.code == "licence_category"
    assert "is waste category LIB-TERNARY, which the licence does not cover" in exc.value.message


def test_expired_licence_is_refused(regen):
    today = timezone.localdate()
    lic = licence(regen, valid_from=today - timedelta(days=800), valid_to=today - timedelta(days=1))
    with pytest.raises(RegenerationError) as exc:
        pack_receive(battery=handed(regen), occurred_at=now(), actor=platform_actor(regen))
    assert exc.value.code == "licence_expired"
    assert f"licence {lic.number}" in exc.value.message and "expired on" in exc.value.message


def test_no_licence_is_refused(regen):
    with pytest.raises(RegenerationError, match="holds no hazardous-waste business licence"):
        pack_receive(battery=handed(regen), occurred_at=now(), actor=platform_actor(regen))


def test_beyond_the_annual_scale_is_refused_and_usage_is_shown(regen):
    lic = licence(regen, scale_t=Decimal("0.5"))
    pack_receive(
        battery=handed(regen, mass_kg=Decimal(300)),
        occurred_at=now(),
        actor=platform_actor(regen),
    )
    with pytest.raises(RegenerationError) as exc:
        pack_receive(
            battery=handed(regen, mass_kg=Decimal(300)),
            occurred_at=now(),
            actor=platform_actor(regen),
        )
    assert exc.value.code == "licence_scale"
    assert "beyond its annual scale of 0.500 t (already 0.300 t)" in exc.value.message
    (usage,) = licence_usages(regen, now().year)
    assert usage.licence == lic and usage.used_t == Decimal("0.3") and usage.share_pct == Decimal("60.0")


def test_a_pack_not_handed_over_cannot_be_booked_in(regen):
    licence(regen)
    other = regeneration_enterprise()
    with pytest.raises(RegenerationError, match="has not been handed to"):
        pack_receive(battery=handed(other), occurred_at=now(), actor=platform_actor(regen))


@pytest.mark.parametrize("mass", [Decimal("1e9"), Decimal("Infinity")])
def test_a_weighed_mass_no_pack_can_have_is_refused_naming_it(regen, mass):
    licence(regen)
    with pytest.raises(RegenerationError) as exc:
        pack_receive(battery=handed(regen), occurred_at=now(), actor=platform_actor(regen), mass_kg=mass)
    assert exc.value.field == "mass_kg"
