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

VIEWS = {
    "dashboards_battery_mix": BATTERY_MIX,
    "dashboards_upload_timeliness": UPLOAD_TIMELINESS,
    "dashboards_retired_monthly": RETIRED_MONTHLY,
    "dashboards_flow_edge": FLOW_EDGE,
}
