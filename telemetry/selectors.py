"""Reads of vehicle telemetry: samples by vehicle and by pack, gateway status, and the health figures that
valuation and the passport's dynamic data read (R-DATA; GB/T 32960.3-2016 real-time data)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from traceability import selectors as trace

from . import conf
from .health import HealthParams, Point, assess, soh_timeline
from .models import Sample

log = logging.getLogger(__name__)


def gateway_status() -> list[dict]:
    """The status each running gateway published (connections, frames/s, faults by kind); empty if none runs."""
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        out = []
        for key in sorted(client.scan_iter(match=conf.STATUS_KEY_PREFIX + "*", count=100)):
            raw = client.get(key)
            if raw:
                status = json.loads(raw)
                status["name"] = key.decode()[len(conf.STATUS_KEY_PREFIX) :]
                out.append(status)
        return out
    except Exception:  # status is best effort: a page or a scrape never fails on it
        log.warning("gateway status unavailable", exc_info=True)
        return []


def samples_for_vehicle(*, vin: str, since: datetime | None = None, until: datetime | None = None):
    return _in_window(Sample.objects.filter(vin=vin), since, until)


def _in_window(qs, since: datetime | None, until: datetime | None):
    """The samples from ``since`` (inclusive) to ``until`` (exclusive), oldest first."""
    if since is not None:
        qs = qs.filter(sampled_at__gte=since)
    if until is not None:
        qs = qs.filter(sampled_at__lt=until)
    return qs.order_by("sampled_at")


def _points(sql: str, params: list):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return [Point(*row) for row in cur.fetchall()]


POINT_COLUMNS = (
    "sampled_at, current_a, soc_pct, charging_state, max_temp_c, max_cell_v, min_cell_v, alarm_level"
)


def health_for_battery(
    *, battery_id: int, rated_capacity_ah=None, params=None, until: datetime | None = None
):
    """The pack's health from its telemetry (``telemetry.health.Health``): cycles, capacity, SOH with its 95 %
    interval, negative events. Reads only charging samples and samples past an event threshold (before
    ``until`` when given)."""

    params = params or HealthParams()
    if rated_capacity_ah is None:
        rated_capacity_ah = trace.battery_rated_capacity_ah(battery_id=battery_id)
    before, bound = ("AND sampled_at < %s ", [until]) if until is not None else ("", [])
    charge = _points(
        f"SELECT {POINT_COLUMNS} FROM telemetry_sample WHERE battery_id = %s AND charging_state IN (1, 2) "
        f"{before}ORDER BY sampled_at",
        [battery_id, *bound],
    )
    events = _points(
        f"SELECT {POINT_COLUMNS} FROM telemetry_sample WHERE battery_id = %s AND (max_temp_c >= %s "
        f"OR max_cell_v - min_cell_v >= %s OR alarm_level >= %s) {before}ORDER BY sampled_at",
        [battery_id, params.over_temp_c, params.spread_v, params.alarm_level, *bound],
    )
    return assess(charge, rated_capacity_ah=rated_capacity_ah, event_points=events, params=params)


def batteries_with_samples(*, battery_ids: list[int]) -> set[int]:
    """Which of ``battery_ids`` have any telemetry: one query, an index probe per id."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT b FROM unnest(%s::bigint[]) AS b "
            "WHERE EXISTS (SELECT 1 FROM telemetry_sample s WHERE s.battery_id = b)",
            [list(battery_ids)],
        )
        return {row[0] for row in cur.fetchall()}


def health_for_assessment(*, battery_id: int, rated_capacity_ah=None, until: datetime) -> dict | None:
    """What a residual-value assessment takes from the pack's telemetry up to ``until`` (plain data, stored with
    the valuation so it can be recomputed): SOH with its 95 % interval and the day of the last charging segment
    behind it, equivalent full cycles from charge throughput since the first sample, negative events by kind.
    ``None`` when the telemetry gives no SOH (no charging segment long enough, or no rated capacity)."""
    health = health_for_battery(battery_id=battery_id, rated_capacity_ah=rated_capacity_ah, until=until)
    if health.soh is None or not health.segments:
        return None
    first = Sample.objects.filter(battery_id=battery_id, sampled_at__lt=until).order_by("sampled_at")
    first_at = first.values_list("sampled_at", flat=True).first()
    summary = health.as_dict()
    return {
        "soh": summary["soh"],
        "soh_low": summary["soh_low"],
        "soh_high": summary["soh_high"],
        "date": timezone.localdate(health.segments[-1].end).isoformat(),
        "segments": summary["segments"],
        "equivalent_full_cycles": summary["equivalent_full_cycles"],
        "first_sample": timezone.localdate(first_at).isoformat() if first_at else None,
        "events": summary["events"],
    }


SERIES_SQL = """
SELECT date_bin(%(bucket)s, sampled_at, TIMESTAMPTZ '2000-01-01') AS t,
       avg(soc_pct), avg(voltage_v), avg(current_a), max(max_temp_c), min(min_temp_c),
       max(max_cell_v), min(min_cell_v), max(alarm_level)
FROM telemetry_sample WHERE {where} AND sampled_at >= %(since)s AND sampled_at < %(until)s
GROUP BY 1 ORDER BY 1
"""


def _series(where: str, key, since: datetime, until: datetime, max_points: int) -> list[dict]:
    span = max((until - since).total_seconds(), 1.0)
    bucket = timedelta(seconds=max(10, int(span / max_points) + 1))
    with connection.cursor() as cur:
        cur.execute(
            SERIES_SQL.format(where=where), {"key": key, "bucket": bucket, "since": since, "until": until}
        )
        rows = cur.fetchall()
    names = (
        "t",
        "soc_pct",
        "voltage_v",
        "current_a",
        "max_temp_c",
        "min_temp_c",
        "max_cell_v",
        "min_cell_v",
        "alarm",
    )
    return [
        {
            n: (round(v, 3) if isinstance(v, float) else (float(v) if v is not None and n != "t" else v))
            for n, v in zip(names, row, strict=True)
        }
        for row in rows
    ]


def _window(since, until, qs):
    """The requested window; by default the 30 days up to the latest sample, narrowed to where samples are."""
    if since is not None and until is not None:
        return since, until
    span = qs.aggregate(first=Min("sampled_at"), latest=Max("sampled_at"))
    if until is None:
        until = span["latest"] + timedelta(seconds=1) if span["latest"] else timezone.now()
    if since is None:
        since = until - timedelta(days=30)
        if span["first"] and span["first"] > since:
            since = span["first"]
    return since, until


def timeline_for_vehicle(*, vin: str, since=None, until=None, max_points: int = 1500) -> list[dict]:
    since, until = _window(since, until, Sample.objects.filter(vin=vin))
    return _series("vin = %(key)s", vin, since, until, max_points)


def timeline_for_battery(*, battery_id: int, since=None, until=None, max_points: int = 1500) -> dict:
    """Chart data of a pack: SOC, voltage, current and temperature/cell extremes in time buckets, and one SOH
    point per charging segment."""
    since, until = _window(since, until, Sample.objects.filter(battery_id=battery_id))
    health = health_for_battery(battery_id=battery_id)
    return {
        "series": _series("battery_id = %(key)s", battery_id, since, until, max_points),
        "soh": [
            {"t": t, "soh": round(v, 4)} for t, v in soh_timeline(health.segments, health.rated_capacity_ah)
        ],
        "health": health.as_dict(),
    }
