"""Reads behind the regulator dashboards. Aggregates are computed by PostgreSQL (GROUP BY, window functions,
materialised views from :mod:`dashboards.views_sql`); Python only shapes the few resulting rows.

R-LIFE (states, flows, lost packs), R-SHARE (three regions read each other's figures), R-COMPLY (service
points, timely uploads, unregistered codes, score and credit status), R-FORECAST (retirement forecast).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.choices import JJJ_REGIONS
from accounts.models import Organisation
from core.tenancy import scope_of
from traceability import codes
from traceability import selectors as trace

from . import forecasting, sources
from .models import (
    CohortRow,
    ComplianceRule,
    CreditBand,
    Finding,
    ForecastCalibration,
    ForecastReference,
    MaterialisedViewRefresh,
    WeibullParameter,
)
from .views_sql import (
    STAGE_CASCADE,
    STAGE_HUB,
    STAGE_OUTSIDE,
    STAGE_REGENERATION,
    STAGE_RETIRED,
    STAGE_SERVICE_POINT,
)

if TYPE_CHECKING:
    from traceability.models import Battery, Vehicle


DATA = Path(__file__).resolve().parent / "data"
ALL = "JJJ"
RETIREMENT_KINDS = ("removed", "replaced_out")


# --- whose view -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionView:
    """The region a page shows (one of the three, or all of JJJ) and whether the viewer may write there."""

    code: str
    home: str | None
    editable: bool

    @property
    def regions(self) -> tuple[str, ...]:
        return JJJ_REGIONS if self.code == ALL else (self.code,)


def region_view(user, requested: str | None) -> RegionView:
    """A regulator's own region is the default and the only editable one (R-SHARE: the others read-only)."""
    scope = scope_of(user)
    home = scope.region if scope.region in JJJ_REGIONS else None
    code = requested if requested in (*JJJ_REGIONS, ALL) else (home or ALL)
    editable = scope.superuser or (scope.regulator and not scope.read_only and code == home)
    return RegionView(code=code, home=home, editable=bool(editable))


def regions_of(code: str | None) -> tuple[str, ...]:
    return JJJ_REGIONS if code in (None, "", ALL) else (code,)


# --- raw SQL helper ---------------------------------------------------------------------------------------


def _rows(sql: str, params: Sequence = ()) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def refreshed_at() -> datetime | None:
    row = MaterialisedViewRefresh.objects.order_by("refreshed_at").first()
    return row.refreshed_at if row else None


# --- overview ---------------------------------------------------------------------------------------------


def battery_mix(regions: Sequence[str]) -> dict[str, list[dict]]:
    """Packs by state, chemistry and maker in ``regions`` (materialised view ``dashboards_battery_mix``)."""
    params = [list(regions)]
    by_state = _rows(
        "SELECT state, sum(packs)::bigint AS packs, sum(mass_kg) AS mass_kg FROM dashboards_battery_mix "
        "WHERE region = ANY(%s) GROUP BY state ORDER BY packs DESC",
        params,
    )
    by_chemistry = _rows(
        "SELECT chemistry, sum(packs)::bigint AS packs FROM dashboards_battery_mix "
        "WHERE region = ANY(%s) GROUP BY chemistry ORDER BY packs DESC",
        params,
    )
    by_maker = _rows(
        "SELECT m.maker_id, o.name_zh, o.name_en, m.packs FROM ("
        "  SELECT maker_id, sum(packs)::bigint AS packs FROM dashboards_battery_mix"
        "  WHERE region = ANY(%s) GROUP BY maker_id) m "
        "LEFT JOIN accounts_organisation o ON o.id = m.maker_id ORDER BY m.packs DESC LIMIT 12",
        params,
    )
    return {"state": by_state, "chemistry": by_chemistry, "maker": by_maker}


def retired_mass(regions: Sequence[str], today: date) -> dict[str, float]:
    """Retired pack mass (kg) this month and this year (materialised view ``dashboards_retired_monthly``)."""
    row = _rows(
        "SELECT COALESCE(sum(mass_kg) FILTER (WHERE month = %s), 0) AS month_kg,"
        "       COALESCE(sum(mass_kg) FILTER (WHERE month >= %s), 0) AS year_kg,"
        "       COALESCE(sum(packs) FILTER (WHERE month = %s), 0) AS month_packs,"
        "       COALESCE(sum(packs) FILTER (WHERE month >= %s), 0) AS year_packs "
        "FROM dashboards_retired_monthly WHERE region = ANY(%s) AND month <= %s",
        [
            today.replace(day=1),
            today.replace(month=1, day=1),
            today.replace(day=1),
            today.replace(month=1, day=1),
            list(regions),
            today.replace(day=1),
        ],
    )[0]
    return {k: float(v) for k, v in row.items()}


def retired_monthly(regions: Sequence[str], today: date, months: int = 24) -> list[dict]:
    start = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    return _rows(
        "SELECT month, sum(packs)::bigint AS packs, sum(mass_kg) AS mass_kg FROM dashboards_retired_monthly "
        "WHERE region = ANY(%s) AND month >= %s GROUP BY month ORDER BY month",
        [list(regions), start],
    )


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """Aware datetimes of the start of ``month`` and of the next month, in the platform's time zone."""
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    tz = timezone.get_default_timezone()
    return datetime.combine(start, time.min, tz), datetime.combine(end, time.min, tz)


# --- flows ------------------------------------------------------------------------------------------------

STAGE_KEYS = {
    STAGE_RETIRED: "retired",
    STAGE_SERVICE_POINT: "service_point",
    STAGE_HUB: "hub",
    STAGE_CASCADE: "cascade_use",
    STAGE_REGENERATION: "regeneration",
    STAGE_OUTSIDE: "outside",
}


def node_key(stage: int, region: str) -> str:
    """One Sankey node per stage and region; the hub and "outside JJJ" are one node each."""
    if stage in (STAGE_HUB, STAGE_OUTSIDE):
        return STAGE_KEYS[stage]
    return f"{STAGE_KEYS[stage]}:{region or '-'}"


def flow_edges(regions: Sequence[str], date_from: date | None, date_to: date | None) -> list[dict]:
    """Mass (kg) and packs along each edge walked by packs retired in ``regions`` within the period (whole days
    in the platform's time zone), summed from ``dashboards_flow_daily`` (the per-pack edges of
    ``dashboards_flow_edge`` summed per day of retirement)."""
    sql = [
        "SELECT src_stage, src_region, dst_stage, dst_region, sum(packs)::bigint AS packs,",
        "sum(mass_kg) AS mass_kg FROM dashboards_flow_daily WHERE retired_region = ANY(%s)",
    ]
    params: list = [list(regions)]
    if date_from:
        sql.append("AND day >= %s")
        params.append(date_from)
    if date_to:
        sql.append("AND day <= %s")
        params.append(date_to)
    sql.append("GROUP BY src_stage, src_region, dst_stage, dst_region ORDER BY src_stage, dst_stage")
    return _rows(" ".join(sql), params)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.get_default_timezone())


def flow_battery_ids_sql(
    *, src: str, dst: str, regions: Sequence[str], date_from: date | None, date_to: date | None
) -> tuple[str, list]:
    """SQL selecting the packs behind one Sankey link (``src``/``dst`` are node keys)."""
    where = ["retired_region = ANY(%s)"]
    params: list = [list(regions)]
    for prefix, key in (("src", src), ("dst", dst)):
        stage_name, _, region = key.partition(":")
        stage = next((s for s, n in STAGE_KEYS.items() if n == stage_name), None)
        if stage is None:
            return "SELECT NULL::bigint WHERE false", []
        where.append(f"{prefix}_stage = %s")
        params.append(stage)
        if region:
            where.append(f"{prefix}_region = %s")
            params.append("" if region == "-" else region)
    if date_from:
        where.append("retired_at >= %s")
        params.append(_day_start(date_from))
    if date_to:
        where.append("retired_at < %s")
        params.append(_day_start(date_to + timedelta(days=1)))
    return "SELECT battery_id FROM dashboards_flow_edge WHERE " + " AND ".join(where), params


# --- lost and stuck ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def alert_thresholds() -> dict:
    """Storage, transit and removal limits in days, from the versioned data file (domain.md: data, not code)."""
    return json.loads((DATA / "alert_thresholds_v1.json").read_text(encoding="utf-8"))


ALERT_CATEGORIES = ("scrapped_not_removed", "missing_in_transit", "over_storage", "left_jjj")


def _alert_cutoffs(now: datetime) -> dict[str, datetime | None]:
    """Per category, the time before which a candidate counts (None: every candidate counts), from the limits
    of ``alert_thresholds()``."""
    limits = alert_thresholds()
    # A vehicle scrapped on day D is overdue once D <= today - limit (whole days, platform time zone).
    scrapped = _day_start(timezone.localdate(now) - timedelta(days=limits["scrap_removal_days"] - 1))
    return {
        "scrapped_not_removed": scrapped,
        "missing_in_transit": now - timedelta(days=limits["transit_days"]),
        "over_storage": now - timedelta(days=limits["storage_days"]),
        "left_jjj": None,
    }


def _alert_where(regions: Sequence[str], now: datetime, category: str) -> tuple[str, list]:
    """The candidates of ``dashboards_alert_candidate`` in one category that have passed its limit."""
    cutoff = _alert_cutoffs(now)[category]
    if cutoff is None:
        return "category = %s AND region = ANY(%s)", [category, list(regions)]
    # A pack reported lost counts at once (R-LIFE); the others once their limit has passed.
    condition = "(flagged OR since < %s)" if category == "missing_in_transit" else "since < %s"
    return f"category = %s AND region = ANY(%s) AND {condition}", [category, list(regions), cutoff]


def alert_ids_sql(category: str, regions: Sequence[str], now: datetime | None = None) -> tuple[str, list]:
    """SQL selecting the packs in one lost-or-stuck category (R-LIFE: every node controlled; R-SCRAP).
    Candidates are as of the last refresh of the views; the limits and "now" apply at reading."""
    if category not in ALERT_CATEGORIES:
        raise ValueError(f"unknown alert category {category!r}")
    where, params = _alert_where(regions, now or timezone.now(), category)
    return f"SELECT battery_id FROM dashboards_alert_candidate WHERE {where}", params


def alert_queryset(category: str, regions: Sequence[str], now: datetime | None = None) -> QuerySet:
    """Packs in one lost-or-stuck category, as a queryset (the rows behind the figure, and their export)."""
    sql, params = alert_ids_sql(category, regions, now)
    # Column names in ``sql`` are constants; every value travels as a parameter.
    return trace.batteries_with_ids(ids=RawSQL(sql, params))  # noqa: S611


def alert_counts(regions: Sequence[str], now: datetime | None = None) -> dict[str, int]:
    """Packs per lost-or-stuck category in ``regions``: whole days before each cut-off are summed from
    ``dashboards_alert_daily``; only the cut-off day itself (and packs reported lost since) are counted row by
    row in ``dashboards_alert_candidate``."""
    now = now or timezone.now()
    daily, daily_params, detail, detail_params = [], [], [], []
    for category, cutoff in _alert_cutoffs(now).items():
        if cutoff is None:
            daily.append("category = %s")
            daily_params.append(category)
            continue
        day = timezone.localdate(cutoff)
        daily.append("(category = %s AND day < %s)")
        daily_params += [category, day]
        detail.append("(category = %s AND since >= %s AND since < %s)")
        detail_params += [category, _day_start(day), cutoff]
        if category == "missing_in_transit":
            detail.append("(category = %s AND flagged AND since >= %s)")
            detail_params += [category, cutoff]
    rows = _rows(
        "SELECT category, sum(n)::bigint AS n FROM ("
        f"  SELECT category, packs AS n FROM dashboards_alert_daily WHERE region = ANY(%s) AND ({' OR '.join(daily)})"
        "   UNION ALL"
        "   SELECT category, 1 FROM dashboards_alert_candidate"
        f"  WHERE region = ANY(%s) AND ({' OR '.join(detail)})"
        ") t GROUP BY category",
        [list(regions), *daily_params, list(regions), *detail_params],
    )
    counts = dict.fromkeys(ALERT_CATEGORIES, 0)
    counts.update({r["category"]: r["n"] for r in rows})
    return counts


class AlertRows:
    """The packs of one category, oldest first, paged in SQL (for ``Paginator``): the page's ids come from the
    candidates' index ``(category, region, since)``, then only those packs are read."""

    def __init__(self, category: str, regions: Sequence[str], total: int, now: datetime | None = None):
        self.sql, self.params = alert_ids_sql(category, regions, now)
        self.total = total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, item):
        if not isinstance(item, slice):
            raise TypeError("AlertRows is read in pages")
        start, stop = item.start or 0, item.stop if item.stop is not None else self.total
        ids = [
            r["battery_id"]
            for r in _rows(
                f"{self.sql} ORDER BY since, battery_id LIMIT %s OFFSET %s",
                [*self.params, max(0, stop - start), start],
            )
        ]
        packs = trace.batteries_in_bulk(ids=ids)
        return [packs[i] for i in ids if i in packs]


# --- compliance -------------------------------------------------------------------------------------------


def automakers() -> QuerySet:
    return Organisation.objects.filter(is_regulator=False, kinds__contains=["automaker"]).order_by("name_zh")


def timeliness_by_actor(regions: Sequence[str], year: int | None) -> dict[int, dict]:
    """actor id -> on-time / late / unknown uploads (materialised view ``dashboards_upload_timeliness``): its own
    and, for an automaker, those of the service points that serve it."""
    sql = (
        "SELECT actor_id, sum(on_time)::bigint AS on_time, sum(late)::bigint AS late, "
        "sum(unknown)::bigint AS unknown FROM dashboards_upload_timeliness WHERE region = ANY(%s)"
    )
    params: list = [list(regions)]
    if year:
        sql += " AND month >= %s AND month < %s"
        params += [date(year, 1, 1), date(year + 1, 1, 1)]
    return {r["actor_id"]: r for r in _rows(sql + " GROUP BY actor_id", params)}


def timeliness_by_kind_month(actor_id: int | None, regions: Sequence[str], year: int | None) -> list[dict]:
    sql = (
        "SELECT kind, month, sum(on_time)::bigint AS on_time, sum(late)::bigint AS late "
        "FROM dashboards_upload_timeliness WHERE region = ANY(%s)"
    )
    params: list = [list(regions)]
    if actor_id:
        sql += " AND actor_id = %s"
        params.append(actor_id)
    else:
        # Region totals: each upload once, by its uploader.
        sql += " AND NOT via_point"
    if year:
        sql += " AND month >= %s AND month < %s"
        params += [date(year, 1, 1), date(year + 1, 1, 1)]
    return _rows(sql + " GROUP BY kind, month ORDER BY month, kind", params)


# Receipts of codes no maker registered; receipts and bindings of codes of makers outside the code registry.
UNREGISTERED_CODE_EVENTS = Q(kind="received", battery__registered=False) | Q(
    kind__in=["received", "bound"], battery__unregistered_maker=True, battery__registered=True
)


def unregistered_events(regions: Sequence[str], year: int | None = None) -> QuerySet:
    """Receipts of packs whose code no maker registered (GB/T 34014 codes are registered before use), and
    receipts and bindings of codes whose manufacturer is not in the code registry (flagged)."""
    qs = trace.events_in_force().filter(UNREGISTERED_CODE_EVENTS, region__in=regions)
    if year:
        qs = qs.filter(
            occurred_at__gte=_day_start(date(year, 1, 1)), occurred_at__lt=_day_start(date(year + 1, 1, 1))
        )
    return qs


def unregistered_by_actor(regions: Sequence[str], year: int | None) -> dict[int, int]:
    """actor id -> receipts of unregistered codes (materialised view ``dashboards_unregistered_receipts``): its
    own and, for an automaker, those at the service points that serve it; the rows behind are
    :func:`unregistered_events`."""
    sql = "SELECT actor_id, sum(receipts)::bigint AS n FROM dashboards_unregistered_receipts WHERE region = ANY(%s)"
    params: list = [list(regions)]
    if year:
        sql += " AND month >= %s AND month < %s"
        params += [date(year, 1, 1), date(year + 1, 1, 1)]
    counts = {r["actor_id"]: r["n"] for r in _rows(sql + " GROUP BY actor_id", params)}
    for actor_id, n in unregistered_maker_by_actor(regions, year).items():
        counts[actor_id] = counts.get(actor_id, 0) + n
    return counts


# Codes of makers outside the code registry, accepted and flagged under the policy (R-CODE, R-COMPLY): each
# receipt counts for the receiver and for the automakers the receiving point serves, each binding for the
# automaker that bound it. Few rows (a partial index on the flag), so counted live rather than materialised.
UNREGISTERED_MAKER_SQL = """
SELECT x.actor_id, count(*)::bigint AS n FROM (
    SELECT e.actor_id FROM traceability_battery b
    JOIN traceability_lifecycleevent e ON e.battery_id = b.id
    WHERE b.unregistered_maker AND b.registered AND e.kind IN ('received', 'bound') AND e.actor_id IS NOT NULL
      AND e.region = ANY(%(regions)s) AND e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
    UNION ALL
    SELECT a.organisation_id FROM traceability_battery b
    JOIN traceability_lifecycleevent e ON e.battery_id = b.id
    JOIN recycling_network_servicepoint_automakers a ON e.place_ref = 'sp:' || a.servicepoint_id::text
    WHERE b.unregistered_maker AND b.registered AND e.kind = 'received' AND e.place_ref LIKE 'sp:%%'
      AND a.organisation_id IS DISTINCT FROM e.actor_id
      AND e.region = ANY(%(regions)s) AND e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
) x GROUP BY x.actor_id
"""


def unregistered_maker_by_actor(regions: Sequence[str], year: int | None) -> dict[int, int]:
    """actor id -> receipts and bindings of flagged codes (``Battery.unregistered_maker``) that a maker
    registered: the automaker that binds one answers for it, as do the service point that receives it and the
    automakers that point serves. Codes not registered by a maker at all are in
    ``dashboards_unregistered_receipts`` already and are not counted twice."""
    start = _day_start(date(year, 1, 1) if year else date(1970, 1, 1))
    end = _day_start(date(year + 1, 1, 1)) if year else timezone.now() + timedelta(days=366)
    with connection.cursor() as cursor:
        cursor.execute(UNREGISTERED_MAKER_SQL, {"regions": list(regions), "start": start, "end": end})
        return dict(cursor.fetchall())


@dataclass
class RuleResult:
    code: str
    label: str
    measured: float | None
    threshold: float
    comparison: str
    points: float
    earned: float
    evidence_url_name: str = ""

    @property
    def passed(self) -> bool:
        return self.earned >= self.points


@dataclass
class EnterpriseScore:
    org: Organisation
    points: int | None
    districts: int | None
    on_time: int
    late: int
    unregistered: int
    results: list[RuleResult] = field(default_factory=list)
    score: float = 100.0
    status: str = "good"

    @property
    def on_time_ratio(self) -> float | None:
        total = self.on_time + self.late
        return None if total == 0 else self.on_time / total


def _rule_result(rule: ComplianceRule, measured: float | None, lang_zh: bool) -> RuleResult:
    """A rule earns all its points when the measure meets the threshold, none when it misses; a measure that
    cannot be taken (no uploads yet, no network data) does not cost points."""
    if measured is None:
        ok = True
    elif rule.comparison == ComplianceRule.Comparison.GTE:
        ok = measured >= rule.threshold
    else:
        ok = measured <= rule.threshold
    return RuleResult(
        code=rule.code,
        label=rule.label_zh if lang_zh else rule.label_en,
        measured=measured,
        threshold=rule.threshold,
        comparison=rule.comparison,
        points=rule.points,
        earned=rule.points if ok else 0,
    )


def credit_status(score: float, bands: Sequence[CreditBand]) -> str:
    for band in sorted(bands, key=lambda b: -b.min_score):
        if score >= band.min_score:
            return band.status
    return CreditBand.Status.LISTED


def compliance_scores(
    *, regions: Sequence[str], year: int | None, lang_zh: bool = True, org_ids: Sequence[int] | None = None
) -> list[EnterpriseScore]:
    """Per automaker: published points in JJJ and their districts, uploads on time vs late, unregistered
    codes received, then the score from the rules (``ComplianceRule``) and the credit band (R-COMPLY).

    Service points are counted across all of JJJ (the obligation is regional: ≥ 3 in JJJ), uploads and
    receipts within ``regions``."""
    rules = list(ComplianceRule.objects.filter(is_active=True))
    bands = list(CreditBand.objects.all())
    points = sources.points_per_automaker(JJJ_REGIONS)
    network = sources.available()
    timely = timeliness_by_actor(regions, year)
    unregistered = unregistered_by_actor(regions, year)
    orgs = automakers()
    if org_ids is not None:
        orgs = orgs.filter(pk__in=org_ids)
    out = []
    for org in orgs:
        t = timely.get(org.pk, {})
        p = points.get(org.pk, {})
        score = EnterpriseScore(
            org=org,
            points=p.get("points", 0) if network else None,
            districts=p.get("districts", 0) if network else None,
            on_time=int(t.get("on_time") or 0),
            late=int(t.get("late") or 0),
            unregistered=unregistered.get(org.pk, 0),
        )
        measures = {
            "service_points": score.points,
            "upload_timeliness": score.on_time_ratio,
            "unregistered_codes": score.unregistered,
        }
        score.results = [_rule_result(r, measures.get(r.code), lang_zh) for r in rules if r.code in measures]
        total = sum(r.points for r in score.results) or 1
        score.score = round(100.0 * sum(r.earned for r in score.results) / total, 1)
        score.status = credit_status(score.score, bands)
        out.append(score)
    return out


def findings_for(enterprise_id: int) -> QuerySet:
    return Finding.objects.filter(enterprise_id=enterprise_id).select_related("rule", "publication")


def public_violations() -> QuerySet:
    return (
        Finding.objects.filter(status=Finding.Status.PUBLISHED)
        .select_related("enterprise", "rule", "publication")
        .order_by("-publication__published_at", "enterprise__name_zh")
    )


# --- forecast ---------------------------------------------------------------------------------------------


def weibull_params() -> dict[str, forecasting.Weibull]:
    return {p.use: forecasting.Weibull(p.shape, p.scale) for p in WeibullParameter.objects.all()}


def platform_cohorts(regions: Sequence[str], chemistry: str | None = None) -> list[forecasting.Cohort]:
    """Cohorts from the platform's own vehicles: region, sale year and use, with the mass of the pack first
    bound to each vehicle (materialised view ``dashboards_vehicle_cohort``, optionally one chemistry)."""
    sql = (
        "SELECT region, year, use, sum(vehicles)::bigint AS vehicles, sum(mass_kg) / sum(vehicles) AS avg_pack_kg "
        "FROM dashboards_vehicle_cohort WHERE region = ANY(%s)"
    )
    params: list = [list(regions)]
    if chemistry:
        sql += " AND chemistry = %s"
        params.append(chemistry)
    rows = _rows(sql + " GROUP BY region, year, use ORDER BY region, year, use", params)
    return [
        forecasting.Cohort(r["region"], r["year"], r["use"], r["vehicles"], r["avg_pack_kg"]) for r in rows
    ]


def imported_cohorts(regions: Sequence[str]) -> list[forecasting.Cohort]:
    rows = CohortRow.objects.filter(region__in=regions)
    return [forecasting.Cohort(r.region, r.year, r.use, r.vehicles, r.avg_pack_kg) for r in rows]


def reference_series(regions: Sequence[str]) -> dict[int, float]:
    out: dict[int, float] = {}
    for ref in ForecastReference.objects.filter(region__in=regions):
        out[ref.year] = out.get(ref.year, 0.0) + ref.tonnes
    return dict(sorted(out.items()))


def forecast(regions: Sequence[str], years: Sequence[int], chemistry: str | None = None) -> dict:
    """Retired tonnes per year from the platform's cohorts (optionally of one chemistry) and from imported
    cohorts, with the reference."""
    params = weibull_params()
    platform = forecasting.totals_by_year(
        forecasting.retired_tonnes(platform_cohorts(regions, chemistry), params, years)
    )
    imported = forecasting.totals_by_year(
        forecasting.retired_tonnes(imported_cohorts(regions), params, years)
    )
    reference = reference_series(regions)
    return {
        "years": list(years),
        "platform": [round(platform.get(y, 0.0), 1) for y in years],
        "imported": [round(imported.get(y, 0.0), 1) for y in years],
        "reference": [reference.get(y) for y in years],
        "params": params,
    }


# --- Stanford model on the sourced cohorts ---------------------------------------------------------------

FORECAST_FIRST_YEAR = 2016  # first year on the page: the plan's series starts in 2018
FORECAST_LAST_YEAR = 2030  # last year of a stored band; the page stops where the tabled cohorts stop counting


def forecast_reference() -> dict[tuple[str, int], float]:
    """The pilot plan's figures per (region, year), tonnes."""
    return {(r.region, r.year): r.tonnes for r in ForecastReference.objects.all()}


def latest_calibration():
    return ForecastCalibration.objects.first()


def observed_retirements(regions: Sequence[str], years: Sequence[int]) -> dict[int, dict]:
    """The platform's own retirements (removal events) per year, summed over ``regions``."""
    out: dict[int, dict] = {}
    for row in trace.retired_by_region_year(regions=regions, year_from=min(years), year_to=max(years)):
        slot = out.setdefault(row["year"], {"packs": 0, "tonnes": 0.0})
        slot["packs"] += row["packs"]
        slot["tonnes"] += row["mass_kg"] / 1000.0
    return out


def forecast_outlook(regions: Sequence[str], view_code: str) -> dict:
    """Forecast of the sourced cohorts with its band (saved calibration), the plan's figures and the
    platform's observed retirements, per year for the regions in view. Years after the last reference year
    are projections; years the tabled cohorts no longer cover ("uncovered") show observed figures only. Without a saved calibration the data file's starting lifetimes are used, with no band."""
    from . import stanford_model  # noqa: PLC0415 - loads scipy, which only the forecast needs

    dataset = stanford_model.load()
    covered = min(FORECAST_LAST_YEAR, dataset.complete_until)
    # observed retirements run to this year; the forecast stops where the tabled cohorts stop counting
    years = list(range(FORECAST_FIRST_YEAR, max(covered, timezone.localdate().year) + 1))
    reference = forecast_reference()
    last_data_year = max((y for _, y in reference), default=FORECAST_FIRST_YEAR)
    calibration = latest_calibration()
    key = view_code if view_code in regions and len(regions) == 1 else "JJJ"
    central: dict[int, float] = {}
    low: dict[int, float | None] = {}
    high: dict[int, float | None] = {}
    if calibration is not None:
        lifetimes = {
            u: stanford_model.Lifetime(v["shape"], v["mean"]) for u, v in calibration.lifetimes.items()
        }
        for row in calibration.band:
            if row["region"] == key and row["year"] in years:
                central[row["year"]] = row["central"]
                low[row["year"]], high[row["year"]] = row["low"], row["high"]
    else:
        lifetimes = dataset.start()
        series = stanford_model.retirements(
            dataset.model_cohorts(), lifetimes, years, list(regions), dataset.cascade
        )
        for (_, year), tonnes in series.items():
            central[year] = central.get(year, 0.0) + tonnes
    observed = observed_retirements(regions, years)
    rows = []
    for year in years:
        ref = [reference[(r, year)] for r in regions if (r, year) in reference]
        kind = "uncovered" if year > covered else "projection" if year > last_data_year else "fit"
        rows.append(
            {
                "year": year,
                "kind": kind,
                "forecast": None if kind == "uncovered" else round(central.get(year, 0.0), 1),
                "low": None if low.get(year) is None or kind == "uncovered" else round(low[year], 1),
                "high": None if high.get(year) is None or kind == "uncovered" else round(high[year], 1),
                "reference": sum(ref) if len(ref) == len(regions) else None,
                "observed_tonnes": round(observed.get(year, {}).get("tonnes", 0.0), 3),
                "observed_packs": observed.get(year, {}).get("packs", 0),
            }
        )
    return {
        "region": key,
        "calibrated": calibration is not None,
        "calibrated_at": calibration.created_at if calibration else None,
        "data_version": calibration.data_version if calibration else dataset.version,
        "rmse": calibration.rmse if calibration else None,
        "mape": calibration.mape if calibration else None,
        "holdout_mape": calibration.holdout_mape if calibration else None,
        "mape_pct": round(100 * calibration.mape, 1) if calibration else None,
        "holdout_mape_pct": (
            round(100 * calibration.holdout_mape, 1)
            if calibration and calibration.holdout_mape is not None
            else None
        ),
        "draws": calibration.draws if calibration else 0,
        "lifetimes": {u: {"shape": lt.shape, "mean": lt.mean} for u, lt in sorted(lifetimes.items())},
        "last_data_year": last_data_year,
        "covered_until": covered,
        "rows": rows,
    }


# --- search -----------------------------------------------------------------------------------------------


def battery_lookup(query: str) -> tuple[Battery | None, Vehicle | None]:
    """A battery by its code, or a vehicle by VIN with the pack bound to it now (or last)."""
    q = codes.normalise(query or "")  # a battery code and a VIN are written alike
    if not q:
        return None, None
    battery = trace.battery_by_code(code=q)
    if battery is not None:
        return battery, None
    vehicle = trace.vehicle_by_vin(vin=q)
    if vehicle is None:
        return None, None
    return trace.vehicle_pack_now_or_last(vehicle=vehicle), vehicle
