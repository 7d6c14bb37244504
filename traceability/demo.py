"""Demo data: vehicles of every demo automaker across Beijing, Tianjin and Hebei (sold 2016-2025), their packs
from the demo battery makers (some with modules and cells), retirements, maintenance replacements and late reports.

About 3,000 vehicles at scale 1; ``--scale N`` multiplies. Everything goes through the bulk services, so large
scales stay feasible.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.actors import platform_actor
from core.demo import DemoWorld

from . import codes, services
from .models import Battery, LifecycleEvent, Vehicle
from .vin import with_check_digit

VEHICLES_PER_SCALE = 3000
CHUNK = 5000
MAKERS = {"catl": "0A1", "byd": "02X", "calb": "03H", "tjlishen": "04A", "svolt": "05C"}
WMI = {
    "baic": "LNB", "lixiang": "LW4", "xiaomi": "LXM", "foton": "LVB", "faw-tj": "LFM", "great-wall": "LGW",
    "byd": "LGX", "tesla": "LRW", "geely": "L6T", "nio": "LJ1", "yutong": "LZY",
}  # fmt: skip
MODELS = {
    "baic": ["EU5", "EX3"], "lixiang": ["L7", "L9"], "xiaomi": ["SU7"], "foton": ["BJ5046 logistics van", "BJ6123 bus"],
    "faw-tj": ["bZ3"], "great-wall": ["ORA Good Cat"], "byd": ["Qin PLUS", "Han", "e6 taxi"],
    "tesla": ["Model 3", "Model Y"], "geely": ["Geometry A"], "nio": ["ET5", "ES6"], "yutong": ["ZK6126 bus"],
}  # fmt: skip
USES = {
    "foton": ["logistics", "bus"],
    "yutong": ["bus"],
    "byd": ["private", "taxi"],
    "baic": ["private", "taxi"],
}
REGIONS = ["BJ", "BJ", "TJ", "HB", "HB"]
# Packs leave vehicles through the automakers' after-sales outlets (a dismantler needs a scrap certificate, see
# the recycling-network demo).
OUTLETS = {"BJ": "bj-4s", "TJ": "tj-4s", "HB": "hb-4s"}
RETIRERS = {region: [key] for region, key in OUTLETS.items()}


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def seed(world: DemoWorld) -> None:
    rng = world.rng
    today = timezone.localdate()
    automakers = [k for k in WMI if k in world.orgs]
    makers = [k for k in MAKERS if k in world.orgs]
    if not automakers or not makers:
        return
    n = VEHICLES_PER_SCALE * world.scale
    serial = dict.fromkeys(makers, 0)

    def next_code(maker: str, level: str, produced: date, chem: str, spec: str) -> str:
        serial[maker] += 1
        return codes.compose(
            manufacturer=MAKERS[maker],
            product_type=level,
            battery_type=chem,
            spec=spec,
            trace=f"JJ{spec}{level}{chem}D",
            produced=produced,
            serial=serial[maker],
        )

    # Every demo automaker names the regional 4S outlets as its after-sales outlets (第十条).
    for key in OUTLETS.values():
        if key in world.orgs:
            for automaker in automakers:
                services.outlet_authorise(automaker=world.orgs[automaker], outlet=world.orgs[key])

    # Plan vehicles and their packs.
    plans: list[dict[str, Any]] = []
    for i in range(n):
        automaker = automakers[i % len(automakers)]
        maker = "byd" if automaker == "byd" and "byd" in makers else rng.choice(makers)
        sold = date(2016, 1, 1) + timedelta(days=rng.randrange((date(2025, 12, 31) - date(2016, 1, 1)).days))
        sold = min(sold, today - timedelta(days=2))
        produced = sold - timedelta(days=rng.randint(20, 150))
        chem = "B" if maker in ("byd", "calb") or rng.random() < 0.4 else "E"
        spec = f"{rng.randint(10, 60)}"
        plans.append(
            {
                "automaker": automaker,
                "maker": maker,
                "sold": sold,
                "produced": produced,
                "code": next_code(maker, "P", produced, chem, spec),
                "chem": chem,
                "spec": spec,
                "vin": with_check_digit(
                    f"{WMI[automaker]}{rng.randint(10000, 99999)}0{'GHJKLMNPRS'[sold.year - 2016]}"
                    f"{i % 10}{i // 10 % 1000000:06d}"
                ),  # fmt: skip
                "region": rng.choice(REGIONS),
                "use": rng.choice(USES.get(automaker, ["private", "private", "taxi"])),
                "model": rng.choice(MODELS[automaker]),
                "late": rng.random() < 0.06,
            }
        )

    # 1. Battery makers register the packs (sold to the automaker); the first packs carry modules and cells.
    by_maker: dict[str, list] = {}
    for k, plan in enumerate(plans):
        customer = world.orgs[plan["automaker"]]
        report = plan["produced"] + timedelta(
            days=rng.randint(1, 10) if not plan["late"] else rng.randint(40, 90)
        )
        energy = Decimal(rng.choice([42, 52, 60, 75, 90, 120, 250 if plan["use"] == "bus" else 60]))
        specs = [
            services.BatterySpec(
                code=plan["code"], custodian=customer, occurred_at=_at(plan["produced"]),
                reported_at=_at(min(report, today)), rated_energy_kwh=energy,
                rated_capacity_ah=(energy * 1000 / Decimal(350)).quantize(Decimal("0.01")),
                mass_kg=(energy * Decimal("6.5")).quantize(Decimal("0.01")),
            )
        ]  # fmt: skip
        if k < 60 * world.scale:
            for _ in range(2):
                module = next_code(plan["maker"], "M", plan["produced"], plan["chem"], plan["spec"])
                specs.append(services.BatterySpec(code=module, parent_code=plan["code"], custodian=customer,
                                                  occurred_at=_at(plan["produced"])))  # fmt: skip
                for _ in range(3):
                    cell = next_code(plan["maker"], "C", plan["produced"], plan["chem"], plan["spec"])
                    specs.append(services.BatterySpec(code=cell, parent_code=module, custodian=customer,
                                                      occurred_at=_at(plan["produced"])))  # fmt: skip
        by_maker.setdefault(plan["maker"], []).append(specs)
    for maker, groups in by_maker.items():
        org = world.orgs[maker]
        chunk: list = []
        for group in groups:  # a pack and its parts stay in one call: parents precede children
            chunk.extend(group)
            if len(chunk) >= CHUNK:
                services.batteries_register_bulk(specs=chunk, maker=org, actor=platform_actor(org))
                chunk = []
        if chunk:
            services.batteries_register_bulk(specs=chunk, maker=org, actor=platform_actor(org))

    # 2. Automakers upload the vehicle-battery pairs (some late).
    by_automaker: dict[str, list] = {}
    for plan in plans:
        by_automaker.setdefault(plan["automaker"], []).append(plan)
    for automaker, group in by_automaker.items():
        org = world.orgs[automaker]
        for start in range(0, len(group), CHUNK):
            chunk = group[start : start + CHUNK]
            items = [
                {
                    "vin": p["vin"],
                    "pack_code": p["code"],
                    "sold_at": p["sold"].isoformat(),
                    "model_name": p["model"],
                    "use": p["use"],
                    "region": p["region"],
                }
                for p in chunk
            ]
            delays = {
                i: _at(min(p["sold"] + timedelta(days=rng.randint(50, 120) if p["late"] else rng.randint(1, 12)),
                           today))
                for i, p in enumerate(chunk)
            }  # fmt: skip
            services.bindings_upload(items=items, actor=platform_actor(org), reported_at_by_index=delays)

    # 3. Maintenance replacements: a spare pack from the same maker replaces the original.
    outlets = OUTLETS
    swaps = [p for p in plans if p["sold"].year <= 2022 and rng.random() < 0.03]
    for plan in swaps:
        swap_day = plan["sold"] + timedelta(days=rng.randint(300, 900))
        if swap_day >= today or outlets.get(plan["region"]) not in world.orgs:
            continue
        maker = world.orgs[plan["maker"]]
        spare_code = next_code(plan["maker"], "P", swap_day - timedelta(days=60), plan["chem"], plan["spec"])
        spare = services.battery_register(code=spare_code, maker=maker, actor=platform_actor(maker),
                                          custodian=world.orgs[plan["automaker"]],
                                          occurred_at=_at(swap_day - timedelta(days=60)))  # fmt: skip
        services.replacement_record(
            vehicle=Vehicle.objects.get(vin=plan["vin"]),
            pack_out=Battery.objects.get(code=plan["code"]),
            pack_in=spare,
            actor=platform_actor(world.orgs[outlets[plan["region"]]]),
            occurred_at=_at(swap_day),
            place=f"{plan['region']} after-sales workshop",
            reported_at=_at(min(swap_day + timedelta(days=rng.randint(2, 20)), today)),
        )
        plan["swapped"] = True

    # 4. About 15% of packs retire: removed into the custody of an outlet, a fleet operator or a dismantler.
    retiring = [p for p in plans if not p.get("swapped") and p["sold"].year <= 2021 and rng.random() < 0.25]
    packs = {b.code: b for b in Battery.objects.filter(code__in=[p["code"] for p in retiring])}
    specs_by_actor: dict[str, list] = {}
    for plan in retiring:
        day = min(plan["sold"] + timedelta(days=rng.randint(4 * 365, 8 * 365)), today - timedelta(days=1))
        candidates = [k for k in RETIRERS.get(plan["region"], []) if k in world.orgs]
        if not candidates or plan["code"] not in packs:
            continue
        holder = rng.choice(candidates)
        late = rng.random() < 0.1
        specs_by_actor.setdefault(holder, []).append(
            services.EventSpec(
                battery=packs[plan["code"]],
                kind="removed",
                occurred_at=_at(day),
                custodian_after=world.orgs[holder],
                region=plan["region"],
                payload={"reason": "retired", "vin": plan["vin"]},
                reported_at=_at(min(day + timedelta(days=rng.randint(40, 80) if late else rng.randint(1, 10)),
                                    today)),
            )
        )  # fmt: skip
    for holder, event_specs in specs_by_actor.items():
        for start in range(0, len(event_specs), CHUNK):
            services.events_record_bulk(
                specs=event_specs[start : start + CHUNK], actor=platform_actor(world.orgs[holder])
            )
    _correction(world)
    _pending_correction()


def _pending_correction() -> None:
    """A removal its outlet declares did not happen (EPCIS 2.0 errorDeclaration ``did_not_occur``: the work order
    was cancelled): undoing it would hand the pack back to the automaker and its vehicle, so the declaration waits
    in the review queue of the region's regulator and nothing moves until it is decided."""
    removals = (
        LifecycleEvent.objects.filter(kind="removed", battery__level="P", battery__error_declarations=None)
        .exclude(actor=None)
        .order_by("-id")
    )
    for removal in removals[:50]:
        if removal.actor is None or removal.custodian_before_id == removal.custodian_after_id:
            continue  # its undoing would move no custody, and so would not wait for review
        try:
            services.error_declare(
                actor=platform_actor(removal.actor),
                event_id=removal.pk,
                reason="did_not_occur",
                note="维修工单已取消，电池包未拆下 (the work order was cancelled; the pack was never removed)",
            )
        except services.TraceabilityError:
            continue  # e.g. not the latest event that moved its pack
        return


def _correction(world: DemoWorld) -> None:
    """One removal keyed with the wrong day is declared erroneous by the outlet that recorded it and corrected
    (EPCIS 2.0 errorDeclaration): the trace keeps both, the corrected removal replaces it in the counts."""
    wrong = (
        LifecycleEvent.objects.filter(kind="removed", battery__state="removed", battery__level="P")
        .exclude(actor=None)
        .select_related("actor", "battery")
        .order_by("id")
        .first()
    )
    if wrong is None:
        return
    right_day = timezone.localtime(wrong.occurred_at) - timedelta(days=3)
    services.error_declare(
        actor=platform_actor(wrong.actor),  # type: ignore[arg-type]  # events without an actor are excluded above
        event_id=wrong.pk,
        reason="incorrect_data",
        note="拆卸日期录入错误，按维修工单更正 (removal day keyed wrongly; corrected from the work order)",
        corrective=[
            {"kind": "removed", "occurred_at": right_day.isoformat(), "payload": dict(wrong.payload)}
        ],
    )
