"""Demo data for regeneration: licences of ``regen-tj`` and ``regen-hb`` and a year of two-stage batches with
realistic masses and recovery rates (some short of the 2024 thresholds, a few with unexplained mass).

Packs come from the database (retired: ``removed`` or ``at_service_point``, then a cascade-use enterprise's
failed item); when too few are there, a few are registered here. Everything moves through the services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.actors import platform_actor
from cascade_use.selectors import outstanding_waste
from cascade_use.services import waste_handover
from core.demo import DemoWorld
from traceability import selectors as trace
from traceability.codes import compose
from traceability.lifecycle import EventKind
from traceability.services import battery_disassemble, battery_register, release_record

from . import services
from .models import Licence, ThresholdEdition

if TYPE_CHECKING:
    from traceability.models import Battery

ENTERPRISES = {
    "regen-tj": ("TJ-HW-120000-0421", "天津市生态环境局", 5000),
    "regen-hb": ("HB-HW-130000-1187", "河北省生态环境厅", 3000),
}
MAKER_CODES = {"catl": "0A1", "calb": "03H", "tjlishen": "04A", "svolt": "05C", "byd": "02X"}
PACKS_PER_BATCH = 2
Q = Decimal("0.01")


def _at(moment):
    return min(moment, timezone.now() - timedelta(seconds=5))


def _packs(world: DemoWorld, need: int) -> list[Battery]:
    packs = list(
        trace.packs(states=["removed", "at_service_point"])
        .filter(custodian__isnull=False)
        .exclude(custodian__kinds__contains=["cascade_use"])
        .order_by("-id")[:need]
    )
    now = timezone.now()
    makers = [k for k in MAKER_CODES if k in world.orgs]
    for i in range(need - len(packs)):
        key = makers[i % len(makers)]
        code = compose(
            manufacturer=MAKER_CODES[key],
            product_type="P",
            battery_type="E" if i % 3 else "B",
            spec="08",
            trace="RG26DEM",
            produced=date(2017, 1 + i % 12, 1 + i % 28),
            serial=8_000_001 + i,
        )
        if trace.battery_code_taken(code=code):
            continue
        packs.append(
            battery_register(
                code=code,
                maker=world.orgs[key],
                actor=platform_actor(world.orgs[key]),
                mass_kg=Decimal(world.rng.randint(280, 520)),
                rated_capacity_ah=Decimal(150),
                occurred_at=now - timedelta(days=3000),
            )  # fmt: skip
        )
    return packs


def licences_ensure(world: DemoWorld) -> None:
    """Register the demo regeneration enterprises' licences once. The recycling network's demo calls this too:
    its hub hands packs over to them, which the licence check refuses without a licence on file."""
    today = timezone.localdate()
    for key, (number, authority, scale) in ENTERPRISES.items():
        if key not in world.orgs or Licence.objects.filter(number=number).exists():
            continue
        services.licence_register(
            enterprise=world.orgs[key], number=number, issuing_authority=authority, annual_scale_t=Decimal(scale),
            categories=["LIB-TERNARY", "LIB-LFP"] + (["LIB-OTHER"] if key == "regen-tj" else []),
            valid_from=today - timedelta(days=900), valid_to=today + timedelta(days=900),
            actor=platform_actor(world.orgs[key]),
        )  # fmt: skip


def seed(world: DemoWorld) -> None:
    rng, now = world.rng, timezone.now().replace(microsecond=0)
    orgs = {k: world.orgs[k] for k in ENTERPRISES if k in world.orgs}
    if not orgs:
        return
    licences_ensure(world)
    editions = {e.code: e for e in ThresholdEdition.objects.all()}
    months = 12
    pool = _packs(world, months * len(orgs) * PACKS_PER_BATCH * world.scale)
    for e_index, (key, org) in enumerate(orgs.items()):
        user = world.users.get(key) or platform_actor(org)
        for m in range(months * world.scale):
            batch_packs = [pool.pop() for _ in range(PACKS_PER_BATCH) if pool]
            if not batch_packs:
                break
            start = now - timedelta(days=365 - 30 * (m % months) - e_index * 3)
            start = _at(max([start] + [p.state_changed_at + timedelta(hours=2) for p in batch_packs]))
            for p in batch_packs:
                # The holder releases the pack to the enterprise, whose booking-in confirms it (two-party custody).
                release_record(
                    battery=p,
                    actor=platform_actor(p.custodian or org),
                    receiver=org,
                    kind=EventKind.HANDED_OVER,
                    occurred_at=start - timedelta(hours=1)
                    if start - timedelta(hours=1) > p.state_changed_at
                    else start,
                )
                p.refresh_from_db()
                # Packs that arrived without a registered mass (unregistered codes) are weighed at the gate.
                services.pack_receive(battery=p, occurred_at=start, actor=user,
                                      mass_kg=p.mass_kg or Decimal(300))  # fmt: skip
            edition = editions["2024"] if m % 4 else editions["2019"]
            input_kg = sum((p.mass_kg or Decimal(300) for p in batch_packs), Decimal(0))
            batch = services.batch_create(
                reference=f"{key.upper()}-{start:%Y%m}-{m + 1:02d}", batteries=batch_packs,
                started_at=start, edition=edition, powder_content_kg=(input_kg * Decimal("0.35")).quantize(Q),
                actor=user,
            )  # fmt: skip
            _stage1(batch, input_kg, rng, _at(start + timedelta(days=1)), lossy=(m % 5 == 3), user=user)
            _stage2(batch, batch_packs, rng, _at(start + timedelta(days=3)), user=user)
    _hand_over_cascade_waste(world, orgs)
    _disassemble_a_pack(world, orgs)


def _disassemble_a_pack(world: DemoWorld, orgs: dict) -> None:
    """A retired pack with modules is handed to ``regen-tj``, booked in and taken apart: its modules go on under
    their own codes, with the pack's history in their trace by reference (R-LIFE)."""
    regen = orgs.get("regen-tj")
    if regen is None or trace.battery_in_state_exists(state="disassembled"):
        return
    pack = (
        trace.packs(states=["removed", "at_service_point"])
        .filter(custodian__isnull=False, children__isnull=False)
        .exclude(custodian__kinds__contains=["cascade_use"])
        .distinct()
        .order_by("id")
        .first()
    )  # fmt: skip
    if pack is None and "catl" in world.orgs:
        # No retired pack with its parts registered: a factory reject of CATL's, never sold, goes for regeneration.
        maker, made = world.orgs["catl"], timezone.now() - timedelta(days=400)
        parts = {"P": 1, "M": 2}
        codes_ = {lvl: [compose(manufacturer="0A1", product_type=lvl, battery_type="B", spec="08", trace="RG26DIS",
                                produced=made.date(), serial=8_900_001 + i) for i in range(n)]
                  for lvl, n in parts.items()}  # fmt: skip
        pack = battery_register(code=codes_["P"][0], maker=maker, actor=platform_actor(maker), mass_kg=Decimal(320),
                                rated_capacity_ah=Decimal(150), occurred_at=made)  # fmt: skip
        for code in codes_["M"]:
            battery_register(
                code=code, maker=maker, actor=platform_actor(maker), parent=pack, occurred_at=made
            )
    if pack is None:
        return
    when = _at(max(timezone.now() - timedelta(days=20), pack.state_changed_at + timedelta(hours=2)))
    release_record(
        battery=pack,
        actor=platform_actor(pack.custodian),
        receiver=regen,
        kind=EventKind.HANDED_OVER,
        occurred_at=when,
    )
    pack.refresh_from_db()
    services.pack_receive(
        battery=pack,
        occurred_at=_at(when + timedelta(hours=1)),
        mass_kg=pack.mass_kg or Decimal(300),
        actor=world.users.get("regen-tj") or platform_actor(regen),
    )
    battery_disassemble(actor=world.users.get("regen-tj") or platform_actor(regen), code=pack.code,
                        occurred_at=_at(when + timedelta(days=2)), place="天津 拆解车间")  # fmt: skip


def _stage1(batch, input_kg, rng, when, *, lossy: bool, user) -> None:
    shares = {"black_mass": 0.35, "casing": 0.25, "copper_foil": 0.08, "aluminium_foil": 0.05, "electrolyte": 0.12,
              "plastics": 0.08, "residue": 0.065 - (0.03 if lossy else 0.0)}  # fmt: skip
    outputs = []
    for kind, share in shares.items():
        row = {
            "kind": kind,
            "mass_kg": (input_kg * Decimal(str(share * rng.uniform(0.995, 1.0)))).quantize(Q),
        }
        if kind == "black_mass":
            row |= {"cu_impurity_pct": Decimal(str(round(rng.uniform(0.6, 1.6), 2))),
                    "al_impurity_pct": Decimal(str(round(rng.uniform(0.5, 1.3), 2)))}  # fmt: skip
        outputs.append(row)
    services.batch_stage1_record(batch=batch, outputs=outputs, finished_at=when, actor=user)


def _stage2(batch, packs, rng, when, *, user) -> None:
    outs = {o.kind: o.mass_kg for o in batch.outputs.all()}
    black = outs.get("black_mass", Decimal(0))
    ternary = any(p.chemistry == "E" for p in packs)
    lines = [("Li", "wet", Decimal("0.022" if ternary else "0.014"), rng.uniform(0.885, 0.97), "Li2CO3")]
    if ternary:
        route = "repair" if rng.random() < 0.2 else "wet"
        lines += [("Ni", route, Decimal("0.18"), rng.uniform(0.981, 0.997), "NiSO4"),
                  ("Co", route, Decimal("0.06"), rng.uniform(0.981, 0.997), "CoSO4"),
                  ("Mn", route, Decimal("0.05"), rng.uniform(0.98, 0.996), "MnSO4")]  # fmt: skip
    recoveries = [
        {"element": e, "route": r, "feed_kg": (black * share).quantize(Q),
         "recovered_kg": (black * share * Decimal(str(rate))).quantize(Q), "product_form": form}
        for e, r, share, rate, form in lines
    ]  # fmt: skip
    for element, kind in (("Cu", "copper_foil"), ("Al", "aluminium_foil")):
        feed = (outs.get(kind, Decimal(0)) * Decimal("0.97")).quantize(Q)
        recoveries.append(
            {
                "element": element,
                "route": "fire",
                "feed_kg": feed,
                "recovered_kg": (feed * Decimal(str(rng.uniform(0.972, 0.995)))).quantize(Q),
                "product_form": "",
            }
        )
    services.batch_stage2_record(batch=batch, recoveries=recoveries, finished_at=when,
                                 energy_kgce_per_t=Decimal(rng.randint(1600, 2250)),
                                 water_recycled_pct=Decimal(rng.randint(89, 97)), actor=user)  # fmt: skip


def _hand_over_cascade_waste(world: DemoWorld, orgs: dict) -> None:
    """One failed item of each cascade-use enterprise goes to ``regen-tj`` and is booked in there."""
    regen = orgs.get("regen-tj")
    for key in ("cascade-bj", "cascade-hb"):
        enterprise = world.orgs.get(key)
        if regen is None or enterprise is None:
            continue
        failed = [w for w in outstanding_waste(enterprise) if w.reason == "assessment_failed"]
        if not failed:
            continue
        battery = failed[-1].battery
        when = _at(battery.state_changed_at + timedelta(days=2))
        waste_handover(
            battery=battery,
            to=regen,
            occurred_at=when,
            actor=world.users.get(key) or platform_actor(enterprise),
        )
        battery.refresh_from_db()
        services.pack_receive(
            battery=battery,
            occurred_at=_at(when + timedelta(hours=3)),
            actor=platform_actor(regen),
        )
