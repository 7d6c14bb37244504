"""Demo alliance: members across the chain, a year of price guidance, co-built points, lots with bids, deals."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.actors import platform_actor
from accounts.choices import JJJ_REGIONS
from accounts.models import Organisation, User
from core.demo import DemoWorld
from recycling_network import selectors as network_selectors
from recycling_network.services import NetworkError, service_point_register, service_point_review
from traceability import selectors as trace
from traceability.services import TraceabilityError, battery_register, event_record

from . import services
from .models import Bid, BidStatus, Lot, MembershipTier
from .selectors import is_member

MEMBERS = [
    ("baic", "council"),
    ("lixiang", "member"),
    ("great-wall", "council"),
    ("faw-tj", "member"),
    ("foton", "member"),
    ("catl", "council"),
    ("tjlishen", "member"),
    ("svolt", "member"),
    ("bj-recycle", "member"),
    ("tj-recycle", "member"),
    ("hb-recycle", "member"),
    ("hub", "council"),
    ("bj-dismantle", "member"),
    ("cascade-bj", "member"),
    ("cascade-hb", "member"),
    ("regen-tj", "council"),
    ("regen-hb", "member"),
    ("assessor", "observer"),
]
PENDING = ["tj-dismantle", "xiaomi"]
# Reference pack prices (CNY/kWh) a year ago, by chemistry and grade; the guidance drifts month by month.
BASE = {"B": {"A": 520, "B": 400, "C": 290, "D": 170}, "E": {"A": 470, "B": 340, "C": 240, "D": 140}}
BLACK_MASS = {"B": 9000, "E": 26000}
METALS = {"li2co3": 76000, "ni": 128000, "co": 235000, "mn": 14500, "cu": 74000, "al": 19000}


def _user(world: DemoWorld, key: str) -> User | None:
    return world.users.get(key)


def _operator_user(org: Organisation) -> User | None:
    return User.objects.filter(organisation=org, role="manager").first()


def seed(world: DemoWorld) -> None:
    secretariat = _user(world, "alliance")
    if secretariat is None:
        return
    _members(world, secretariat)
    _guidance(world)
    _shared_points(world)
    _trading(world)


def _members(world: DemoWorld, secretariat: User) -> None:
    tiers = {t.code: t for t in MembershipTier.objects.filter(is_active=True)}
    for i, (key, tier) in enumerate(MEMBERS + [(k, "member") for k in PENDING]):
        user = _user(world, key)
        if user is None:
            continue
        org = user.organisation
        membership = services.membership_apply(
            actor=user,
            tier=tiers[tier],
            statement=f"{org.name_zh}申请加入京津冀动力电池回收利用产业联盟。",
            public_profile=f"{org.name_zh}，{org.get_region_display()}。",
            contact_name=f"联络人{i + 1}",
            contact_phone=f"010-6{world.rng.randint(1000000, 9999999)}",
            contact_email=f"alliance{i + 1}@example.invalid",
            capabilities="回收、贮存、梯次利用评估" if "service_operator" in org.kinds else "",
        )
        if key not in PENDING:
            services.membership_decide(
                actor=secretariat, membership=membership, approve=True, note="材料齐全"
            )


def _guidance(world: DemoWorld) -> None:
    """Twelve monthly issues by the third-party assessor, the latest in force today."""
    assessor = _user(world, "assessor")
    if assessor is None:
        return
    rng = world.rng
    today = timezone.localdate()
    drift = {chem: dict.fromkeys(grades, 1.0) for chem, grades in BASE.items()}
    metal_drift = dict.fromkeys(METALS, 1.0)
    for months_ago in range(11, -1, -1):
        year, month = today.year, today.month - months_ago
        while month < 1:
            year, month = year - 1, month + 12
        prices = []
        for chem, grades in BASE.items():
            for grade, base in grades.items():
                drift[chem][grade] *= 1 + rng.uniform(-0.04, 0.02)
                price = Decimal(base * drift[chem][grade]).quantize(Decimal("1"))
                prices.append(
                    {
                        "chemistry": chem,
                        "grade": grade,
                        "form": "pack",
                        "price": price,
                        "low": (price * Decimal("0.9")).quantize(Decimal("1")),
                        "high": (price * Decimal("1.1")).quantize(Decimal("1")),
                    }
                )
                prices.append(
                    {
                        "chemistry": chem,
                        "grade": grade,
                        "form": "module",
                        "price": (price * Decimal("0.85")).quantize(Decimal("1")),
                    }
                )
            prices.append({"chemistry": chem, "grade": "", "form": "black_mass", "price": BLACK_MASS[chem]})
        metals = []
        for metal, base in METALS.items():
            metal_drift[metal] *= 1 + rng.uniform(-0.05, 0.04)
            metals.append(
                {"metal": metal, "price_cny_per_t": Decimal(base * metal_drift[metal]).quantize(Decimal("1"))}
            )
        g = services.guidance_create(
            actor=assessor,
            title=f"京津冀退役动力电池残值价格指导 {year}年{month}月",
            effective_from=date(year, month, 1),
            prices=prices,
            metals=metals,
            notes="参考联盟成交价和公开金属报价；电池包、模组按剩余电量每千瓦时计价。",
        )
        services.guidance_publish(actor=assessor, guidance=g)


def _shared_points(world: DemoWorld) -> None:
    """Declare the network's points that serve several automakers co-built, with shares for their members."""
    start = timezone.localdate().replace(day=1) - timedelta(days=365)
    if not network_selectors.published_points().exists():
        _register_point(world)
    points = network_selectors.published_points().order_by("pk")
    declared = 0
    for point in points:
        automakers = [a for a in point.automakers.all() if is_member(a)]
        if len(automakers) < 2 and declared >= 1:
            continue
        if not is_member(point.operator):
            continue
        holders = list(dict.fromkeys([*automakers, point.operator]))
        if len(holders) < 2:
            continue
        n = len(holders)
        cost = [Decimal(1) / n for _ in holders]
        cost = [c.quantize(Decimal("0.0001")) for c in cost]
        cost[-1] = Decimal(1) - sum(cost[:-1])
        mass_holders = automakers or holders
        mass = [
            (Decimal(1) / len(mass_holders)).quantize(Decimal("0.0001")) if h in mass_holders else Decimal(0)
            for h in holders
        ]
        last = max(i for i, h in enumerate(holders) if h in mass_holders)
        mass[last] = Decimal(1) - sum(m for i, m in enumerate(mass) if i != last)
        actor = _operator_user(point.operator)
        if actor is None:
            continue
        try:
            services.shared_point_register(
                actor=actor,
                service_point=point,
                monthly_cost_cny=Decimal(world.rng.randrange(8000, 30000, 500)),
                opened_on=start,
                shares=[
                    services.ShareInput(member=h, cost_share=c, mass_share=m)
                    for h, c, m in zip(holders, cost, mass, strict=True)
                ],
            )
        except services.AllianceError:
            continue
        declared += 1
        if declared >= 4 * world.scale:
            break


def _register_point(world: DemoWorld) -> None:
    """A co-built point in Daxing for two member automakers, when the network's demo has published none."""
    automaker, partner, operator = (world.orgs.get(k) for k in ("baic", "lixiang", "bj-recycle"))
    registrar, regulator = _user(world, "baic"), _user(world, "bj-industry-it")
    if not all((automaker, partner, operator, registrar, regulator)):
        return
    try:
        point = service_point_register(
            actor=registrar,
            name_zh="大兴共建共享回收服务网点",
            district="110115",
            address="北京市大兴区亦庄新能源产业园",
            lat=39.78,
            lon=116.50,
            automakers=[automaker, partner],
            operator=operator,
        )
        service_point_review(point=point, actor=registrar, action="submit")
        service_point_review(point=point, actor=regulator, action="publish")
    except NetworkError:
        return


def _tradeable(world: DemoWorld) -> dict[int, list]:
    """Retired packs held by member service operators, registering a few when the network has none yet."""

    sellers = [o for o in world.of_kind("service_operator") if is_member(o)]
    held: dict[int, list] = {}
    for org in sellers:
        packs = list(
            trace.packs(states=("removed", "at_service_point"))
            .filter(custodian=org, rated_energy_kwh__isnull=False)
            .exclude(mass_kg__isnull=True)
            .order_by("pk")[: 12 * world.scale]
        )
        if len(packs) < 4:
            packs += _register_packs(world, org, 6)
        held[org.pk] = packs
    return held


def _register_packs(world: DemoWorld, holder: Organisation, count: int) -> list:
    """A few retired packs of member battery makers, received at the holder (demo only)."""
    makers = [o for o in (world.orgs.get("catl"), world.orgs.get("tjlishen"), world.orgs.get("svolt")) if o]
    packs = []
    now = timezone.now()
    for i in range(count):
        maker = makers[i % len(makers)]
        chem = "B" if i % 3 else "E"
        serial = world.rng.randint(1, 9_999_999)
        made = now - timedelta(days=world.rng.randint(1900, 2600))
        code = f"{_mfr(maker)}P{chem}{world.rng.randint(10, 99)}{world.rng.randint(0, 9_999_999):07d}{_date_chars(made.date())}{serial:07d}"
        try:
            battery = battery_register(
                code=code,
                maker=maker,
                actor=platform_actor(maker),
                rated_capacity_ah=Decimal(150),
                rated_energy_kwh=Decimal(world.rng.choice([42, 55, 60, 75])),
                mass_kg=Decimal(world.rng.choice([310, 380, 420, 480])),
                custodian=maker,
                occurred_at=made,
            )
            event_record(
                battery=battery,
                kind="received",
                actor=platform_actor(holder),
                custodian_after=holder,
                occurred_at=now - timedelta(days=40 - i),
            )
        except TraceabilityError:
            continue
        packs.append(battery)
    return packs


def _mfr(maker: Organisation) -> str:
    return {"宁德时代": "CAT", "天津力神": "LSH", "蜂巢能源": "SVO"}.get(maker.name_zh[:4], "DMO")


def _date_chars(d: date) -> str:
    years = "0123456789ABCDEFGHJKLMNPRSTVWXY"
    days = "123456789ABCDEFGHJKLMNPRSTVWXY"
    return years[d.year - 2010] + "123456789ABC"[d.month - 1] + days[min(d.day, 30) - 1]


def _trading(world: DemoWorld) -> None:
    """Lots per member service operator: some open with sealed bids, some sold online, some deals offline."""
    rng = world.rng
    buyers = world.of_kind("cascade_use") + world.of_kind("regeneration")
    buyer_users = [u for u in (_operator_user(b) for b in buyers) if u is not None]
    now = timezone.now()
    for seller_id, packs in _tradeable(world).items():
        seller = Organisation.objects.get(pk=seller_id)
        seller_user = _operator_user(seller)
        if seller_user is None or not packs:
            continue
        chunks = [packs[i : i + 2] for i in range(0, len(packs), 2)]
        for n, chunk in enumerate(chunks):
            items = [services.ItemInput(code=b.code, soh=Decimal(rng.randint(55, 84)) / 100) for b in chunk]
            kind = n % 3
            try:
                if kind == 2:
                    _offline(world, seller, seller_user, chunk, items, buyers)
                    continue
                lot = services.lot_create(
                    actor=seller_user,
                    title=f"{seller.name_zh}退役电池包 {len(chunk)} 个",
                    form="pack",
                    location=seller.address or seller.get_region_display(),
                    region=seller.region if seller.region in JJJ_REGIONS else "BJ",
                    reserve_price_cny=Decimal(sum(float(i.soh) * 8000 for i in items)).quantize(Decimal("1")),
                    deadline=now + timedelta(days=rng.randint(3, 14)),
                    sealed=True,
                    items=items,
                )
            except services.AllianceError:
                continue
            guide = sum((i.guide_value_cny or Decimal(0) for i in lot.items.all()), Decimal(0)) or Decimal(
                20000
            )
            for bu in buyer_users:
                try:
                    services.bid_place(
                        actor=bu,
                        lot=lot,
                        amount_cny=(guide * Decimal(rng.uniform(0.8, 1.15))).quantize(Decimal("1")),
                    )
                except services.AllianceError:
                    continue
            if kind == 1:
                _close_and_accept(lot, seller_user)


def _close_and_accept(lot: Lot, seller_user: User) -> None:
    """Demo only: move the deadline to now so the sealed bids open, then accept the best bid at reserve."""
    Lot.objects.filter(pk=lot.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    lot.refresh_from_db()
    best = (
        Bid.objects.filter(lot=lot, status=BidStatus.ACTIVE, amount_cny__gte=lot.reserve_price_cny)
        .order_by("-amount_cny")
        .first()
    )
    if best is None:
        return
    try:
        services.lot_accept(actor=seller_user, lot=lot, bid=best)
    except services.AllianceError:
        return


def _offline(world: DemoWorld, seller, seller_user, chunk, items, buyers) -> None:
    for buyer in buyers:
        latest = max(b.state_changed_at for b in chunk)
        when = min(timezone.now(), latest + timedelta(hours=world.rng.randint(2, 72)))
        try:
            services.deal_record_offline(
                actor=seller_user,
                buyer=buyer,
                price_cny=Decimal(sum(float(i.soh) * world.rng.randint(9000, 16000) for i in items)).quantize(
                    Decimal("1")
                ),
                concluded_at=when,
                items=items,
                form="pack",
                location=seller.get_region_display(),
                region=seller.region if seller.region in JJJ_REGIONS else "BJ",
                title="线下协议转让",
                contract_ref=f"XY-{datetime.combine(when.date(), time()).strftime('%Y%m%d')}-{world.rng.randint(100, 999)}",
            )
            return
        except services.AllianceError:
            continue
