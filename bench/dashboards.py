"""Dashboard benchmark (R-SHARE, R-LIFE, R-COMPLY, R-FORECAST): server time of every dashboard page and of
the first 10,000 rows of an export, on a generated world of packs and lifecycle events.

    .venv/bin/python bench/dashboards.py --packs 200000 --events-per-pack 10 --repeat 10

The world is written straight into a dedicated database (``--database``, created if missing) with
``INSERT ... SELECT generate_series`` (the demo seed writes event by event and would take hours at this size),
then the materialised views are refreshed and each page is requested ``--repeat`` times through Django's test
client as a Beijing regulator: the time printed is the server's time to build the response, p50 and p95.
Target scale: 1,000,000 packs and 10,000,000 events (``--packs 1000000``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Each pack follows one path after production and sale; the kinds are the lifecycle's, in order.
PATHS = {
    0: ["produced", "bound", "assessed"],
    1: ["produced", "bound", "removed", "received", "stored"],
    2: ["produced", "bound", "removed", "received", "stored", "dispatched", "transported", "received",
        "cascade_received", "cascade_repurposed"],
    3: ["produced", "bound", "removed", "received", "stored", "dispatched", "transported",
        "regeneration_received", "dismantled", "materials_recovered"],
    4: ["produced", "bound", "removed", "received", "dispatched", "transported"],
    5: ["produced", "bound", "replaced_out", "received", "stored", "assessed", "dispatched", "transported",
        "received", "stored"],
}  # fmt: skip
FINAL_STATE = {0: "in_vehicle", 1: "at_service_point", 2: "cascade_use", 3: "recycled", 4: "in_transit",
               5: "at_service_point"}  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    host = url.split("@", 1)[1].split(":", 1)[0]
    subprocess.run(["createdb", "-h", host, "-U", "postgres", name], capture_output=True, check=False)


def seed(packs: int, events_per_pack: int) -> dict:
    from django.db import connection

    from tests.factories import OrganisationFactory, RegulatorFactory, UserFactory

    regions = ["BJ", "TJ", "HB"]
    autos = [OrganisationFactory(region=regions[i % 3], kinds=["automaker"]) for i in range(9)]
    makers = [OrganisationFactory(region="OUT", kinds=["battery_maker"]) for _ in range(5)]
    points = [OrganisationFactory(region=r, kinds=["service_operator"]) for r in regions]
    hub = OrganisationFactory(region="TJ", kinds=["service_operator", "logistics"])
    cascade = OrganisationFactory(region="HB", kinds=["cascade_use"])
    regen = OrganisationFactory(region="TJ", kinds=["regeneration"])
    regulator = RegulatorFactory(region="BJ")
    UserFactory(organisation=regulator, username="bench-regulator")
    ids = {
        "autos": [o.pk for o in autos],
        "makers": [o.pk for o in makers],
        "points": [o.pk for o in points],
        "hub": hub.pk,
        "cascade": cascade.pk,
        "regen": regen.pk,
    }
    # The kind of each step of each path, as SQL arrays indexed by path.
    steps = max(len(p) for p in PATHS.values())
    kinds_sql = "ARRAY[" + ",".join(
        "ARRAY[" + ",".join(f"'{k}'" for k in PATHS[p] + [""] * (steps - len(PATHS[p]))) + "]" for p in sorted(PATHS)
    ) + "]"  # fmt: skip
    lens_sql = "ARRAY[" + ",".join(str(len(PATHS[p])) for p in sorted(PATHS)) + "]"
    states_sql = "ARRAY[" + ",".join(f"'{FINAL_STATE[p]}'" for p in sorted(PATHS)) + "]"
    autos_sql = "ARRAY[" + ",".join(map(str, ids["autos"])) + "]"
    makers_sql = "ARRAY[" + ",".join(map(str, ids["makers"])) + "]"
    points_sql = "ARRAY[" + ",".join(map(str, ids["points"])) + "]"
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute(
            f"""
            INSERT INTO traceability_battery (code, level, manufacturer_code, chemistry, spec_code, mass_kg, maker_id,
                production_date, custodian_id, state, region, registered, is_cascade_product, vehicle_use_ended,
                created_at, state_changed_at)
            SELECT 'BEN' || CASE WHEN g % 2 = 0 THEN 'PB' ELSE 'PE' END || '01BENCH01' || lpad(g::text, 10, '0'),
                   'P', 'BEN', CASE WHEN g % 2 = 0 THEN 'B' ELSE 'E' END, '01', 250 + (g % 300),
                   ({makers_sql})[1 + g % 5], date '2018-01-01' + (g % 2000),
                   ({points_sql})[1 + g % 3], ({states_sql})[1 + g % 6],
                   CASE WHEN g % 6 = 4 AND g % 12 = 4 THEN 'OUT' ELSE (ARRAY['BJ','TJ','HB'])[1 + g % 3] END,
                   g % 97 <> 0, false, false, now(), now() - ((g % 400) || ' days')::interval
            FROM generate_series(1, {int(packs)}) g
            """
        )
        cur.execute(
            f"""
            INSERT INTO traceability_vehicle (vin, automaker_id, model_name, use, region, sold_at, created_at,
                scrapped_at)
            SELECT 'LBV' || lpad(g::text, 14, '0'), ({autos_sql})[1 + g % 9], 'bench',
                   (ARRAY['private','taxi','bus','logistics'])[1 + g % 4], (ARRAY['BJ','TJ','HB'])[1 + g % 3],
                   date '2013-01-01' + (g % 4000), now(),
                   -- one vehicle in 60 (its pack still in it) was scrapped without a recorded removal
                   CASE WHEN g % 60 = 0 THEN current_date - (g % 400) END
            FROM generate_series(1, {int(packs)}) g
            """
        )
        cur.execute(
            """
            INSERT INTO traceability_binding (vehicle_id, pack_id, bound_at, unbound_at, unbound_reason, created_at)
            SELECT v.id, b.id, v.sold_at::timestamptz, CASE WHEN b.state = 'in_vehicle' THEN NULL ELSE now() END,
                   '', now()
            FROM (SELECT id, row_number() OVER (ORDER BY id) n, sold_at FROM traceability_vehicle
                  WHERE model_name = 'bench') v
            JOIN (SELECT id, state, row_number() OVER (ORDER BY id) n FROM traceability_battery
                  WHERE manufacturer_code = 'BEN') b USING (n)
            """
        )
        # Events: each pack's path, padded to ``events_per_pack`` with assessments where the path is short.
        cur.execute(
            f"""
            INSERT INTO traceability_lifecycleevent (battery_id, kind, state_before, state_after, actor_id,
                custodian_before_id, custodian_after_id, place, place_ref, region, occurred_at, reported_at,
                deadline, on_time, payload)
            SELECT b.id,
                   COALESCE(NULLIF(({kinds_sql})[1 + p][s], ''), 'assessed'),
                   '', b.state,
                   ({autos_sql})[1 + g % 9],
                   CASE WHEN ({kinds_sql})[1 + p][s] = 'dispatched' THEN ({points_sql})[1 + g % 3] END,
                   CASE ({kinds_sql})[1 + p][s]
                       WHEN 'received' THEN CASE WHEN s >= 8 THEN {ids["hub"]} ELSE ({points_sql})[1 + g % 3] END
                       WHEN 'cascade_received' THEN {ids["cascade"]}
                       WHEN 'regeneration_received' THEN {ids["regen"]}
                       ELSE NULL END,
                   '', '',
                   CASE WHEN p = 4 AND g % 12 = 4 AND ({kinds_sql})[1 + p][s] = 'dispatched' THEN 'OUT'
                        ELSE (ARRAY['BJ','TJ','HB'])[1 + g % 3] END,
                   ts, ts + ((g * s) % 25 || ' days')::interval,
                   (ts + interval '15 days')::date, (g * s) % 25 <= 15, '{{}}'::jsonb
            FROM (SELECT id, state, row_number() OVER (ORDER BY id) g FROM traceability_battery
                  WHERE manufacturer_code = 'BEN') b
            CROSS JOIN LATERAL (SELECT (b.g % 6)::int AS p) path
            CROSS JOIN LATERAL generate_series(1, GREATEST({int(events_per_pack)}, ({lens_sql})[1 + path.p])) s
            CROSS JOIN LATERAL (SELECT now() - ((b.g % 900 + 40 - s * 3) || ' days')::interval AS ts) t
            """
        )
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM traceability_lifecycleevent")
        events = cur.fetchone()[0]
    return {"seconds": time.monotonic() - started, "events": events, "automaker": ids["autos"][1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packs", type=int, default=100_000)
    parser.add_argument("--events-per-pack", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/jjj_dashboards_bench")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    ensure_database(args.database)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User
    from dashboards.services import materialised_views_refresh
    from traceability.models import Battery, LifecycleEvent

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    setup_test_environment()
    if not (args.reuse and User.objects.filter(username="bench-regulator").exists()):
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)  # the data migrations' rows again
        seeded = seed(args.packs, args.events_per_pack)
        print(f"seeded {args.packs:,} packs and {seeded['events']:,} events in {seeded['seconds']:.1f} s")
    packs = Battery.objects.count()
    events = LifecycleEvent.objects.count()
    started = time.monotonic()
    timings = materialised_views_refresh(concurrently=False)
    print(f"materialised views refreshed in {time.monotonic() - started:.1f} s: "
          + ", ".join(f"{k.removeprefix('dashboards_')} {v:.1f}s" for k, v in timings.items()))  # fmt: skip

    client = Client()
    client.force_login(User.objects.get(username="bench-regulator"))
    from dashboards.selectors import automakers

    org = automakers().first().pk
    pack = Battery.objects.order_by("id")[packs // 2]
    pages = [
        ("overview BJ", "/dashboards/?region=BJ"),
        ("overview JJJ", "/dashboards/?region=JJJ"),
        ("flows JJJ (year)", "/dashboards/flows/?region=JJJ"),
        ("flows JJJ (all)", "/dashboards/flows/?region=JJJ&date_from=2000-01-01"),
        ("compliance JJJ", "/dashboards/compliance/?region=JJJ"),
        ("enterprise", f"/dashboards/compliance/{org}/?region=JJJ"),
        ("lost JJJ", "/dashboards/lost/?region=JJJ"),
        ("lost JJJ scrapped", "/dashboards/lost/?region=JJJ&alert=scrapped_not_removed"),
        ("lost JJJ left JJJ", "/dashboards/lost/?region=JJJ&alert=left_jjj"),
        ("forecast JJJ", "/dashboards/forecast/?region=JJJ"),
        ("forecast JJJ LFP", "/dashboards/forecast/?region=JJJ&chemistry=B"),
        ("search code", f"/dashboards/search/?q={pack.code}"),
        ("batteries list", "/dashboards/rows/batteries/?region=BJ&state=in_transit"),
        ("events list", f"/dashboards/rows/events/?region=JJJ&actor={org}&on_time=false"),
        ("events list JJJ", "/dashboards/rows/events/?region=JJJ"),
        ("batteries list alert", "/dashboards/rows/batteries/?region=JJJ&alert=over_storage"),
    ]
    print(f"\n{packs:,} packs, {events:,} events; {args.repeat} requests per page (server time, ms)")
    print(f"{'page':<36}{'p50':>9}{'p95':>9}")
    for name, url in pages:
        client.get(url)  # warm caches and the connection
        samples = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{name:<36}{statistics.median(samples):9.0f}{percentile(samples, 0.95):9.0f}")

    def first_rows(url: str, limit: int = 10_000) -> int:
        response = client.get(url)
        lines = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
            if lines > limit:
                break
        response.close()
        return lines - 1

    for name, url in [
        ("export batteries CSV", "/dashboards/rows/batteries/?region=JJJ&export=csv"),
        ("export events CSV", "/dashboards/rows/events/?region=JJJ&export=csv"),
        ("export late CSV", f"/dashboards/rows/events/?region=JJJ&actor={org}&on_time=false&export=csv"),
        ("export lost CSV", "/dashboards/lost/?region=JJJ&alert=over_storage&export=csv"),
    ]:
        samples, rows = [], 0
        for _ in range(max(3, args.repeat // 3)):
            t0 = time.perf_counter()
            rows = first_rows(url)
            samples.append((time.perf_counter() - t0) * 1000)
        print(
            f"{name + f' ({rows:,} rows)':<36}{statistics.median(samples):9.0f}{percentile(samples, 0.95):9.0f}"
        )


if __name__ == "__main__":
    main()
