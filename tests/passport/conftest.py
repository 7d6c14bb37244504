"""A battery with a full life for the passport tests: made, sold in a vehicle, retired, assessed, repurposed."""

import pytest

from tests.cascade_use.factories import (
    assess,
    authorise,
    battery_maker,
    cascade_enterprise,
    held_pack,
    repurpose,
)
from tests.factories import OrganisationFactory, UserFactory
from tests.recycling_network.factories import make_point
from valuation.services import valuation_assess


@pytest.fixture
def life(db, make_regulator):
    return build_life(make_regulator)


def build_life(make_regulator):
    maker = battery_maker(code="0A1")
    enterprise = cascade_enterprise()
    pack = held_pack(maker=maker, holder=enterprise)
    assess(pack, enterprise)
    authorise(maker, enterprise)
    product = repurpose(enterprise, [pack])
    pack.refresh_from_db()
    near = make_point(region="BJ", lat=39.91, lon=116.41)
    far = make_point(region="HB")
    make_point(region="BJ", status="draft", lat=39.9042, lon=116.4074)  # nearer, but not published
    holder_user = UserFactory(organisation=enterprise)
    valuation_assess(battery=pack, actor=holder_user, record_event=False)
    holder = holder_user
    stranger = UserFactory(organisation=OrganisationFactory(kinds=["cascade_use"], region="BJ"))
    regulator = make_regulator(region="TJ")
    return {"maker": maker, "enterprise": enterprise, "pack": pack, "product": product.battery,
            "holder": holder, "stranger": stranger, "regulator": regulator, "near": near,
            "far": far}  # fmt: skip
