"""Two writers at the same moment on the market (R-ALLIANCE): a seller who accepts two bids at once concludes
one deal and hands the packs over once; one pack offered in two lots at once is listed once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from alliance import services
from alliance.models import Deal, Lot, LotItem, LotStatus
from tests.races import ROUNDS, outcome_kinds, race
from traceability.models import Battery, LifecycleEvent

from . import factories as f

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def market(make_org):
    maker = make_org(kinds=("battery_maker",), region="TJ")
    seller, seller_user = f.member(kinds=("service_operator",))
    buyers = []
    for _ in range(2):
        buyer, buyer_user = f.member(kinds=("cascade_use",))
        f.authorise(maker=maker, enterprise=buyer)
        buyers.append((buyer, buyer_user))
    return maker, seller, seller_user, buyers


def test_accepting_two_bids_at_once_concludes_one_deal(market):
    maker, seller, seller_user, buyers = market
    for _ in range(ROUNDS):
        pack = f.battery(custodian=seller, maker=maker)
        lot = f.lot(seller_user=seller_user, batteries=[pack])
        bids = [
            services.bid_place(actor=u, lot=lot, amount_cny=Decimal("5000") + n)
            for n, (_, u) in enumerate(buyers)
        ]
        Lot.objects.filter(pk=lot.pk).update(deadline=timezone.now() - timedelta(minutes=1))
        lot.refresh_from_db()
        outcomes = race(*(lambda b=b: services.lot_accept(actor=seller_user, lot=lot, bid=b) for b in bids))
        assert outcome_kinds(outcomes) == ["ok", "refused"]
        deal = Deal.objects.get(lot=lot)
        assert Lot.objects.get(pk=lot.pk).status == LotStatus.AWARDED
        assert Battery.objects.get(pk=pack.pk).custodian_id == deal.buyer_id
        assert LifecycleEvent.objects.filter(battery=pack, kind="handed_over").count() == 1


def test_one_pack_offered_in_two_lots_at_once_is_listed_once(market):
    maker, seller, seller_user, _ = market
    for _ in range(ROUNDS):
        pack = f.battery(custodian=seller, maker=maker)
        outcomes = race(*(lambda: f.lot(seller_user=seller_user, batteries=[pack]) for _ in range(2)))
        assert outcome_kinds(outcomes) == ["ok", "refused"]
        assert LotItem.objects.filter(battery=pack, lot__status=LotStatus.OPEN).count() == 1
