"""Alliance pages render for each audience and keep sealed bids and unqualified buyers' reasons straight."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from alliance import services
from alliance.models import Lot

from . import factories as f

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_public_pages(client, make_user):
    assessor = make_user(kinds=("assessor",))
    g = services.guidance_create(
        actor=assessor,
        title="G1",
        effective_from=date(2026, 1, 1),
        prices=[{"chemistry": "B", "grade": "B", "form": "pack", "price": "400"}],
    )
    services.guidance_publish(actor=assessor, guidance=g)
    for url in ("/alliance/", "/alliance/directory/", "/alliance/guidance/", f"/alliance/guidance/{g.pk}/"):
        assert client.get(url).status_code == 200, url
    assert b"echarts.min.js" in client.get("/alliance/guidance/").content
    assert client.get("/alliance/lots/").status_code == 302  # sign-in required


def test_lot_page_shows_reasons_and_hides_sealed_bids(make_org):
    maker = make_org(kinds=("battery_maker",))
    seller, seller_user = f.member()
    buyer, buyer_user = f.member(kinds=("cascade_use",))
    f.authorise(maker=maker, enterprise=buyer)
    _, dismantler_user = f.member(kinds=("dismantler",))
    lot = f.lot(seller_user=seller_user, batteries=[f.battery(custodian=seller, maker=maker)])
    services.bid_place(actor=buyer_user, lot=lot, amount_cny=Decimal("777"))

    page = logged_in(dismantler_user).get(f"/alliance/lots/{lot.pk}/").content.decode()
    assert "not-qualified" in page and "only cascade-use or regeneration" in page
    assert "777" not in page
    assert "777" not in logged_in(seller_user).get(f"/alliance/lots/{lot.pk}/").content.decode()
    assert "777" in logged_in(buyer_user).get(f"/alliance/lots/{lot.pk}/").content.decode()
    Lot.objects.filter(pk=lot.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    assert "777" in logged_in(seller_user).get(f"/alliance/lots/{lot.pk}/").content.decode()


def test_bid_form_refuses_unqualified_buyer(make_org):
    seller, seller_user = f.member()
    _, buyer_user = f.member(kinds=("cascade_use",))
    lot = f.lot(
        seller_user=seller_user,
        batteries=[f.battery(custodian=seller, maker=make_org(kinds=("battery_maker",)))],
    )
    r = logged_in(buyer_user).post(f"/alliance/lots/{lot.pk}/", {"amount_cny": "100"})
    assert r.status_code == 200
    assert "no cascade-use authorisation" in r.content.decode()
    assert not lot.bids.exists()


def test_member_pages_and_report_export(make_user):
    _, user = f.member(kinds=("cascade_use",))
    c = logged_in(user)
    for url in (
        "/alliance/lots/",
        "/alliance/lots/new/",
        "/alliance/deals/",
        "/alliance/points/",
        "/alliance/report/",
    ):
        assert c.get(url).status_code == 200, url
    r = c.get("/alliance/report/?export=csv")
    assert r["Content-Type"].startswith("text/csv")
    assert b"month,chemistry,grade" in b"".join(r.streaming_content)
    assert c.get("/alliance/report/?export=xlsx")["Content-Type"].startswith("application/vnd.openxml")
    # Non-members do not read market reports.
    assert logged_in(make_user(kinds=("automaker",))).get("/alliance/report/").status_code == 404


def test_list_lot_form_shows_field_errors():
    _, seller_user = f.member()
    r = logged_in(seller_user).post(
        "/alliance/lots/new/",
        {
            "title": "x",
            "form": "pack",
            "location": "x",
            "region": "BJ",
            "reserve_price_cny": "1",
            "deadline": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "items": "NOPE123,0.8",
        },
    )
    assert r.status_code == 200
    assert "NOPE123: unknown battery code" in r.content.decode()
