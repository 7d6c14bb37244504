"""Repurposing under a maker's authorisation, with a new code linked both ways (R-CASCADE, domain.md §1)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from cascade_use import selectors
from cascade_use.models import ProductStatus
from cascade_use.services import CascadeError, authorisation_revoke, product_retire
from core.errors import Forbidden
from tests.cascade_use.factories import (
    assess,
    authorise,
    battery_maker,
    cascade_enterprise,
    held_pack,
    now,
    repurpose,
)
from tests.factories import UserFactory
from traceability.codes import parse
from traceability.models import Battery

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maker, other_maker = battery_maker(code="0A1"), battery_maker(code="03H")
    enterprise = cascade_enterprise()
    pack = held_pack(maker=maker, holder=enterprise)
    assess(pack, enterprise)
    return {"maker": maker, "other_maker": other_maker, "enterprise": enterprise, "pack": pack}


def build(world, **kw):
    return repurpose(world["enterprise"], kw.pop("sources", [world["pack"]]), **kw)


def test_without_authorisation_is_refused_naming_the_maker(world):
    with pytest.raises(CascadeError) as exc:
        build(world)
    assert exc.value.code == "authorisation_missing"
    assert "no authorisation from the battery maker" in exc.value.message
    assert world["maker"].display_name in exc.value.message
    assert not Battery.objects.filter(is_cascade_product=True).exists()


def test_expired_authorisation_is_refused_with_its_end_date(world):
    today = timezone.localdate()
    auth = authorise(world["maker"], world["enterprise"], valid_from=today - timedelta(days=400),
                     valid_to=today - timedelta(days=5))  # fmt: skip
    with pytest.raises(CascadeError) as exc:
        build(world)
    assert exc.value.code == "authorisation_expired"
    assert f"{auth.document_ref} expired on {(today - timedelta(days=5)).isoformat()}" in exc.value.message


def test_another_makers_authorisation_does_not_cover_the_pack(world):
    authorise(world["other_maker"], world["enterprise"])
    with pytest.raises(CascadeError) as exc:
        build(world)
    assert exc.value.code == "authorisation_other_maker"
    assert world["other_maker"].display_name in exc.value.message
    assert world["maker"].display_name in exc.value.message


def test_revoked_authorisation_is_refused(world):
    auth = authorise(world["maker"], world["enterprise"])
    authorisation_revoke(
        authorisation=auth, reason="contract ended", actor=platform_actor(auth.battery_maker)
    )
    with pytest.raises(CascadeError, match="was revoked on"):
        build(world)


def test_out_of_scope_chemistry_is_refused(world):
    authorise(world["maker"], world["enterprise"], chemistries=["B"])
    with pytest.raises(CascadeError, match="covers chemistries B, not E"):
        build(world)


def test_soh_below_the_scenario_band_is_refused(world):
    authorise(world["maker"], world["enterprise"])
    pack = held_pack(maker=world["maker"], holder=world["enterprise"])
    assess(pack, world["enterprise"], soh_pct=55)
    with pytest.raises(CascadeError, match="below the 70.00% that 'Telecom base-station backup' needs"):
        build(world, sources=[pack])
    assert build(world, sources=[pack], scenario="street_light").scenario.key == "street_light"


def test_new_code_links_back_to_every_original_and_forward_from_each(world):
    authorise(world["maker"], world["enterprise"])
    second = held_pack(maker=world["maker"], holder=world["enterprise"])
    assess(second, world["enterprise"], verdict="pass_limited")
    product = build(world, sources=[world["pack"], second])

    new = product.battery
    assert new.is_cascade_product and parse(new.code).is_cascade
    assert new.code not in (world["pack"].code, second.code)
    new.refresh_from_db()
    assert new.state == "cascade_use" and new.region == "BJ"
    # backwards: the product's trace reaches each original and its history
    trace = selectors.product_trace(product)
    assert {b.code for b, _ in trace["sources"]} == {world["pack"].code, second.code}
    assert all(events for _, events in trace["sources"])
    # forwards: each original leads to the product, and its own path ends in it
    for original in (world["pack"], second):
        original.refresh_from_db()
        assert list(original.product_links.values_list("product__code", flat=True)) == [new.code]
        assert original.state == "consumed"
        last = original.events.order_by("-id").first()
        assert last.kind == "cascade_repurposed" and last.payload["consumed_into"] == new.code
    assert product.status == ProductStatus.IN_SERVICE
    assert {s.authorisation_id for s in product.sources.all()} != {None}


def test_a_consumed_original_cannot_be_used_twice(world):
    authorise(world["maker"], world["enterprise"])
    build(world)
    world["pack"].refresh_from_db()
    with pytest.raises(CascadeError, match="not in the custody|not held for cascade use"):
        build(world)


def test_another_enterprises_pack_is_refused(world):
    authorise(world["maker"], world["enterprise"])
    stranger = cascade_enterprise()
    with pytest.raises(CascadeError, match="not in the custody"):
        repurpose(stranger, [world["pack"]], scenario="grid_storage", name="x", site="x", operator="x",
                  commissioned_at=now())  # fmt: skip


def test_only_a_writer_of_the_products_enterprise_retires_it(world):
    authorise(world["maker"], world["enterprise"])
    product = build(world)
    for outsider in (
        UserFactory(organisation=cascade_enterprise()),
        UserFactory(organisation=world["enterprise"], role="viewer"),
    ):
        with pytest.raises(Forbidden, match="read-only"):
            product_retire(product=product, occurred_at=now(), actor=outsider)
    product.refresh_from_db()
    assert product.status == ProductStatus.IN_SERVICE
    product_retire(product=product, occurred_at=now(), actor=UserFactory(organisation=world["enterprise"]))
    product.refresh_from_db()
    assert product.status == ProductStatus.RETIRED


@pytest.mark.parametrize("energy", [Decimal("-1"), Decimal("0"), Decimal("2000000")])
def test_a_product_rated_energy_out_of_range_is_refused_naming_it(world, energy):
    authorise(world["maker"], world["enterprise"])
    with pytest.raises(CascadeError) as exc:
        build(world, rated_energy_kwh=energy)
    assert exc.value.field == "rated_energy_kwh"
    assert not Battery.objects.filter(is_cascade_product=True).exists()
