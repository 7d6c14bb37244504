"""Every dashboard figure against a direct count on the same data."""

from datetime import date, timedelta

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.choices import JJJ_REGIONS
from dashboards import selectors
from dashboards.filtersets import BatteryFilterSet, LifecycleEventFilterSet
from traceability.models import Battery, LifecycleEvent, Vehicle

pytestmark = pytest.mark.django_db

SCOPES = [("BJ",), ("HB",), JJJ_REGIONS]


@pytest.mark.parametrize("regions", SCOPES)
def test_battery_mix_matches_direct_counts(world, regions):
    mix = selectors.battery_mix(regions)
    packs = Battery.objects.filter(level="P", region__in=regions)
    direct_state = dict(packs.values_list("state").annotate(n=Count("id")))
    assert {r["state"]: r["packs"] for r in mix["state"]} == direct_state
    assert sum(direct_state.values()) > 0
    direct_chem = dict(packs.values_list("chemistry").annotate(n=Count("id")))
    assert {r["chemistry"]: r["packs"] for r in mix["chemistry"]} == direct_chem
    direct_maker = dict(packs.values_list("maker_id").annotate(n=Count("id")))
    assert {r["maker_id"]: r["packs"] for r in mix["maker"]} == direct_maker


@pytest.mark.parametrize("regions", SCOPES)
def test_every_mix_figure_links_to_as_many_rows(world, regions):
    code = "JJJ" if len(regions) == 3 else regions[0]
    for row in selectors.battery_mix(regions)["state"]:
        fs = BatteryFilterSet(
            {"region": code, "state": row["state"]}, queryset=Battery.objects.filter(level="P")
        )
        assert fs.qs.count() == row["packs"]


@pytest.mark.parametrize("regions", SCOPES)
def test_retired_mass_this_month_and_year(world, regions):
    today = timezone.localdate()
    got = selectors.retired_mass(regions, today)
    month_start, _ = selectors.month_bounds(today)
    year_start, _ = selectors.month_bounds(today.replace(month=1))
    events = LifecycleEvent.objects.filter(kind__in=["removed", "replaced_out"], region__in=regions)
    month = events.filter(occurred_at__gte=month_start).aggregate(kg=Sum("battery__mass_kg"), n=Count("id"))
    year = events.filter(occurred_at__gte=year_start).aggregate(kg=Sum("battery__mass_kg"), n=Count("id"))
    assert got["month_kg"] == pytest.approx(float(month["kg"] or 0))
    assert got["month_packs"] == month["n"]
    assert got["year_kg"] == pytest.approx(float(year["kg"] or 0))
    assert got["year_packs"] == year["n"]
    # the month figure links to exactly those packs
    fs = BatteryFilterSet(
        {
            "retired_month": today.replace(day=1).isoformat(),
            "region": "JJJ" if len(regions) == 3 else regions[0],
        },
        queryset=Battery.objects.filter(level="P"),
    )
    assert fs.qs.count() == month["n"]


def test_retired_this_month_is_not_empty(world):
    assert selectors.retired_mass(JJJ_REGIONS, timezone.localdate())["month_packs"] > 0


def _expected_alerts(world, regions):
    now = timezone.now()
    packs = Battery.objects.filter(level="P")
    scrapped_vehicles = Vehicle.objects.filter(
        scrapped_at__lte=(now - timedelta(days=15)).date(),
        region__in=regions,
        bindings__unbound_at__isnull=True,
    )
    return {
        "scrapped_not_removed": scrapped_vehicles.count(),
        # A pack reported lost is in state ``lost`` and stays among the missing.
        "missing_in_transit": packs.filter(region__in=regions, state__in=["in_transit", "lost"])
        .filter(state_changed_at__lt=now - timedelta(days=15))
        .count(),
        "over_storage": packs.filter(
            region__in=regions, state="at_service_point", state_changed_at__lt=now - timedelta(days=90)
        ).count(),
        "left_jjj": LifecycleEvent.objects.filter(
            kind="dispatched", region="OUT", custodian_before__region__in=regions, battery__state="in_transit"
        ).count(),
    }


@pytest.mark.parametrize("regions", SCOPES)
def test_alert_counts_match_direct_queries(world, regions):
    assert selectors.alert_counts(regions) == _expected_alerts(world, regions)


def test_alerts_find_the_constructed_cases(world):
    counts = selectors.alert_counts(JJJ_REGIONS)
    by_path = {}
    for pack in world.packs:
        by_path.setdefault(world.paths[pack.pk], []).append(pack)
    assert counts["scrapped_not_removed"] == 1  # pack 0's vehicle was scrapped 60 days ago
    old = lambda name: [p for p in by_path[name] if world.packs.index(p) < 12]  # noqa: E731
    assert counts["over_storage"] == len(old("stored_long"))
    assert counts["missing_in_transit"] == len(old("lost_in_transit"))
    assert counts["left_jjj"] == len(by_path["left_jjj"])
    fs = BatteryFilterSet({"alert": "left_jjj", "region": "JJJ"}, queryset=Battery.objects.all())
    assert {b.pk for b in fs.qs} == {p.pk for p in by_path["left_jjj"]}


def _period():
    today = timezone.localdate()
    return today - timedelta(days=3650), today


@pytest.mark.parametrize("regions", SCOPES)
def test_flow_edges_match_event_paths(world, regions):
    date_from, date_to = _period()
    edges = selectors.flow_edges(regions, date_from, date_to)
    got = {
        (
            selectors.node_key(e["src_stage"], e["src_region"]),
            selectors.node_key(e["dst_stage"], e["dst_region"]),
        ): (
            e["packs"],
            e["mass_kg"],
        )
        for e in edges
    }
    # Direct: retired packs of these regions that were next received by a service point.
    retired = LifecycleEvent.objects.filter(kind="removed", region__in=regions).values("battery_id")
    at_point = LifecycleEvent.objects.filter(kind="received").exclude(
        custodian_after__kinds__contains=["logistics"]
    )
    to_point = Battery.objects.filter(pk__in=retired, events__in=at_point).distinct()
    out_of_retired = sum(v[0] for (src, _dst), v in got.items() if src.startswith("retired:"))
    assert out_of_retired == to_point.count()
    to_regen = Battery.objects.filter(pk__in=retired, events__kind="regeneration_received").distinct()
    assert sum(v[0] for (_s, dst), v in got.items() if dst.startswith("regeneration")) == to_regen.count()
    to_cascade = Battery.objects.filter(pk__in=retired, events__kind="cascade_received").distinct()
    assert sum(v[0] for (_s, dst), v in got.items() if dst.startswith("cascade_use")) == to_cascade.count()
    outside = Battery.objects.filter(pk__in=retired, events__region="OUT", events__kind="received").distinct()
    assert sum(v[0] for (_s, dst), v in got.items() if dst == "outside") == outside.count()
    total_mass = sum(v[1] for (src, _d), v in got.items() if src.startswith("retired:"))
    assert total_mass == pytest.approx(float(to_point.aggregate(kg=Sum("mass_kg"))["kg"] or 0))


def test_flow_link_opens_its_packs(world):
    date_from, date_to = _period()
    edges = selectors.flow_edges(JJJ_REGIONS, date_from, date_to)
    assert edges
    for e in edges:
        params = {
            "flow_src": selectors.node_key(e["src_stage"], e["src_region"]),
            "flow_dst": selectors.node_key(e["dst_stage"], e["dst_region"]),
            "region": "JJJ",
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
        }
        fs = BatteryFilterSet(params, queryset=Battery.objects.all())
        assert fs.is_valid(), fs.errors
        assert fs.qs.count() == e["packs"]


def test_flow_period_excludes_older_retirements(world):
    today = timezone.localdate()
    recent = selectors.flow_edges(JJJ_REGIONS, today - timedelta(days=30), today)
    everything = selectors.flow_edges(JJJ_REGIONS, *_period())
    assert 0 < sum(e["packs"] for e in recent) < sum(e["packs"] for e in everything)


@pytest.mark.parametrize("regions", SCOPES)
def test_compliance_counts_match_events(world, regions):
    year = None
    scores = selectors.compliance_scores(regions=regions, year=year)
    assert scores
    for s in scores:
        events = LifecycleEvent.objects.filter(actor=s.org, region__in=regions)
        assert s.on_time == events.filter(on_time=True).count()
        assert s.late == events.filter(on_time=False).count()
        assert s.unregistered == events.filter(kind="received", battery__registered=False).count()
        fs = LifecycleEventFilterSet(
            {"actor": s.org.pk, "on_time": "false", "region": "JJJ" if len(regions) == 3 else regions[0]},
            queryset=LifecycleEvent.objects.all(),
        )
        assert fs.qs.count() == s.late


def test_timeliness_by_kind_month_sums_to_totals(world):
    rows = selectors.timeliness_by_kind_month(world.orgs["auto_tj"].pk, JJJ_REGIONS, None)
    late = sum(r["late"] for r in rows)
    assert late == LifecycleEvent.objects.filter(actor=world.orgs["auto_tj"], on_time=False).count()
    assert late > 0


def test_score_and_status_follow_the_rules(world):
    scores = {s.org.pk: s for s in selectors.compliance_scores(regions=JJJ_REGIONS, year=None)}
    s = scores[world.orgs["auto_tj"].pk]
    results = {r.code: r for r in s.results}
    assert results["upload_timeliness"].measured == pytest.approx(s.on_time / (s.on_time + s.late))
    assert results["upload_timeliness"].passed is (results["upload_timeliness"].measured >= 0.95)
    expected = 100 * sum(r.earned for r in s.results) / sum(r.points for r in s.results)
    assert s.score == pytest.approx(round(expected, 1))
    assert s.status == ("good" if s.score >= 80 else "warning" if s.score >= 60 else "listed")
    # pack 7 (a Tianjin vehicle; its automaker uploaded the receipt) has an unregistered code
    assert results["unregistered_codes"].measured == 1 and not results["unregistered_codes"].passed
    bj = {r.code: r for r in scores[world.orgs["auto_bj"].pk].results}
    assert bj["unregistered_codes"].measured == 0 and bj["unregistered_codes"].passed


def test_platform_cohorts_count_vehicles(world):
    cohorts = selectors.platform_cohorts(JJJ_REGIONS)
    assert sum(c.vehicles for c in cohorts) == Vehicle.objects.filter(sold_at__isnull=False).count()
    for c in cohorts:
        qs = Vehicle.objects.filter(region=c.region, use=c.use, sold_at__year=c.year)
        assert c.vehicles == qs.count()


def test_battery_lookup_by_code_and_vin(world):
    pack = world.packs[3]
    assert selectors.battery_lookup(pack.code.lower()) == (pack, None)
    vehicle = world.vehicles[0]
    found, v = selectors.battery_lookup(vehicle.vin)
    assert v == vehicle and found == world.packs[0]
    assert selectors.battery_lookup("NOPE") == (None, None)


def test_region_view_editable_only_at_home(world):
    bj = world.users["reg_bj"]
    assert selectors.region_view(bj, None).code == "BJ" and selectors.region_view(bj, None).editable
    assert not selectors.region_view(bj, "TJ").editable
    assert not selectors.region_view(bj, "JJJ").editable
    assert selectors.region_view(bj, "XX").code == "BJ"
    assert date.today()  # keeps the import used for the period helpers


@pytest.mark.parametrize("regions", [("TJ",), JJJ_REGIONS])
def test_alert_counts_from_days_agree_with_the_rows_at_any_time(world, regions):
    """The counts sum whole days from the daily view and count the cut-off day row by row; at every moment
    (hours apart, across day boundaries and the limits) they equal the rows behind them."""
    start = timezone.now() - timedelta(days=1)
    for hours in range(0, 24 * 200, 37):
        now = start + timedelta(hours=hours)
        counts = selectors.alert_counts(regions, now)
        rows = {c: selectors.alert_queryset(c, regions, now).count() for c in selectors.ALERT_CATEGORIES}
        assert counts == rows, now
    early, late = (
        selectors.alert_counts(regions, start),
        selectors.alert_counts(regions, start + timedelta(days=200)),
    )
    assert late["over_storage"] > early["over_storage"]  # recent receipts pass the storage limit later
