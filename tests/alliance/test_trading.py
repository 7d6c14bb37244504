"""Residual-value trading: qualification, sealed bids, deals that move custody (R-ALLIANCE)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from alliance import services
from alliance.models import Bid, BidStatus, Lot, LotStatus
from traceability.models import Battery, LifecycleEvent
from traceability.services import receipt_confirm, release_record

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(make_org):
    """A seller holding three LFP packs of one maker, and a qualified cascade-use buyer."""
    maker = make_org(kinds=("battery_maker",), region="TJ")
    seller, seller_user = f.member(kinds=("service_operator",))
    buyer, buyer_user = f.member(kinds=("cascade_use",))
    f.authorise(maker=maker, enterprise=buyer)
    packs = [f.battery(custodian=seller, maker=maker) for _ in range(3)]
    return {
        "maker": maker,
        "seller": seller,
        "seller_user": seller_user,
        "buyer": buyer,
        "buyer_user": buyer_user,
        "packs": packs,
    }


def bid_url(lot):
    return f"/api/v1/alliance/lots/{lot.pk}/bids/"


def regeneration_bidder(**licence):
    """A Tianjin regeneration member holding a licence on these terms, and its user."""
    regen, regen_user = f.member(kinds=("regeneration",), region="TJ")
    f.licence(enterprise=regen, **licence)
    return regen, regen_user


def bid_on_one_pack(market, client, amount="5000"):
    """A bid by ``client`` on a new lot of the market's first pack."""
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1])
    return client.post(bid_url(lot), {"amount_cny": amount}, format="json")


def close(lot):
    Lot.objects.filter(pk=lot.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    lot.refresh_from_db()


# --- who may bid --------------------------------------------------------------------------------------------


def test_authorised_cascade_buyer_bids(market, client_for):
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"][:2])
    r = client_for(market["buyer_user"]).post(bid_url(lot), {"amount_cny": "20000"}, format="json")
    assert r.status_code == 201, r.json()
    assert Bid.objects.get().bidder == market["buyer"]


def test_cascade_buyer_without_authorisation_is_refused_with_reason(market, client_for, make_org):
    other_maker = make_org(kinds=("battery_maker",), region="HB", name_en="Unlisted Cells Ltd")
    stranger_pack = f.battery(custodian=market["seller"], maker=other_maker)
    lot = f.lot(seller_user=market["seller_user"], batteries=[market["packs"][0], stranger_pack])
    r = client_for(market["buyer_user"]).post(bid_url(lot), {"amount_cny": "20000"}, format="json")
    assert r.status_code == 400
    reasons = r.json()["error"]["fields"]["bidder"]
    assert any("no cascade-use authorisation" in m and "Unlisted Cells Ltd" in m for m in reasons)
    assert not Bid.objects.exists()
    assert lot.events.filter(kind="bid_refused").exists()


def test_expired_authorisation_is_refused(market, client_for, make_org):
    maker2 = make_org(kinds=("battery_maker",))
    today = timezone.localdate()
    f.authorise(
        maker=maker2,
        enterprise=market["buyer"],
        valid_from=today - timedelta(days=400),
        valid_to=today - timedelta(days=1),
    )
    pack = f.battery(custodian=market["seller"], maker=maker2)
    lot = f.lot(seller_user=market["seller_user"], batteries=[pack])
    r = client_for(market["buyer_user"]).post(bid_url(lot), {"amount_cny": "20000"}, format="json")
    assert r.status_code == 400
    assert "not in force" in r.json()["error"]["fields"]["bidder"][0]


def test_regeneration_buyer_with_exhausted_scale_is_refused(market, client_for):
    regen, regen_user = regeneration_bidder(scale_t="0.5")
    # 500 kg already received this year: the 0.5 t annual scale is used up.
    used = f.battery(custodian=market["seller"], maker=market["maker"], mass="500")
    release_record(
        battery=used, actor=platform_actor(market["seller"]), receiver=regen, occurred_at=timezone.now()
    )
    receipt_confirm(
        battery=used, actor=platform_actor(regen), occurred_at=timezone.now(), payload={"mass_kg": "500"}
    )
    r = bid_on_one_pack(market, client_for(regen_user))
    assert r.status_code == 400
    assert "annual scale exhausted" in r.json()["error"]["fields"]["bidder"][0]


def test_regeneration_buyer_with_expired_licence_is_refused(market, client_for):
    today = timezone.localdate()
    _, regen_user = regeneration_bidder(
        valid_from=today - timedelta(days=800), valid_to=today - timedelta(days=1)
    )
    r = bid_on_one_pack(market, client_for(regen_user))
    assert r.status_code == 400
    assert "expired" in r.json()["error"]["fields"]["bidder"][0]


def test_regeneration_buyer_with_licence_and_scale_left_bids(market, client_for):
    _, regen_user = regeneration_bidder(scale_t="10")
    r = bid_on_one_pack(market, client_for(regen_user))
    assert r.status_code == 201


def test_licence_missing_category_is_refused(market, client_for):
    _, regen_user = regeneration_bidder(categories=("LIB-TERNARY",))
    r = bid_on_one_pack(market, client_for(regen_user))
    assert r.status_code == 400
    assert "LIB-LFP" in r.json()["error"]["fields"]["bidder"][0]


def test_non_member_cannot_see_or_bid(market, client_for, make_user):
    outsider = make_user(kinds=("cascade_use",))
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1])
    assert client_for(outsider).get(f"/api/v1/alliance/lots/{lot.pk}/").status_code == 404
    assert client_for(outsider).post(bid_url(lot), {"amount_cny": "1"}, format="json").status_code == 404


def test_qualification_endpoint_lists_reasons(market, client_for):
    dismantler, dismantler_user = f.member(kinds=("dismantler",))
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1])
    body = client_for(dismantler_user).get(f"/api/v1/alliance/lots/{lot.pk}/qualification/").json()
    assert body["qualified"] is False
    assert "only cascade-use or regeneration" in body["reasons"][0]


# --- sealed bids --------------------------------------------------------------------------------------------


def test_sealed_bids_hidden_until_deadline(market, client_for):
    rival, rival_user = f.member(kinds=("cascade_use",), region="HB")
    f.authorise(maker=market["maker"], enterprise=rival)
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"])
    client_for(market["buyer_user"]).post(bid_url(lot), {"amount_cny": "30000"}, format="json")
    client_for(rival_user).post(bid_url(lot), {"amount_cny": "31000"}, format="json")

    seller_view = client_for(market["seller_user"]).get(bid_url(lot)).json()
    assert seller_view == {"revealed": False, "results": []}
    own = client_for(rival_user).get(bid_url(lot)).json()["results"]
    assert [b["amount_cny"] for b in own] == ["31000.00"]
    trail = client_for(market["seller_user"]).get(f"/api/v1/alliance/lots/{lot.pk}/events/").json()
    assert all("amount_cny" not in e["detail"] for e in trail if e["kind"] == "bid_placed")
    # Accepting before the deadline would mean peeking at sealed bids.
    bid = Bid.objects.get(bidder=rival)
    r = client_for(market["seller_user"]).post(
        f"/api/v1/alliance/lots/{lot.pk}/accept/", {"bid": bid.pk}, format="json"
    )
    assert r.status_code == 409

    close(lot)
    seller_view = client_for(market["seller_user"]).get(bid_url(lot)).json()
    assert seller_view["revealed"] is True
    assert sorted(b["amount_cny"] for b in seller_view["results"]) == ["30000.00", "31000.00"]
    # Other bidders still see only their own.
    assert len(client_for(rival_user).get(bid_url(lot)).json()["results"]) == 1


def test_bidding_closes_at_deadline(market, client_for):
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1])
    close(lot)
    r = client_for(market["buyer_user"]).post(bid_url(lot), {"amount_cny": "30000"}, format="json")
    assert r.status_code == 409


def test_new_bid_supersedes_the_old(market):
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1])
    first = services.bid_place(actor=market["buyer_user"], lot=lot, amount_cny=Decimal(100))
    services.bid_place(actor=market["buyer_user"], lot=lot, amount_cny=Decimal(200))
    first.refresh_from_db()
    assert first.status == BidStatus.SUPERSEDED
    assert Bid.objects.filter(status=BidStatus.ACTIVE).get().amount_cny == 200


# --- deals move custody -------------------------------------------------------------------------------------


def test_deal_moves_custody_of_exactly_the_lots_batteries(market, client_for):
    sold, kept = market["packs"][:2], market["packs"][2]
    lot = f.lot(seller_user=market["seller_user"], batteries=sold, reserve="10000")
    bid = services.bid_place(actor=market["buyer_user"], lot=lot, amount_cny=Decimal("15000"))
    close(lot)
    r = client_for(market["seller_user"]).post(
        f"/api/v1/alliance/lots/{lot.pk}/accept/", {"bid": bid.pk}, format="json"
    )
    assert r.status_code == 201, r.json()
    assert sorted(r.json()["batteries"]) == sorted(b.code for b in sold)

    for pack in sold:
        pack.refresh_from_db()
        assert pack.custodian == market["buyer"]
        trace = list(LifecycleEvent.objects.filter(battery=pack).order_by("id"))
        assert trace[-1].kind == "handed_over"
        assert trace[-1].custodian_before == market["seller"]
        assert trace[-1].custodian_after == market["buyer"]
        assert trace[-1].payload["trade"] == lot.number
    kept.refresh_from_db()
    assert kept.custodian == market["seller"]
    assert not LifecycleEvent.objects.filter(battery=kept).exists()
    lot.refresh_from_db()
    assert lot.status == LotStatus.AWARDED
    # The buyer now reads the batteries it bought.
    assert Battery.objects.filter(custodian=market["buyer"]).count() == 2


def test_bid_below_reserve_cannot_be_accepted(market):
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1], reserve="50000")
    bid = services.bid_place(actor=market["buyer_user"], lot=lot, amount_cny=Decimal("100"))
    close(lot)
    with pytest.raises(services.AllianceError, match="reserve"):
        services.lot_accept(actor=market["seller_user"], lot=lot, bid=bid)
    assert Battery.objects.get(pk=market["packs"][0].pk).custodian == market["seller"]


def test_another_member_cannot_accept(market, client_for):
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1])
    bid = services.bid_place(actor=market["buyer_user"], lot=lot, amount_cny=Decimal("5000"))
    close(lot)
    r = client_for(market["buyer_user"]).post(
        f"/api/v1/alliance/lots/{lot.pk}/accept/", {"bid": bid.pk}, format="json"
    )
    assert r.status_code == 403


def test_reserve_is_hidden_from_bidders(market, client_for):
    lot = f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1], reserve="12345")
    assert (
        client_for(market["buyer_user"]).get(f"/api/v1/alliance/lots/{lot.pk}/").json()["reserve_price_cny"]
        is None
    )
    assert (
        client_for(market["seller_user"]).get(f"/api/v1/alliance/lots/{lot.pk}/").json()["reserve_price_cny"]
        == "12345.00"
    )


def test_battery_not_in_sellers_custody_cannot_be_listed(market, make_org):
    elsewhere = f.battery(custodian=make_org(kinds=("service_operator",)), maker=market["maker"])
    with pytest.raises(services.AllianceError, match="not in the seller's custody"):
        f.lot(seller_user=market["seller_user"], batteries=[elsewhere])


def test_battery_cannot_be_in_two_open_lots(market):
    f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1])
    with pytest.raises(services.AllianceError, match="already offered"):
        f.lot(seller_user=market["seller_user"], batteries=market["packs"][:1])


def test_offline_deal_is_recorded_and_moves_custody(market, client_for):
    pack = market["packs"][0]
    r = client_for(market["seller_user"]).post(
        "/api/v1/alliance/deals/offline/",
        {
            "buyer": market["buyer"].uscc,
            "price_cny": "9000",
            "concluded_at": (timezone.now() - timedelta(days=1)).isoformat(),
            "location": "Tianjin hub",
            "region": "TJ",
            "contract_ref": "C-2026-01",
            "items": [{"code": pack.code, "soh": "0.72"}],
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["channel"] == "offline"
    pack.refresh_from_db()
    assert pack.custodian == market["buyer"]
    assert pack.events.last().payload["channel"] == "offline"
