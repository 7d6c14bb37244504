"""Intake and stock follow the battery (R-NET): the automaker that registered a point, or one it serves,
sees at that point only the packs it may read itself; another automaker's pack, which answers 404 to it,
shows up neither in intakes nor in stock, nor does its custodian."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from recycling_network.models import Intake, StockEntry
from recycling_network.services import intake_record
from tests.factories import OrganisationFactory, UserFactory
from traceability.services import release_record

from .factories import make_pack, make_point

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(operator, operator_user):
    registrant = OrganisationFactory(kinds=["automaker"], region="BJ")
    rival = OrganisationFactory(kinds=["automaker", "battery_maker"], region="BJ")
    point = make_point(operator=operator, automakers=[registrant], region="BJ")
    own = make_pack(maker=registrant)
    foreign = make_pack(maker=rival)
    for pack in (own, foreign):
        # The maker holds the pack and releases it to the point, whose intake confirms (two-party custody).
        release_record(
            battery=pack,
            actor=platform_actor(pack.custodian),
            receiver=operator,
            occurred_at=timezone.now() - timedelta(hours=1),
        )
        intake_record(point=point, actor=operator_user, code=pack.code, source_kind="owner")
    return {
        "point": point,
        "own": own,
        "foreign": foreign,
        "registrant": UserFactory(organisation=registrant),
        "rival": UserFactory(organisation=rival),
    }


def codes(response):
    assert response.status_code == 200, response.content
    body = response.json()
    return {
        row["code"] if "code" in row else row["battery"] for row in body["results"]
    }, response.content.decode()


def test_the_registrant_sees_its_own_pack_and_not_the_rivals(client_for, site, operator):
    client = client_for(site["registrant"])
    own, foreign = site["own"].code, site["foreign"].code
    assert client.get(f"/api/v1/batteries/{foreign}/").status_code == 404
    intakes, raw = codes(client.get("/api/v1/intakes/"))
    assert intakes == {own}
    assert foreign not in raw
    stock, raw = codes(client.get("/api/v1/stock/"))
    assert own in raw and foreign not in raw
    assert len(stock) == 1


def test_the_operator_and_the_regulator_see_both(client_for, site, operator_user, make_regulator):
    for user in (operator_user, make_regulator("BJ")):
        client = client_for(user)
        _, raw = codes(client.get("/api/v1/intakes/"))
        assert site["own"].code in raw and site["foreign"].code in raw
        _, raw = codes(client.get("/api/v1/stock/"))
        assert site["own"].code in raw and site["foreign"].code in raw


def test_the_rival_maker_sees_its_pack_only_where_it_is_served(client_for, site):
    # The rival made the foreign pack but is not served by this point: the point's records stay closed to it.
    _, raw = codes(client_for(site["rival"]).get("/api/v1/intakes/"))
    assert site["foreign"].code not in raw


def test_the_stock_page_and_its_export_hide_the_rivals_pack(client, site):
    client.force_login(site["registrant"])
    url = f"/network/points/{site['point'].pk}/stock/"
    page = client.get(url).content.decode()
    assert site["own"].code in page and site["foreign"].code not in page
    export = b"".join(client.get(url, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert site["own"].code in export and site["foreign"].code not in export
    listing = client.get("/network/points/").content.decode()
    row = listing.split(site["point"].code, 1)[1].split("</tr>", 1)[0]
    assert f">{1}</a>" in row  # one visible pack counted, not two
    assert StockEntry.objects.filter(point=site["point"]).count() == 2 and Intake.objects.count() == 2
