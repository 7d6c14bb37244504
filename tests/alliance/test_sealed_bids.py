"""Sealed bids stay sealed (R-ALLIANCE): until the deadline only the bidder sees its bid, the lot's trail does
not name bidders to other members, and the platform's audit trail records that a bid was placed, not its
amount."""

import pytest

from core.models import AuditLog
from tests.factories import RegulatorFactory, UserFactory

from . import factories as f
from .test_trading import bid_url, close, market  # noqa: F401 - the market fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(market, client_for):  # noqa: F811
    """A sealed lot with bids from the market's buyer and from a rival; a third member who did not bid."""
    rival, rival_user = f.member(kinds=("cascade_use",), region="HB")
    f.authorise(maker=market["maker"], enterprise=rival)
    _onlooker, onlooker_user = f.member(kinds=("cascade_use",), region="TJ")
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"])
    for user, amount in ((market["buyer_user"], "30000"), (rival_user, "31000")):
        response = client_for(user).post(bid_url(lot), {"amount_cny": amount}, format="json")
        assert response.status_code == 201, response.content
    return {
        **market,
        "lot": lot,
        "rival": rival,
        "rival_user": rival_user,
        "onlooker_user": onlooker_user,
        "regulator_user": UserFactory(organisation=RegulatorFactory(region="BJ")),
    }


def _trail(client_for, user, lot):
    response = client_for(user).get(f"/api/v1/alliance/lots/{lot.pk}/events/")
    assert response.status_code == 200, response.content
    return [e for e in response.json() if e["kind"] == "bid_placed"]


def test_the_trail_names_no_bidder_to_other_members_before_the_deadline(sealed, client_for):
    bidder_names = {sealed["buyer"].display_name, sealed["rival"].display_name}
    for reader in ("onlooker_user", "seller_user", "regulator_user"):
        placed = _trail(client_for, sealed[reader], sealed["lot"])
        assert len(placed) == 2, reader  # that bids came in is visible
        assert {e["actor"] for e in placed} == {""}, reader
        assert all(e["detail"] == {} for e in placed), reader
        assert not bidder_names & {str(e) for e in placed}
    own = _trail(client_for, sealed["rival_user"], sealed["lot"])
    assert sorted(e["actor"] for e in own) == ["", sealed["rival"].display_name]


def test_bids_are_readable_only_by_their_bidder_before_the_deadline(sealed, client_for):
    lot = sealed["lot"]
    for reader in ("onlooker_user", "seller_user", "regulator_user"):
        assert client_for(sealed[reader]).get(bid_url(lot)).json()["results"] == [], reader
    own = client_for(sealed["rival_user"]).get(bid_url(lot)).json()["results"]
    assert [b["amount_cny"] for b in own] == ["31000.00"]


def test_the_audit_trail_records_the_bid_not_its_amount(sealed, client):
    entries = AuditLog.objects.filter(action="alliance.bid_place")
    assert entries.count() == 2
    for entry in entries:
        assert "amount_cny" not in entry.changes
        assert "30000" not in str(entry.changes) + entry.object_repr
        assert "31000" not in str(entry.changes) + entry.object_repr
    # The regulator's audit page lists both bids, without their amounts.
    client.force_login(sealed["regulator_user"])
    page = client.get("/audit/", {"action": "alliance.bid_place"})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count(sealed["lot"].number) >= 2
    assert "30000" not in html and "31000" not in html


def test_after_the_deadline_the_seller_sees_bidders_and_amounts(sealed, client_for):
    lot = sealed["lot"]
    close(lot)
    placed = _trail(client_for, sealed["seller_user"], lot)
    assert sorted(e["actor"] for e in placed) == sorted(
        [sealed["buyer"].display_name, sealed["rival"].display_name]
    )
    amounts = sorted(
        b["amount_cny"] for b in client_for(sealed["seller_user"]).get(bid_url(lot)).json()["results"]
    )
    assert amounts == ["30000.00", "31000.00"]
    # A member who did not bid still learns nothing about who bid.
    assert {e["actor"] for e in _trail(client_for, sealed["onlooker_user"], lot)} == {""}


def test_an_open_lots_trail_still_shows_bidders(market, client_for):  # noqa: F811
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1], sealed=False)
    client_for(market["buyer_user"]).post(bid_url(lot), {"amount_cny": "30000"}, format="json")
    placed = _trail(client_for, market["seller_user"], lot)
    assert [e["actor"] for e in placed] == [market["buyer"].display_name]
    assert placed[0]["detail"]["amount_cny"] == "30000.00"
    entry = AuditLog.objects.get(action="alliance.bid_place")
    assert entry.changes["amount_cny"] == "30000.00"


def test_the_lot_page_names_no_bidder_before_the_deadline(sealed, client):
    lot = sealed["lot"]
    names = (sealed["buyer"].display_name, sealed["rival"].display_name)
    for reader in ("seller_user", "onlooker_user", "regulator_user"):
        client.force_login(sealed[reader])
        html = client.get(f"/alliance/lots/{lot.pk}/").content.decode()
        assert lot.number in html, reader
        assert not [name for name in names if name in html], reader
    client.force_login(sealed["rival_user"])
    assert sealed["rival"].display_name in client.get(f"/alliance/lots/{lot.pk}/").content.decode()
