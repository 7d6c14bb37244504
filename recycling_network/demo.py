"""Demo recycling network: published points for every demo automaker (co-built ones too), the regional hub,
mobile stations; intakes of the packs the traceability demo left removed; transfers to the hub and on to the
cascade-use and regeneration enterprises, some still in transit and one missing; a scrapped vehicle.

Deterministic (``world.rng``) and scaled by ``world.scale``. Every write goes through the services.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.actors import platform_actor
from accounts.models import User
from cascade_use.demo import authorisations_ensure
from core.demo import DemoWorld
from regeneration.demo import licences_ensure
from traceability import selectors as trace
from traceability.services import battery_register, claim_record, release_record

from . import scrapping, services
from .geo import wgs84_to_gcj02
from .models import Division, ServicePoint, StockEntry

if TYPE_CHECKING:
    from traceability.models import Battery

# key, operator, kind, district, automakers ("*" = every demo automaker), name_zh, name_en, extra
POINTS: list[tuple] = [
    ("hub", "hub", "hub", "120116", "*", "京津冀动力电池物流仓储集散中心", "JJJ Battery Logistics and Warehouse Hub",
     {"capacity_packs": 5000, "capacity_kg": 1_500_000, "can_test": True, "can_sort": True, "can_pre_dismantle": True,
      "opening_hours": "24 h", "phone_public": True, "contact_phone": "022-66880000"}),
    ("bj-shared", "bj-recycle", "comprehensive", "110105",
     ["baic", "lixiang", "xiaomi", "foton", "tesla", "nio"], "北京朝阳共建共享回收服务网点",
     "Beijing Chaoyang co-built service point", {"can_test": True, "can_sort": True, "phone_public": True,
                                                 "contact_phone": "010-84560000"}),
    ("tj-shared", "tj-recycle", "fixed", "120111", ["faw-tj", "byd", "geely", "tesla"], "天津西青共建共享回收服务网点",
     "Tianjin Xiqing co-built service point", {}),
    ("hb-shared", "hb-recycle", "comprehensive", "130100", ["great-wall", "byd", "geely", "nio", "yutong"],
     "石家庄共建共享回收服务网点", "Shijiazhuang co-built service point", {"can_test": True}),
    ("bj-mobile", "bj-recycle", "mobile", "110112", ["baic", "foton", "xiaomi"], "北京通州移动回收站",
     "Beijing Tongzhou mobile station", {"opening_hours": "周二、周五 9:00-16:00"}),
    ("hb-mobile", "hb-recycle", "mobile", "130200", ["great-wall", "geely"], "唐山移动回收站",
     "Tangshan mobile station", {"opening_hours": "每月第一、三周六 9:00-15:00"}),
    ("baic-own", "bj-4s", "fixed", "110108", ["baic"], "北汽新能源海淀授权回收服务网点", "BAIC BJEV Haidian point", {}),
    ("lixiang-own", "lixiang", "fixed", "110114", ["lixiang"], "理想汽车昌平回收服务网点", "Li Auto Changping point", {}),
    ("xiaomi-own", "xiaomi", "fixed", "110115", ["xiaomi"], "小米汽车亦庄回收服务网点", "Xiaomi EV Yizhuang point", {}),
    ("foton-own", "foton", "fixed", "110111", ["foton"], "福田汽车房山回收服务网点", "Foton Fangshan point", {}),
    ("faw-own", "tj-4s", "fixed", "120110", ["faw-tj"], "一汽丰田天津东丽回收服务网点", "FAW Toyota Dongli point", {}),
    ("gwm-own", "great-wall", "fixed", "130600", ["great-wall"], "长城汽车保定回收服务网点", "Great Wall Baoding point", {}),
    ("byd-own", "hb-4s", "fixed", "131000", ["byd"], "比亚迪廊坊授权回收服务网点", "BYD Langfang point", {}),
    ("tesla-own", "bj-4s", "fixed", "110105", ["tesla"], "特斯拉北京朝阳回收服务网点", "Tesla Beijing Chaoyang point", {}),
    ("geely-own", "tj-4s", "fixed", "120104", ["geely"], "吉利汽车天津南开回收服务网点", "Geely Tianjin Nankai point", {}),
    ("nio-own", "bj-recycle", "fixed", "110113", ["nio"], "蔚来北京顺义回收服务网点", "NIO Beijing Shunyi point", {}),
    ("bj-dismantle-point", "bj-dismantle", "fixed", "110115", ["baic", "foton"], "华星拆解厂回收服务网点",
     "Huaxing dismantler service point", {}),
]  # fmt: skip
# Not yet published: shown in the regulators' review queue.
PENDING = [
    ("yutong-draft", "yutong", "fixed", "130900", ["yutong"], "宇通客车沧州回收服务网点", "Yutong Cangzhou point", "submitted"),
    ("xiaomi-draft", "xiaomi", "mobile", "110116", ["xiaomi"], "小米汽车怀柔移动回收站", "Xiaomi Huairou mobile", "draft"),
]  # fmt: skip


def _user_of(world: DemoWorld, org) -> User:
    for key, candidate in world.orgs.items():
        if candidate.pk == org.pk and key in world.users:
            return world.users[key]
    return User.objects.filter(organisation=org, role__in=["manager", "operator"]).first()


def _regulator(world: DemoWorld, region: str) -> User:
    return world.users[f"{region.lower()}-industry-it"]


def _register(world: DemoWorld, spec: tuple, *, publish: bool, status: str = "published") -> ServicePoint:
    key, operator_key, kind, district, automaker_keys, name_zh, name_en, *rest = spec
    extra = dict(rest[0]) if rest and isinstance(rest[0], dict) else {}
    rng = world.rng
    automakers = (
        world.of_kind("automaker") if automaker_keys == "*" else [world.orgs[k] for k in automaker_keys]
    )
    registrar = automakers[0]
    division = Division.objects.get(code=district)
    lat = division.lat + rng.uniform(-0.04, 0.04)
    lon = division.lon + rng.uniform(-0.04, 0.04)
    system = "wgs84"
    if rng.random() < 0.4:  # some operators copy coordinates from a Chinese web map
        lat, lon = wgs84_to_gcj02(lat, lon)
        system = "gcj02"
    extra.setdefault("opening_hours", "周一至周六 9:00-17:00")
    extra.setdefault("contact_name", "回收专员")
    extra.setdefault("contact_phone", f"1{rng.randint(3, 8)}{rng.randint(100000000, 999999999)}")
    extra.setdefault("capacity_packs", rng.choice([50, 80, 120, 200]))
    extra.setdefault("capacity_kg", extra["capacity_packs"] * 350)
    point = services.service_point_register(
        actor=_user_of(world, registrar),
        name_zh=name_zh,
        name_en=name_en,
        kind=kind,
        district=district,
        address=f"{division.name_zh}示范路{rng.randint(1, 300)}号",
        lat=lat,
        lon=lon,
        coordinate_system=system,
        automakers=automakers,
        operator=world.orgs[operator_key],
        has_isolation_area=kind in ("hub", "comprehensive") or rng.random() < 0.5,
        has_fire_suppression=True,
        fire_rating="一级" if kind == "hub" else "二级",
        storage_area_m2=Decimal(extra["capacity_packs"]) * Decimal("1.5"),
        **extra,
    )
    if status in ("submitted", "published"):
        point = services.service_point_review(point=point, actor=_user_of(world, registrar), action="submit")
    if publish:
        point = services.service_point_review(
            point=point, actor=_regulator(world, point.region), action="publish", note="材料齐全，准予公示"
        )
    return point


def _top_up_packs(world: DemoWorld, need: int) -> list[Battery]:
    """Packs retired elsewhere when the traceability demo left too few removed packs."""
    maker = world.orgs["catl"]
    made = []
    for n in range(need):
        code = f"0A1PB01DEMORNW{'D'}{(n % 9) + 1}{(n % 9) + 1}{800000 + n:07d}"
        existing = trace.battery_by_code(code=code)
        made.append(
            existing
            or battery_register(
                code=code,
                maker=maker,
                actor=platform_actor(maker),
                mass_kg=Decimal(world.rng.randint(250, 520)),
                occurred_at=timezone.now() - timedelta(days=900),
            )
        )
    return made


def seed(world: DemoWorld) -> None:
    rng = world.rng
    now = timezone.now()
    points = {spec[0]: _register(world, spec, publish=True) for spec in POINTS}
    for spec in PENDING:
        _register(world, spec[:7], publish=False, status=spec[7])
    # More own points for larger worlds, spread over the districts.
    districts = list(Division.objects.exclude(level="province").values_list("code", flat=True))
    for i in range(max(0, world.scale - 1) * 3):
        automaker_key = rng.choice([k for k, o in world.orgs.items() if "automaker" in o.kinds])
        spec = (
            f"extra-{i}",
            automaker_key,
            "fixed",
            rng.choice(districts),
            [automaker_key],
            f"{world.orgs[automaker_key].name_zh[:6]}回收服务网点{i + 1}",
            f"Service point {i + 1}",
        )
        _register(world, spec, publish=True)
    world.shared["service_points"] = {k: p.pk for k, p in points.items()}

    # Intake: the packs the traceability demo retired, at points in their region.
    need = 24 * world.scale
    packs = list(trace.packs(states=["removed"]).order_by("id")[:need])
    if len(packs) < need // 2:
        packs += _top_up_packs(world, need - len(packs))
    receiving = [p for k, p in points.items() if k != "hub"]
    by_region: dict[str, list[ServicePoint]] = {}
    for p in receiving:
        by_region.setdefault(p.region, []).append(p)
    sources = ["owner", "owner", "dealer", "dismantler", "fleet_operator"]

    for i, pack in enumerate(packs):
        options = by_region.get(pack.region) or receiving
        point = options[i % len(options)]
        received_at = now - timedelta(days=rng.randint(20, 55), hours=rng.randint(0, 8))
        if i == len(packs) - 1 and pack.custodian_id not in (None, point.operator_id):
            # Left at the point without its holder's release: a claim for the region's regulator to review.
            claim_record(
                battery=pack,
                actor=platform_actor(point.operator),
                found_at=received_at,
                place=point.name_zh,
                place_ref=point.place_ref,
                region=point.region,
                reason="left at the point by a repairer without a hand-over from the holder",
            )
            continue
        if pack.custodian_id not in (None, point.operator_id):
            # The holder (an after-sales outlet, or the maker) releases the pack to the point first.
            release_record(
                battery=pack,
                actor=platform_actor(pack.custodian),
                receiver=point.operator,
                occurred_at=max(received_at - timedelta(hours=2), pack.state_changed_at),
            )
        services.intake_record(
            point=point,
            actor=_user_of(world, point.operator),
            code=pack.code,
            source_kind=rng.choice(sources),
            condition="damaged" if i % 9 == 4 else ("leaking" if i % 17 == 8 else "intact"),
            received_at=max(received_at, pack.state_changed_at),
            mass_kg=pack.mass_kg or Decimal(rng.randint(250, 520)),
        )
    # Two codes nobody registered, taken in anyway and flagged.
    for n, key in enumerate(["bj-shared", "hb-shared"]):
        point = points[key]
        services.intake_record(
            point=point,
            actor=_user_of(world, point.operator),
            code=f"XQZPE03NOLABEL{'C'}{n + 3}{n + 5}{990001 + n:07d}",
            source_kind="owner",
            condition="intact",
            received_at=now - timedelta(days=6 + n),
        )
    _transfers(world, points, now)
    _scrapped_vehicle(world, points, now)


def _transfers(world: DemoWorld, points: dict[str, ServicePoint], now) -> None:
    """Regional points send to the hub; the hub sends on to cascade use and regeneration. Some manifests are
    still on the road; one pack never arrives."""
    rng = world.rng
    hub = points["hub"]
    hub_user = _user_of(world, hub.operator)
    logistics = world.orgs["logistics"]
    plates = ["京A·D3471", "津C·H8820", "冀A·F0912", "京B·77215"]
    on_the_road = next(
        (
            k
            for k in ("gwm-own", "byd-own", "geely-own", "nio-own", "tesla-own")
            if StockEntry.objects.filter(point=points[k]).exists()
        ),
        None,
    )
    for n, key in enumerate(["bj-shared", "tj-shared", "hb-shared", "baic-own", on_the_road]):
        if key is None:
            continue
        point = points[key]
        codes = list(
            StockEntry.objects.filter(point=point).order_by("since").values_list("battery__code", flat=True)
        )
        if not codes:
            continue
        send = codes[: max(1, len(codes) * 2 // 3)]
        latest = (
            StockEntry.objects.filter(point=point, battery__code__in=send).order_by("-since").first().since
        )
        if key == on_the_road:  # left this morning: in transit, not yet overdue
            departed = max(latest, now - timedelta(hours=20))
        else:
            departed = min(latest + timedelta(days=2), now - timedelta(days=4))
        transfer = services.transfer_dispatch(
            actor=_user_of(world, point.operator),
            from_point=point,
            codes=send,
            to_point=hub,
            carrier=logistics,
            carrier_name=logistics.name_zh,
            vehicle_plate=plates[n % len(plates)],
            departed_at=departed,
            expected_arrival_at=departed + timedelta(hours=10),
        )
        if key == on_the_road:
            continue
        arrived = send if key != "hb-shared" or len(send) < 2 else send[:-1]  # one pack never reaches the hub
        services.transfer_receive(
            transfer=transfer, actor=hub_user, codes=arrived, received_at=departed + timedelta(hours=9)
        )
    # Onward from the hub, in batches, to the demo cascade-use and regeneration enterprises.
    destinations = ["cascade-bj", "cascade-hb", "regen-tj", "regen-hb"]

    licences_ensure(world)
    authorisations_ensure(world)
    stock = list(StockEntry.objects.filter(point=hub).order_by("since", "id"))
    batch = max(1, len(stock) // 6)
    for n, key in enumerate(destinations):
        chunk = stock[n * batch : (n + 1) * batch]
        if not chunk:
            break
        departed = max(e.since for e in chunk) + timedelta(hours=rng.randint(2, 8))
        if n == 3:  # the last batch left a few hours ago and is still on the road
            departed = max(departed, now - timedelta(hours=5))
        transfer = services.transfer_dispatch(
            actor=hub_user,
            from_point=hub,
            codes=[e.battery.code for e in chunk],
            receiver=world.orgs[key],
            carrier=logistics,
            carrier_name=logistics.name_zh,
            vehicle_plate=plates[n % len(plates)],
            departed_at=departed,
        )
        if n < 3:  # the last batch is still in transit
            receiver_user = _user_of(world, world.orgs[key])
            services.transfer_receive(
                transfer=transfer, actor=receiver_user, codes=[e.battery.code for e in chunk],
                received_at=min(departed + timedelta(hours=6), now),
            )  # fmt: skip
    # The pack that never reached the hub, and any manifest overdue by the configured time, are reported missing.
    services.transit_missing_flag(now=now)


def _scrapped_vehicle(world: DemoWorld, points: dict[str, ServicePoint], now) -> None:
    """A dismantler scraps a vehicle together with its pack (车电一体报废: the certificate names the pack, whose
    removal is recorded with it; then intake at its own point), and a vehicle scrapped the day before that rule
    whose pack is still recorded in it (the dashboards' scrapped-not-removed alert)."""
    dismantler = world.orgs["bj-dismantle"]
    user = _user_of(world, dismantler)
    in_bj = trace.bindings_current(vehicle_region="BJ")
    first = in_bj.select_related("vehicle", "pack").order_by("id").first()
    if first is not None:
        services.scrap_certificate_record(
            actor=user,
            vin=first.vehicle.vin,
            number="BJ-BF-2026-000117",
            issued_at=now - timedelta(days=9),
            pack_code=first.pack.code,
            removed_at=now - timedelta(days=8),
        )
        services.intake_record(
            point=points["bj-dismantle-point"],
            actor=user,
            code=first.pack.code,
            source_kind="dismantler",
            source_org=dismantler,
            condition="intact",
            received_at=now - timedelta(days=7),
        )
    together = scrapping.rules().starts[scrapping.TOGETHER]
    day_before = timezone.make_aware(datetime.combine(together - timedelta(days=1), time(15)))
    if day_before >= now:
        return
    earlier = in_bj.filter(bound_at__lt=day_before).select_related("vehicle").order_by("id").first()
    if earlier is not None:
        services.scrap_certificate_record(
            actor=user, vin=earlier.vehicle.vin, number="BJ-BF-2026-000098", issued_at=day_before
        )
