"""Third-party price guidance: the guidance in force on a date, valuations priced with it, outliers (R-ALLIANCE)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from alliance import selectors, services
from alliance.models import Deal
from core.errors import Forbidden
from valuation.selectors import price_set_in_force

from . import factories as f

pytestmark = pytest.mark.django_db


def prices(lfp_b: str) -> list[dict]:
    return [
        {"chemistry": "B", "grade": "B", "form": "pack", "price": lfp_b},
        {"chemistry": "E", "grade": "B", "form": "pack", "price": "300"},
        {"chemistry": "B", "grade": "", "form": "black_mass", "price": "18000"},
    ]


@pytest.fixture
def assessor_user(make_user):
    return make_user(kinds=("assessor",), region="TJ")


def publish(user, effective: date, lfp_b: str, metals=None):
    g = services.guidance_create(
        actor=user,
        title=f"Guidance {effective}",
        effective_from=effective,
        prices=prices(lfp_b),
        metals=metals,
    )
    return services.guidance_publish(actor=user, guidance=g)


def test_guidance_in_force_is_the_latest_published_not_after_the_date(assessor_user):
    jan = publish(assessor_user, date(2026, 1, 1), "400")
    jul = publish(assessor_user, date(2026, 7, 1), "300")
    draft = services.guidance_create(
        actor=assessor_user, title="draft", effective_from=date(2026, 8, 1), prices=prices("100")
    )
    assert selectors.guidance_in_force(on=date(2025, 12, 31)) is None
    assert selectors.guidance_in_force(on=date(2026, 6, 30)) == jan
    assert selectors.guidance_in_force(on=date(2026, 7, 1)) == jul
    # A draft is never in force.
    assert selectors.guidance_in_force(on=date(2026, 9, 1)) == jul
    assert draft.status == "draft"


def test_valuations_use_the_guidance_in_force_on_their_date(assessor_user):
    publish(assessor_user, date(2026, 1, 1), "400", metals=[{"metal": "li2co3", "price_cny_per_t": "75000"}])
    publish(assessor_user, date(2026, 7, 1), "300")
    # The alliance's own valuation of a lot item ...
    value, g = selectors.value_at_guidance(
        chemistry="B", grade="B", form="pack", energy_kwh=Decimal(10), on=date(2026, 6, 30)
    )
    assert (value, g.effective_from) == (Decimal("4000.00"), date(2026, 1, 1))
    value, g = selectors.value_at_guidance(
        chemistry="B", grade="B", form="pack", energy_kwh=Decimal(10), on=date(2026, 7, 2)
    )
    assert (value, g.effective_from) == (Decimal("3000.00"), date(2026, 7, 1))
    # ... and the residual-value assessment's price set on the valuation date.
    assert price_set_in_force(on=date(2026, 6, 30)).prices["per_kwh"]["B"]["B"] == 400
    assert price_set_in_force(on=date(2026, 7, 1)).prices["per_kwh"]["B"]["B"] == 300
    assert round(price_set_in_force(on=date(2026, 3, 1)).prices["metals_cny_per_kg"]["Li"]) == 399


def test_in_force_endpoint(assessor_user, api_client):
    publish(assessor_user, date(2026, 1, 1), "400")
    r = api_client.get(
        "/api/v1/alliance/guidance/in-force/",
        {"on": "2026-02-01", "chemistry": "B", "grade": "B", "energy_kwh": "5"},
    )
    assert r.json()["price"] == "400.00"
    assert r.json()["value_cny"] == "2000.00"


def test_only_assessors_publish_guidance(make_user):
    seller = make_user(kinds=("service_operator",))
    with pytest.raises(Forbidden):
        services.guidance_create(actor=seller, title="x", effective_from=date(2026, 1, 1), prices=prices("1"))


def test_another_assessor_cannot_publish_my_draft(assessor_user, make_user, client_for):
    draft = services.guidance_create(
        actor=assessor_user, title="x", effective_from=date(2026, 1, 1), prices=prices("1")
    )
    rival = make_user(kinds=("assessor",))
    assert client_for(rival).post(f"/api/v1/alliance/guidance/{draft.pk}/publish/").status_code == 404


def test_unknown_grade_is_refused(assessor_user):
    with pytest.raises(services.AllianceError, match="unknown grade"):
        services.guidance_create(
            actor=assessor_user,
            title="x",
            effective_from=date(2026, 1, 1),
            prices=[{"chemistry": "B", "grade": "Z9", "form": "pack", "price": "1"}],
        )


def test_drafts_are_hidden_from_the_public(assessor_user, api_client):
    services.guidance_create(
        actor=assessor_user, title="x", effective_from=date(2026, 1, 1), prices=prices("1")
    )
    publish(assessor_user, date(2026, 2, 1), "2")
    assert api_client.get("/api/v1/alliance/guidance/").json()["count"] == 1


def test_trades_far_from_guidance_are_flagged(assessor_user, make_org):
    today = timezone.localdate()
    publish(assessor_user, today - timedelta(days=10), "400")
    maker = make_org(kinds=("battery_maker",))
    seller, seller_user = f.member()
    buyer, buyer_user = f.member(kinds=("cascade_use",))
    f.authorise(maker=maker, enterprise=buyer)
    packs = [f.battery(custodian=seller, maker=maker, energy="50") for _ in range(2)]

    # SOH 0.75 -> grade B, 37.5 kWh each: 75 kWh at 400 CNY/kWh = 30000 at guidance.
    def sell(pack, price_cny):
        return services.deal_record_offline(
            actor=seller_user,
            buyer=buyer,
            price_cny=Decimal(price_cny),
            concluded_at=timezone.now(),
            items=[services.ItemInput(code=pack.code, soh=Decimal("0.75"))],
            form="pack",
            location="x",
            region="BJ",
        )

    fair, cheap = sell(packs[0], "15500"), sell(packs[1], "3000")
    fair.refresh_from_db()
    assert fair.reference_per_kwh == Decimal("400.00")
    assert not fair.is_outlier
    assert cheap.is_outlier and cheap.deviation == Decimal("-0.8000")
    assert list(Deal.objects.filter(is_outlier=True)) == [cheap]
