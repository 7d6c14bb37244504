"""A small, fully known battery world for the dashboard tests, written through ``event_record``: custody moves
with two parties (the holder releases, the receiver confirms), a dismantler removes packs under a scrap
certificate, the cascade-use enterprise holds the makers' authorisations and the regenerator a licence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.actors import platform_actor
from accounts.models import Organisation
from cascade_use.services import authorisation_grant
from dashboards.services import materialised_views_refresh
from recycling_network.models import ScrapCertificate
from regeneration.services import licence_register
from tests.factories import OrganisationFactory, RegulatorFactory, UserFactory
from traceability import deadlines
from traceability.models import Battery, Binding, Vehicle
from traceability.services import event_record

LATE_AFTER = timedelta(days=15)


def _evaluate(*, kind, actor_kinds, occurred_at, reported_at):
    """Stand-in deadline rule for the tests: 15 days from the event."""
    deadline = (occurred_at + LATE_AFTER).date()
    return deadline, reported_at <= occurred_at + LATE_AFTER


@dataclass
class World:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    packs: list[Battery] = field(default_factory=list)
    paths: dict[int, str] = field(default_factory=dict)  # battery id -> path name
    vehicles: list[Vehicle] = field(default_factory=list)


PATHS = ["in_vehicle", "stored_long", "to_cascade", "to_regeneration", "left_jjj", "lost_in_transit"]
REGIONS = ["BJ", "TJ", "HB"]


RECEIPTS = {"received", "cascade_received", "regeneration_received"}


def _entitle(o) -> None:

    for maker in ("maker_a", "maker_b"):
        authorisation_grant(
            battery_maker=o[maker],
            enterprise=o["cascade"],
            valid_from=date(2015, 1, 1),
            valid_to=date(2040, 1, 1),
            document_ref=f"AUTH-{maker}",
            actor=platform_actor(o[maker]),
        )
    licence_register(
        enterprise=o["regen"],
        number="HW-DASH-1",
        issuing_authority="TJ EEB",
        categories=["LIB-TERNARY", "LIB-LFP"],
        annual_scale_t=Decimal(1000),
        valid_from=date(2015, 1, 1),
        valid_to=date(2040, 1, 1),
        actor=platform_actor(o["regen"]),
    )


def _certify(dismantler, vehicle, at) -> None:
    ScrapCertificate.objects.get_or_create(
        vehicle=vehicle,
        defaults={"number": f"BF-{vehicle.vin}", "dismantler": dismantler, "vin": vehicle.vin, "issued_at": at,
                  "region": dismantler.region, "recorded_by": UserFactory(organisation=dismantler)},
    )  # fmt: skip


def build_world(monkeypatch, n: int = 18) -> World:
    # Event writes read the cached evaluation; both are replaced so that every path sees the stand-in rule.
    monkeypatch.setattr(deadlines, "evaluate", _evaluate)
    monkeypatch.setattr(deadlines, "evaluate_cached", _evaluate)
    w = World()
    o = w.orgs
    o["reg_bj"] = RegulatorFactory(region="BJ")
    o["reg_tj"] = RegulatorFactory(region="TJ")
    o["auto_bj"] = OrganisationFactory(region="BJ", kinds=["automaker"], name_zh="京车", name_en="BJ Auto")
    o["auto_tj"] = OrganisationFactory(region="TJ", kinds=["automaker"], name_zh="津车", name_en="TJ Auto")
    o["auto_hb"] = OrganisationFactory(region="HB", kinds=["automaker"], name_zh="冀车", name_en="HB Auto")
    o["maker_a"] = OrganisationFactory(region="OUT", kinds=["battery_maker"])
    o["maker_b"] = OrganisationFactory(region="TJ", kinds=["battery_maker"])
    o["sp_bj"] = OrganisationFactory(region="BJ", kinds=["service_operator"])
    o["sp_tj"] = OrganisationFactory(region="TJ", kinds=["service_operator"])
    o["sp_hb"] = OrganisationFactory(region="HB", kinds=["service_operator"])
    o["hub"] = OrganisationFactory(region="TJ", kinds=["service_operator", "logistics"])
    o["cascade"] = OrganisationFactory(region="HB", kinds=["cascade_use"])
    o["regen"] = OrganisationFactory(region="TJ", kinds=["regeneration"])
    _entitle(o)
    o["dismantler"] = OrganisationFactory(region="BJ", kinds=["dismantler"])
    w.users["reg_bj"] = UserFactory(organisation=o["reg_bj"], username="reg_bj")
    w.users["reg_tj"] = UserFactory(organisation=o["reg_tj"], username="reg_tj")
    w.users["auto_tj"] = UserFactory(organisation=o["auto_tj"], username="auto_tj")

    now = timezone.now()
    sp = {"BJ": o["sp_bj"], "TJ": o["sp_tj"], "HB": o["sp_hb"]}
    auto = {"BJ": o["auto_bj"], "TJ": o["auto_tj"], "HB": o["auto_hb"]}
    for i in range(n):
        region = REGIONS[i % 3]
        path = PATHS[i % len(PATHS)]
        maker = o["maker_a"] if i % 2 else o["maker_b"]
        pack = Battery.objects.create(
            code=f"TST{'PB' if i % 2 else 'PE'}01TESTABC{i:02d}ABC{i:07d}"[:24],
            level="P",
            chemistry="B" if i % 2 else "E",
            mass_kg=Decimal(300 + 10 * i),
            maker=maker,
            state="",
            registered=i != 7,
        )
        vehicle = Vehicle.objects.create(
            vin=f"TESTVIN{i:010d}",
            automaker=auto[region],
            region=region,
            use=["private", "taxi", "bus"][i % 3],
            sold_at=(now - timedelta(days=400 + 365 * (i % 4))).date(),
        )
        w.packs.append(pack)
        w.vehicles.append(vehicle)
        w.paths[pack.pk] = path

        def rec(kind, days_ago, actor, custodian=None, region=region, late=False, payload=None, **kw):
            occurred = now - timedelta(days=days_ago)
            reported = occurred + (timedelta(days=40) if late else timedelta(hours=1))
            kwargs = {} if custodian is None else {"custodian_after": custodian}
            pack.refresh_from_db()
            if kind in RECEIPTS and custodian is not None:
                # The receiver confirms a release by the holder (unless the holder already released it); an
                # automaker's receipt is at its own service point, in its own custody.
                receiver = actor if actor.has_kind("automaker") else custodian
                if not pack.releases.filter(status="open", receiver=receiver).exists():
                    event_record(
                        battery=pack,
                        kind="handed_over",
                        actor=platform_actor(pack.custodian),
                        release_to=receiver,
                        occurred_at=occurred,
                        reported_at=min(occurred + timedelta(hours=1), now),
                    )
                actor, kwargs = receiver, {}
            if kind in ("dispatched", "lost"):
                actor = pack.custodian  # the holder releases (or reports) it
            if kind == "removed":
                _certify(actor, Binding.objects.get(pack=pack, unbound_at__isnull=True).vehicle, occurred)
            return event_record(
                battery=pack,
                kind=kind,
                actor=platform_actor(actor),
                occurred_at=occurred,
                reported_at=min(reported, now),
                region=region,
                payload=payload,
                **kwargs,
                **kw,
            )

        rec("produced", 500, maker, custodian=maker, region="OUT" if maker.region == "OUT" else "TJ")
        rec("bound", 480, auto[region], custodian=None, late=i % 4 == 0)
        Binding.objects.create(vehicle=vehicle, pack=pack, bound_at=now - timedelta(days=480))
        if path == "in_vehicle":
            if i < 6:
                Vehicle.objects.filter(pk=vehicle.pk).update(scrapped_at=(now - timedelta(days=60)).date())
            continue
        # Recent removals (this month) for some packs, older ones for the rest.
        removed_ago = 0.05 if i >= 12 else 200
        rec("removed", removed_ago, o["dismantler"], custodian=o["dismantler"])
        if path == "stored_long":
            rec(
                "received",
                removed_ago - 0.01 if i >= 12 else 150,
                auto[region],
                custodian=sp[region],
                late=i < 12,
            )
            continue
        rec(
            "received",
            removed_ago - 0.01 if i >= 12 else 190,
            auto[region],
            custodian=sp[region],
            late=i % 3 == 1,
        )
        if path == "to_cascade":
            rec("dispatched", 0.02 if i >= 12 else 180, sp[region], release_to=o["hub"])
            rec("received", 0.015 if i >= 12 else 170, o["hub"], custodian=o["hub"], region="TJ")
            rec(
                "cascade_received",
                0.01 if i >= 12 else 160,
                o["cascade"],
                custodian=o["cascade"],
                region="HB",
            )
        elif path == "to_regeneration":
            rec("dispatched", 0.02 if i >= 12 else 180, sp[region], release_to=o["regen"])
            rec(
                "regeneration_received",
                0.01 if i >= 12 else 170,
                o["regen"],
                custodian=o["regen"],
                region="TJ",
                payload={"mass_kg": "300"},
            )
        elif path == "left_jjj":
            rec("dispatched", 0.02 if i >= 12 else 100, sp[region], region="OUT", payload={"to_region": "OUT"},
                release_to=o["regen"])  # fmt: skip
        elif path == "lost_in_transit":
            rec("dispatched", 0.02 if i >= 12 else 100, sp[region], release_to=o["hub"])
            if i < 12:
                rec("lost", 50, sp[region])
    materialised_views_refresh()
    return w
