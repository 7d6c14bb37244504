"""SQL of the materialised views behind the dashboards (R-LIFE, R-COMPLY): aggregates computed by PostgreSQL,
refreshed by ``dashboards.tasks.refresh_materialised_views``. Kept here so the migration and the refresh task
name the same views."""

# Stages of a battery's path after retirement, in the order a Sankey diagram draws them (R-LIFE).
STAGE_RETIRED, STAGE_SERVICE_POINT, STAGE_HUB, STAGE_CASCADE, STAGE_REGENERATION, STAGE_OUTSIDE = range(6)

BATTERY_MIX = """
CREATE MATERIALIZED VIEW dashboards_battery_mix AS
SELECT b.region, b.state, b.chemistry, COALESCE(b.maker_id, 0) AS maker_id,
       count(*) AS packs, COALESCE(sum(b.mass_kg), 0)::float AS mass_kg
FROM traceability_battery b
WHERE b.level = 'P'
GROUP BY b.region, b.state, b.chemistry, COALESCE(b.maker_id, 0);
CREATE UNIQUE INDEX dashboards_battery_mix_key ON dashboards_battery_mix (region, state, chemistry, maker_id);
"""

UPLOAD_TIMELINESS = """
CREATE MATERIALIZED VIEW dashboards_upload_timeliness AS
SELECT e.actor_id, e.kind, e.region,
       date_trunc('month', e.occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
       count(*) FILTER (WHERE e.on_time) AS on_time,
       count(*) FILTER (WHERE e.on_time = false) AS late,
       count(*) FILTER (WHERE e.on_time IS NULL) AS unknown
FROM traceability_lifecycleevent e
WHERE e.actor_id IS NOT NULL
GROUP BY e.actor_id, e.kind, e.region, 4;
CREATE UNIQUE INDEX dashboards_upload_timeliness_key
    ON dashboards_upload_timeliness (actor_id, kind, region, month);
"""

RETIRED_MONTHLY = """
CREATE MATERIALIZED VIEW dashboards_retired_monthly AS
SELECT e.region, date_trunc('month', e.occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
       count(*) AS packs, COALESCE(sum(b.mass_kg), 0)::float AS mass_kg
FROM traceability_lifecycleevent e
JOIN traceability_battery b ON b.id = e.battery_id
WHERE e.kind IN ('removed', 'replaced_out') AND b.level = 'P'
GROUP BY e.region, 2;
CREATE UNIQUE INDEX dashboards_retired_monthly_key ON dashboards_retired_monthly (region, month);
"""

# Each pack's path from its first retirement: the receiving events are mapped to stages, a running maximum
# keeps the path moving forward (a pack sent back to a service point is not drawn twice), and LEAD pairs
# every stage with the next one. One row per edge walked by one pack.
FLOW_EDGE = """
CREATE MATERIALIZED VIEW dashboards_flow_edge AS
WITH staged AS (
    SELECT e.battery_id, e.id, e.occurred_at, e.region,
           CASE
             WHEN e.kind IN ('removed', 'replaced_out') THEN 0
             WHEN e.region = 'OUT' THEN 5
             WHEN e.kind = 'received'
                  AND (e.place_ref LIKE 'hub:%' OR o.kinds @> ARRAY['logistics']::varchar[]) THEN 2
             WHEN e.kind = 'received' THEN 1
             WHEN e.kind = 'cascade_received' THEN 3
             WHEN e.kind = 'regeneration_received' THEN 4
           END AS stage
    FROM traceability_lifecycleevent e
    LEFT JOIN accounts_organisation o ON o.id = e.custodian_after_id
    WHERE e.kind IN ('removed', 'replaced_out', 'received', 'cascade_received', 'regeneration_received')
), retired AS (
    SELECT DISTINCT ON (battery_id) battery_id, id AS retired_event, occurred_at AS retired_at,
           region AS retired_region
    FROM staged WHERE stage = 0
    ORDER BY battery_id, occurred_at, id
), path AS (
    SELECT s.battery_id, s.stage, s.region, s.occurred_at, s.id,
           max(s.stage) OVER (PARTITION BY s.battery_id ORDER BY s.occurred_at, s.id
                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached
    FROM staged s
    JOIN retired r ON r.battery_id = s.battery_id
    WHERE (s.occurred_at, s.id) >= (r.retired_at, r.retired_event)
), forward AS (
    SELECT battery_id, stage, region,
           LEAD(stage) OVER w AS next_stage, LEAD(region) OVER w AS next_region
    FROM path
    WHERE reached IS NULL OR stage > reached
    WINDOW w AS (PARTITION BY battery_id ORDER BY occurred_at, id)
)
SELECT f.battery_id, r.retired_at, r.retired_region,
       f.stage AS src_stage, f.region AS src_region, f.next_stage AS dst_stage, f.next_region AS dst_region,
       COALESCE(b.mass_kg, 0)::float AS mass_kg
FROM forward f
JOIN retired r ON r.battery_id = f.battery_id
JOIN traceability_battery b ON b.id = f.battery_id
WHERE f.next_stage IS NOT NULL;
CREATE UNIQUE INDEX dashboards_flow_edge_key ON dashboards_flow_edge (battery_id, src_stage);
CREATE INDEX dashboards_flow_edge_period ON dashboards_flow_edge (retired_at, retired_region);
"""

# Created by migration 0002; this dict stays as it was so that the migration creates the same four views.
VIEWS = {
    "dashboards_battery_mix": BATTERY_MIX,
    "dashboards_upload_timeliness": UPLOAD_TIMELINESS,
    "dashboards_retired_monthly": RETIRED_MONTHLY,
    "dashboards_flow_edge": FLOW_EDGE,
}

# --- added by migration 0003: what the pages used to compute per request at scale -----------------------

# Sales cohorts of the platform's own vehicles (R-FORECAST): the pack first bound to each vehicle gives the
# cohort its chemistry and mass. DISTINCT ON walks the bindings once instead of one lookup per vehicle.
VEHICLE_COHORT = """
CREATE MATERIALIZED VIEW dashboards_vehicle_cohort AS
WITH first_pack AS (
    SELECT DISTINCT ON (vehicle_id) vehicle_id, pack_id
    FROM traceability_binding
    ORDER BY vehicle_id, bound_at, id
)
SELECT v.region, extract(year FROM v.sold_at)::int AS year, v.use, b.chemistry,
       count(*) AS vehicles, sum(b.mass_kg)::float AS mass_kg
FROM traceability_vehicle v
JOIN first_pack f ON f.vehicle_id = v.id
JOIN traceability_battery b ON b.id = f.pack_id
WHERE v.sold_at IS NOT NULL AND b.mass_kg IS NOT NULL
GROUP BY v.region, 2, v.use, b.chemistry;
CREATE UNIQUE INDEX dashboards_vehicle_cohort_key ON dashboards_vehicle_cohort (region, year, use, chemistry);
"""

# Candidates for the lost-and-stuck alerts (R-LIFE, R-SCRAP), one row per category and pack, with the time
# the limit runs from. The limits themselves (data/alert_thresholds_v1.json) and "now" are applied when the
# page reads, so a changed limit needs no new view. ``flagged`` marks a pack reported lost.
#  - scrapped_not_removed: still bound to a scrapped vehicle; region of the vehicle, since its scrapping day;
#  - missing_in_transit / over_storage: packs in transit / at a service point, since their last state change;
#  - left_jjj: dispatched out of JJJ and not received; region of the custodian of the last dispatch out.
ALERT_CANDIDATE = """
CREATE MATERIALIZED VIEW dashboards_alert_candidate AS
SELECT 'scrapped_not_removed'::varchar(24) AS category, b.id AS battery_id, v.region,
       (v.scrapped_at::timestamp AT TIME ZONE 'Asia/Shanghai') AS since, false AS flagged
FROM traceability_binding bd
JOIN traceability_vehicle v ON v.id = bd.vehicle_id
JOIN traceability_battery b ON b.id = bd.pack_id
WHERE bd.unbound_at IS NULL AND v.scrapped_at IS NOT NULL AND b.level = 'P'
UNION ALL
SELECT 'missing_in_transit', b.id, b.region, b.state_changed_at,
       EXISTS (SELECT 1 FROM traceability_lifecycleevent e WHERE e.battery_id = b.id AND e.kind = 'lost')
FROM traceability_battery b
WHERE b.level = 'P' AND b.state = 'in_transit'
UNION ALL
SELECT 'over_storage', b.id, b.region, b.state_changed_at, false
FROM traceability_battery b
WHERE b.level = 'P' AND b.state = 'at_service_point'
UNION ALL
SELECT 'left_jjj', b.id, d.region, b.state_changed_at, false
FROM traceability_battery b
JOIN LATERAL (
    SELECT o.region FROM traceability_lifecycleevent e
    JOIN accounts_organisation o ON o.id = e.custodian_before_id
    WHERE e.battery_id = b.id AND e.kind = 'dispatched' AND e.region = 'OUT'
    ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1
) d ON true
WHERE b.level = 'P' AND b.state = 'in_transit' AND b.region = 'OUT';
CREATE UNIQUE INDEX dashboards_alert_candidate_key ON dashboards_alert_candidate (category, battery_id);
CREATE INDEX dashboards_alert_candidate_since ON dashboards_alert_candidate (category, region, since);
"""

# The Sankey's edges summed per day of retirement (platform time zone): a period of whole days reads a few
# thousand rows instead of every pack's edges.
FLOW_DAILY = """
CREATE MATERIALIZED VIEW dashboards_flow_daily AS
SELECT (retired_at AT TIME ZONE 'Asia/Shanghai')::date AS day, retired_region,
       src_stage, src_region, dst_stage, dst_region, count(*) AS packs, sum(mass_kg)::float AS mass_kg
FROM dashboards_flow_edge
GROUP BY 1, 2, 3, 4, 5, 6;
CREATE UNIQUE INDEX dashboards_flow_daily_key
    ON dashboards_flow_daily (day, retired_region, src_stage, src_region, dst_stage, dst_region);
"""

# Receipts of packs whose code no maker registered, per uploading actor, region and month (R-COMPLY).
UNREGISTERED_RECEIPTS = """
CREATE MATERIALIZED VIEW dashboards_unregistered_receipts AS
SELECT e.actor_id, e.region, date_trunc('month', e.occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
       count(*) AS receipts
FROM traceability_lifecycleevent e
JOIN traceability_battery b ON b.id = e.battery_id
WHERE e.kind = 'received' AND b.registered = false AND e.actor_id IS NOT NULL
GROUP BY e.actor_id, e.region, 3;
CREATE UNIQUE INDEX dashboards_unregistered_receipts_key
    ON dashboards_unregistered_receipts (actor_id, region, month);
"""

VIEWS_0003 = {
    "dashboards_vehicle_cohort": VEHICLE_COHORT,
    "dashboards_alert_candidate": ALERT_CANDIDATE,
    "dashboards_flow_daily": FLOW_DAILY,
    "dashboards_unregistered_receipts": UNREGISTERED_RECEIPTS,
}

# --- added by migration 0004 -----------------------------------------------------------------------------

# Lost-and-stuck candidates counted per category, region and day their limit runs from (platform time zone):
# a count sums the whole days before the cut-off day here and counts only the cut-off day's rows (and packs
# reported lost since) in ``dashboards_alert_candidate``.
ALERT_DAILY = """
CREATE MATERIALIZED VIEW dashboards_alert_daily AS
SELECT category, region, (since AT TIME ZONE 'Asia/Shanghai')::date AS day, count(*) AS packs
FROM dashboards_alert_candidate
GROUP BY 1, 2, 3;
CREATE UNIQUE INDEX dashboards_alert_daily_key ON dashboards_alert_daily (category, region, day);
"""

# Pages of one category's packs, oldest first, across regions: walk this index in order.
ALERT_CANDIDATE_ORDER = """
CREATE INDEX IF NOT EXISTS dashboards_alert_candidate_order ON dashboards_alert_candidate (category, since, battery_id);
"""

VIEWS_0004 = {"dashboards_alert_daily": ALERT_DAILY}

# --- replaced by migration 0006: attribution to the automaker ----------------------------------------------

# An automaker answers for the uploads of the service points that serve it (domain.md §3, 第十、十一条): an event
# at a point (``place_ref = 'sp:<id>'``) counts for the uploading actor (``via_point`` false) and once more for
# every automaker the point serves (``via_point`` true). Region totals read the uploader rows only, so nothing is
# counted twice there.
_ATTRIBUTED_EVENTS = """
WITH attributed AS (
    SELECT e.actor_id, false AS via_point, e.kind, e.region, e.occurred_at, e.on_time, e.battery_id
    FROM traceability_lifecycleevent e
    WHERE e.actor_id IS NOT NULL
    UNION ALL
    SELECT a.organisation_id, true, e.kind, e.region, e.occurred_at, e.on_time, e.battery_id
    FROM traceability_lifecycleevent e
    JOIN recycling_network_servicepoint_automakers a ON e.place_ref = 'sp:' || a.servicepoint_id::text
    WHERE e.place_ref LIKE 'sp:%' AND a.organisation_id IS DISTINCT FROM e.actor_id
)
"""

UPLOAD_TIMELINESS_ATTRIBUTED = f"""
CREATE MATERIALIZED VIEW dashboards_upload_timeliness AS
{_ATTRIBUTED_EVENTS}
SELECT actor_id, via_point, kind, region,
       date_trunc('month', occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
       count(*) FILTER (WHERE on_time) AS on_time,
       count(*) FILTER (WHERE on_time = false) AS late,
       count(*) FILTER (WHERE on_time IS NULL) AS unknown
FROM attributed
GROUP BY actor_id, via_point, kind, region, 5;
CREATE UNIQUE INDEX dashboards_upload_timeliness_key
    ON dashboards_upload_timeliness (actor_id, via_point, kind, region, month);
"""

# Receipts of unregistered codes: for the receiving actor and for the automakers the receiving point serves.
UNREGISTERED_RECEIPTS_ATTRIBUTED = f"""
CREATE MATERIALIZED VIEW dashboards_unregistered_receipts AS
{_ATTRIBUTED_EVENTS}
SELECT a.actor_id, a.via_point, a.region,
       date_trunc('month', a.occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS month, count(*) AS receipts
FROM attributed a
JOIN traceability_battery b ON b.id = a.battery_id
WHERE a.kind = 'received' AND b.registered = false
GROUP BY a.actor_id, a.via_point, a.region, 4;
CREATE UNIQUE INDEX dashboards_unregistered_receipts_key
    ON dashboards_unregistered_receipts (actor_id, via_point, region, month);
"""

VIEWS_0006 = {
    "dashboards_upload_timeliness": UPLOAD_TIMELINESS_ATTRIBUTED,
    "dashboards_unregistered_receipts": UNREGISTERED_RECEIPTS_ATTRIBUTED,
}
VIEWS_0006_PREVIOUS = {
    "dashboards_upload_timeliness": UPLOAD_TIMELINESS,
    "dashboards_unregistered_receipts": UNREGISTERED_RECEIPTS,
}

# --- replaced by migration 0007: a pack reported lost has its own state -----------------------------------

# A battery reported lost (from any holding state) is in state ``lost``; it stays among the missing packs,
# flagged, until a claim finds it again.
ALERT_CANDIDATE_WITH_LOST = ALERT_CANDIDATE.replace(
    "WHERE b.level = 'P' AND b.state = 'in_transit'\nUNION ALL",
    "WHERE b.level = 'P' AND b.state IN ('in_transit', 'lost')\nUNION ALL",
    1,
)
assert ALERT_CANDIDATE_WITH_LOST != ALERT_CANDIDATE

# Refresh order: a view built on another view comes after it (flow_daily reads flow_edge, alert_daily reads
# alert_candidate).
ALL_VIEWS = {**VIEWS, **VIEWS_0003, **VIEWS_0004, **VIEWS_0006}

# --- replaced by migration 0008: counts follow the corrected history ---------------------------------------

# An event declared erroneous (an error declaration in force, R-LIFE corrections) no longer counts; the
# ``corrected`` event is a record of the correction, not an upload. Declarations are few, so the anti-join reads a
# small table; the batteries' states the counts group by are the corrected ones already.
IN_FORCE = (
    "NOT EXISTS (SELECT 1 FROM traceability_errordeclaration d "
    "WHERE d.event_id = e.id AND d.status IN ('effective', 'approved'))"
)


def _replaced(sql: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in sql, old
        sql = sql.replace(old, new, 1)
    return sql


_ATTRIBUTED_CORRECTED = _replaced(
    _ATTRIBUTED_EVENTS,
    (
        "WHERE e.actor_id IS NOT NULL\n",
        f"WHERE e.actor_id IS NOT NULL AND e.kind <> 'corrected' AND {IN_FORCE}\n",
    ),
    ("WHERE e.place_ref LIKE 'sp:%' AND", f"WHERE e.place_ref LIKE 'sp:%' AND {IN_FORCE} AND"),
)
VIEWS_0008 = {
    "dashboards_upload_timeliness": UPLOAD_TIMELINESS_ATTRIBUTED.replace(
        _ATTRIBUTED_EVENTS, _ATTRIBUTED_CORRECTED
    ),
    "dashboards_unregistered_receipts": UNREGISTERED_RECEIPTS_ATTRIBUTED.replace(
        _ATTRIBUTED_EVENTS, _ATTRIBUTED_CORRECTED
    ),
    "dashboards_retired_monthly": _replaced(
        RETIRED_MONTHLY, ("AND b.level = 'P'\n", f"AND b.level = 'P' AND {IN_FORCE}\n")
    ),
    # The views built on these (flow_daily, alert_daily) are dropped with them and rebuilt after them.
    "dashboards_flow_edge": _replaced(
        FLOW_EDGE, ("'regeneration_received')\n)", f"'regeneration_received') AND {IN_FORCE}\n)")
    )
    + FLOW_DAILY,
    "dashboards_alert_candidate": _replaced(
        ALERT_CANDIDATE_WITH_LOST,
        ("e.kind = 'lost')", f"e.kind = 'lost' AND {IN_FORCE})"),
        (
            "e.kind = 'dispatched' AND e.region = 'OUT'",
            f"e.kind = 'dispatched' AND e.region = 'OUT' AND {IN_FORCE}",
        ),
    )
    + ALERT_CANDIDATE_ORDER
    + ALERT_DAILY,
}
VIEWS_0008_PREVIOUS = {
    "dashboards_upload_timeliness": UPLOAD_TIMELINESS_ATTRIBUTED,
    "dashboards_unregistered_receipts": UNREGISTERED_RECEIPTS_ATTRIBUTED,
    "dashboards_retired_monthly": RETIRED_MONTHLY,
    "dashboards_flow_edge": FLOW_EDGE + FLOW_DAILY,
    "dashboards_alert_candidate": ALERT_CANDIDATE_WITH_LOST + ALERT_CANDIDATE_ORDER + ALERT_DAILY,
}
