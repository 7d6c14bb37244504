"""Demo data for cascade use: authorisations from the demo battery makers to ``cascade-bj`` and ``cascade-hb``,
retired packs received, assessed (some failed), and at least one repurposed product per scenario family.

Packs come from the database (retired: ``removed`` or ``at_service_point``); when earlier apps left too few,
a few are registered here. Everything moves through the traceability services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.actors import platform_actor
from core.demo import DemoWorld
from traceability import selectors as trace
from traceability.codes import compose
from traceability.lifecycle import EventKind
from traceability.services import battery_register, receipt_confirm, release_record

from . import services
from .models import Authorisation, Scenario

if TYPE_CHECKING:
    from traceability.models import Battery

MAKERS = ["catl", "calb", "tjlishen", "svolt", "byd"]
MAKER_CODES = {"catl": "0A1", "calb": "03H", "tjlishen": "04A", "svolt": "05C", "byd": "02X"}
ENTERPRISES = ["cascade-bj", "cascade-hb"]
SITES = {
    "telecom_backup": ("48 V 通信基站备电电池组", "海淀区中关村通信基站 17 号", "BJ", "中国铁塔北京分公司"),
    "grid_storage": ("100 kWh 储能柜", "廊坊经济技术开发区储能站", "HB", "国网冀北电力"),
    "mobile_charging": ("移动充电车电池舱", "朝阳区望京移动充电服务点", "BJ", "京能移动能源"),
    "home_storage": ("10 kWh 家庭储能", "保定市竞秀区住宅", "HB", "河北梯能运维中心"),
    "low_speed_vehicle": ("低速物流车电池包", "唐山港区物流园", "HB", "唐山港物流"),
    "street_light": ("太阳能路灯储能单元", "延庆区世园路路灯 203 号", "BJ", "北京市城市照明管理中心"),
}
# SOH per scenario, inside each scenario's band (domain.md §6)
SOH = {"telecom_backup": 76, "grid_storage": 74, "mobile_charging": 66, "home_storage": 64, "low_speed_vehicle": 62,
       "street_light": 55}  # fmt: skip


def _retired_packs(world: DemoWorld, maker, need: int, start_serial: int) -> list[Battery]:
    packs = list(
        trace.packs(states=["removed", "at_service_point"]).filter(maker=maker).order_by("id")[:need]
    )
    now = timezone.now()
    for i in range(need - len(packs)):
        chemistry = "B" if world.rng.random() < 0.4 else "E"
        code = compose(manufacturer=MAKER_CODES[_key(world, maker)], product_type="P",
                       battery_type=chemistry, spec="12", trace="CU26DEM", produced=date(2018, 3 + i % 9, 1 + i % 27),
                       serial=start_serial + i)  # fmt: skip
        if trace.battery_code_taken(code=code):
            continue
        battery = battery_register(
            code=code,
            maker=maker,
            actor=platform_actor(maker),
            rated_capacity_ah=Decimal(150 + 10 * world.rng.randint(0, 6)),
            rated_energy_kwh=Decimal("52.5"),
            mass_kg=Decimal(world.rng.randint(320, 480)),
            occurred_at=now - timedelta(days=2600),
        )
        packs.append(battery)
    return packs


def _at(moment):
    """Never in the future: packs handed over minutes ago get their next step now."""
    return min(moment, timezone.now() - timedelta(seconds=5))


def _key(world: DemoWorld, org) -> str:
    return next(k for k, v in world.orgs.items() if v.pk == org.pk)


def authorisations_ensure(world: DemoWorld) -> None:
    """Every demo maker authorises every demo cascade-use enterprise (once): receipts for a second life need it."""
    rng, today = world.rng, timezone.localdate()
    makers = [world.orgs[k] for k in MAKERS if k in world.orgs]
    enterprises = [world.orgs[k] for k in ENTERPRISES if k in world.orgs]
    for maker in makers:
        for enterprise in enterprises:
            if Authorisation.objects.filter(
                battery_maker=maker, enterprise=enterprise, revoked_at=None
            ).exists():
                continue
            services.authorisation_grant(
                battery_maker=maker,
                enterprise=enterprise,
                valid_from=today - timedelta(days=500),
                valid_to=today + timedelta(days=rng.randint(200, 900)),
                document_ref=f"{_key(world, maker).upper()}-TC-{enterprise.region}-{today.year - 1}-{rng.randint(100, 999)}",
                chemistries=[],
                product_types=["P", "M"],
                actor=world.users.get(_key(world, maker)) or platform_actor(maker),
            )


def seed(world: DemoWorld) -> None:
    rng, now = world.rng, timezone.now().replace(microsecond=0)
    today = timezone.localdate()
    makers = [world.orgs[k] for k in MAKERS if k in world.orgs]
    enterprises = [world.orgs[k] for k in ENTERPRISES if k in world.orgs]
    if not makers or not enterprises:
        return
    authorisations_ensure(world)
    # an expired and a revoked one, so the refusals show on the page
    expired = services.authorisation_grant(
        battery_maker=makers[0], enterprise=enterprises[-1], valid_from=today - timedelta(days=1200),
        valid_to=today - timedelta(days=400), document_ref="CATL-TC-HB-2022-OLD", actor=platform_actor(makers[0]),
    )  # fmt: skip
    revoked = services.authorisation_grant(
        battery_maker=makers[-1], enterprise=enterprises[0], valid_from=today - timedelta(days=100),
        valid_to=today + timedelta(days=300), document_ref="BYD-TS-BJ-PILOT",
        kind="technical_support", actor=platform_actor(makers[-1]),
    )  # fmt: skip
    services.authorisation_revoke(
        authorisation=revoked, actor=platform_actor(makers[-1]), reason="pilot agreement replaced"
    )
    del expired

    scenarios = list(Scenario.objects.filter(is_active=True))
    per_enterprise = 6 * world.scale
    serial = 9_000_001
    for e_index, enterprise in enumerate(enterprises):
        user = world.users.get(ENTERPRISES[e_index]) or platform_actor(enterprise)
        packs: list[Battery] = []
        for maker in makers:
            packs += _retired_packs(world, maker, per_enterprise // len(makers) + 2, serial)
            serial += 1000
        rng.shuffle(packs)
        received_at = now - timedelta(days=60)
        for pack in packs:
            when = _at(max(received_at, pack.state_changed_at + timedelta(hours=1)))
            release_record(
                battery=pack, actor=platform_actor(pack.custodian), receiver=enterprise, occurred_at=when
            )
            receipt_confirm(battery=pack, actor=user, occurred_at=when,
                            kind=EventKind.CASCADE_RECEIVED)  # fmt: skip
            pack.refresh_from_db()
        # each enterprise builds products for half of the scenario families (together: every family)
        mine = [s for i, s in enumerate(scenarios) if i % 2 == e_index] * world.scale
        queue = list(packs)
        for scenario in mine:
            sources = [queue.pop() for _ in range(min(len(queue), rng.choice([1, 2])))]
            if not sources:
                break
            for pack in sources:
                _assess(
                    pack,
                    enterprise,
                    user,
                    now - timedelta(days=40),
                    SOH[scenario.key] + rng.uniform(-1.5, 1.5),
                )
            pack_times = [p.state_changed_at for p in trace.batteries_with_ids(ids=[p.pk for p in sources])]
            commissioned = _at(
                max(now - timedelta(days=30 - rng.randint(0, 20)), max(pack_times) + timedelta(hours=1))
            )
            name, site, region, operator = SITES.get(
                scenario.key, (scenario.name_zh, "", enterprise.region, "")
            )
            product = services.product_create(
                sources=sources, scenario=scenario, name=name, site=site,
                site_region=region, operator=operator, commissioned_at=commissioned,
                level="P", rated_energy_kwh=Decimal("10") * len(sources), actor=user,
            )  # fmt: skip
            if scenario.key == "street_light" and world.scale >= 1:
                services.product_retire(
                    product=product,
                    occurred_at=_at(max(now - timedelta(days=3), commissioned + timedelta(hours=2))),
                    actor=platform_actor(enterprise),
                    reason="capacity below 50%",
                )
        # what is left: two failed items (waste with a deadline), one passed (to repurpose), the rest to assess
        for i, pack in enumerate(queue):
            if i < 2:
                _assess(pack, enterprise, user, now - timedelta(days=20 + 40 * i), 45, fail=True)
            elif i == 2:
                _assess(pack, enterprise, user, now - timedelta(days=5), 78)


def _assess(pack, enterprise, user, when, soh, fail: bool = False):
    rated = pack.rated_capacity_ah or Decimal(150)
    services.assessment_record(
        battery=pack,
        assessed_at=_at(max(when, pack.state_changed_at + timedelta(minutes=30))),
        assessor_name="张工" if enterprise.region == "BJ" else "李工",
        visual_ok=not fail,
        visual_notes="外壳鼓包" if fail else "",
        voltage_v=Decimal("352.4"),
        voltage_spread_mv=Decimal(180 if fail else 22),
        voltage_consistency_ok=not fail,
        test_current_a=Decimal("50"),
        remaining_capacity_ah=(rated * Decimal(str(round(soh, 2))) / 100).quantize(Decimal("0.01")),
        soh_pct=Decimal(str(round(soh, 2))),
        insulation_mohm=Decimal("420"),
        insulation_ok=True,
        internal_resistance_mohm=Decimal("2.4" if fail else "1.6"),
        verdict="fail" if fail else ("pass_limited" if soh < 60 else "pass"),
        limits="≤ 0.3C, ≤ 35 °C" if (not fail and soh < 60) else "",
        actor=user,
    )
