"""Reads for the recycling network: public disclosure, stock, and the compliance signals (R-NET, R-COMPLY).

The compliance functions below are a stable interface for the dashboards; their names and the keys of the
dicts they return do not change without notice:

- :func:`compliance_point_coverage` — published points per automaker in JJJ against the minimum (≥ 3).
- :func:`compliance_late_uploads` — events reported after their deadline, per automaker.
- :func:`compliance_stale_custody` — packs with no custody change for too long.
- :func:`compliance_unregistered_intakes` — intake of codes no maker registered (or of unregistered makers).
- :func:`compliance_unregistered_bindings` — packs of makers outside the code registry an automaker bound.
- :func:`compliance_summary` — the four above joined per automaker.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.choices import JJJ_REGIONS
from accounts.models import Organisation
from core import tenancy
from traceability import selectors as trace

from .geo import distance_m
from .models import Intake, NetworkParameter, ServicePoint, StockEntry

_MISSING = object()


def network_parameter(key: str, default: Any = _MISSING) -> Any:
    """The value of a :class:`~recycling_network.models.NetworkParameter` (data from ``data/parameters.json``)."""
    row = NetworkParameter.objects.filter(key=key).values_list("value", flat=True).first()
    if row is None:
        if default is _MISSING:
            raise KeyError(f"network parameter {key!r} is not loaded; run manage.py load_network_data")
        return default
    return row


# --------------------------------------------------------------------------------------------------------------
# Service points and stock


def service_points() -> QuerySet:
    """Every service point, whatever its status (callers filter by tenancy)."""
    return ServicePoint.objects.all()


def published_points() -> QuerySet:
    return (
        ServicePoint.objects.filter(status="published")
        .select_related("district", "operator")
        .prefetch_related("automakers")
    )


@dataclass(frozen=True)
class Nearby:
    point: Any
    distance_m: float


def points_nearest(qs: QuerySet, *, lat: float, lon: float, limit: int | None = None) -> list[Nearby]:
    """Points of ``qs`` ordered by great-circle distance from (lat, lon), WGS-84. The network has hundreds of
    points, not millions: sorting in Python keeps PostGIS out of the stack."""
    ranked = sorted(
        (Nearby(point=p, distance_m=distance_m(lat, lon, p.lat, p.lon)) for p in qs),
        key=lambda n: n.distance_m,
    )
    return ranked[:limit] if limit else ranked


def intakes_visible(qs: QuerySet, user) -> QuerySet:
    """The intakes of ``qs`` this user may read (R-NET). Tenancy follows the battery: the point's operator
    reads the records it made; the automaker that registered the point, or one it serves, reads only the
    intakes of batteries it may read itself, so a pack that answers 404 to it (and its custodian) stays
    hidden here too. Regulators read as :mod:`core.tenancy` says."""
    return _following_the_battery(qs, user)


def stock_visible(qs: QuerySet, user) -> QuerySet:
    """The stock entries of ``qs`` this user may read; the same rule as :func:`intakes_visible`."""
    return _following_the_battery(qs, user)


def _following_the_battery(qs: QuerySet, user) -> QuerySet:

    scope = tenancy.scope_of(user)
    if not scope.enterprise:
        return tenancy.visible(qs, user)
    served = ServicePoint.automakers.through.objects.filter(
        servicepoint=OuterRef("point"), organisation=scope.org_id
    )
    own_batteries = trace.battery_list(user=user).order_by().values("pk")
    return qs.filter(
        Q(point__operator_id=scope.org_id)
        | ((Q(point__registered_by_id=scope.org_id) | Q(Exists(served))) & Q(battery__in=own_batteries))
    )


# --------------------------------------------------------------------------------------------------------------
# Compliance signals (R-COMPLY)


def _automakers(automakers=None) -> QuerySet:
    qs = Organisation.objects.filter(kinds__contains=["automaker"], is_active=True)
    if automakers is not None:
        qs = qs.filter(pk__in=[getattr(a, "pk", a) for a in automakers])
    return qs.order_by("name_zh")


def compliance_point_coverage(*, automakers=None, minimum: int | None = None) -> list[dict]:
    """Published service points per automaker in Beijing, Tianjin and Hebei (R-NET, seed 四(一)1).

    A co-built point counts for every automaker it serves; mobile stations and the hub count as nodes.
    Returns one dict per automaker: ``automaker_id``, ``automaker``, ``uscc``, ``points`` (total in JJJ),
    ``by_region`` ({"BJ": n, "TJ": n, "HB": n}), ``co_built`` (points shared with other automakers),
    ``minimum`` and ``compliant`` (points ≥ minimum).
    """
    minimum = int(minimum if minimum is not None else network_parameter("min_points_per_automaker", 3))
    through = ServicePoint.automakers.through
    served = through.objects.filter(
        servicepoint__status="published", servicepoint__region__in=JJJ_REGIONS
    ).values("organisation_id", "servicepoint_id", "servicepoint__region")
    sharers = Counter(
        through.objects.filter(servicepoint__status="published").values_list("servicepoint_id", flat=True)
    )
    per_org: dict[int, dict] = defaultdict(
        lambda: {"points": 0, "by_region": dict.fromkeys(JJJ_REGIONS, 0), "co_built": 0}
    )
    for row in served:
        entry = per_org[row["organisation_id"]]
        entry["points"] += 1
        entry["by_region"][row["servicepoint__region"]] += 1
        if sharers[row["servicepoint_id"]] > 1:
            entry["co_built"] += 1
    result = []
    for org in _automakers(automakers):
        entry = per_org.get(org.pk) or {
            "points": 0,
            "by_region": dict.fromkeys(JJJ_REGIONS, 0),
            "co_built": 0,
        }
        result.append(
            {
                "automaker_id": org.pk,
                "automaker": org.display_name,
                "uscc": org.uscc,
                **entry,
                "minimum": minimum,
                "compliant": entry["points"] >= minimum,
            }
        )
    return result


def compliance_late_uploads(
    *, automakers=None, since: datetime | None = None, until: datetime | None = None
) -> list[dict]:
    """Lifecycle events reported after their deadline (``LifecycleEvent.on_time`` is False), per automaker
    (domain.md §3, 第十、十一条: the automaker uploads for itself and for its service points).

    Counts the automaker's own events plus events at the service points it is served by (``place_ref`` =
    ``sp:<id>``). Returns ``automaker_id``, ``automaker``, ``with_deadline`` (events that have a deadline),
    ``late`` and ``late_share`` (0–1, or None when nothing had a deadline).
    """

    events = trace.events_with_deadline()
    if since:
        events = events.filter(occurred_at__gte=since)
    if until:
        events = events.filter(occurred_at__lt=until)
    orgs = list(_automakers(automakers))
    points_of: dict[int, list[str]] = defaultdict(list)
    for org_id, point_id in ServicePoint.automakers.through.objects.filter(organisation__in=orgs).values_list(
        "organisation_id", "servicepoint_id"
    ):
        points_of[org_id].append(f"sp:{point_id}")
    result = []
    for org in orgs:
        scoped = events.filter(Q(actor=org) | Q(place_ref__in=points_of[org.pk]))
        agg = scoped.aggregate(total=Count("id"), late=Count("id", filter=Q(on_time=False)))
        total, late = agg["total"], agg["late"]
        result.append(
            {
                "automaker_id": org.pk,
                "automaker": org.display_name,
                "with_deadline": total,
                "late": late,
                "late_share": (late / total) if total else None,
            }
        )
    return result


HELD_STATES = ("removed", "at_service_point", "in_transit")


def compliance_stale_custody(
    *, days: int | None = None, region: str | None = None, now: datetime | None = None
) -> QuerySet:
    """Packs held in the network (removed, at a service point, in transit) whose custody has not changed for
    more than ``days`` (parameter ``stale_custody_days``). Returns a Battery queryset annotated with
    ``last_custody_change`` (the last event that changed custodian, else the battery's last state change)
    and ``point_id`` (the holding service point, if any), oldest first."""

    days = int(days if days is not None else network_parameter("stale_custody_days", 90))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    qs = trace.batteries_in_states(states=HELD_STATES)
    if region:
        qs = qs.filter(region=region)
    return (
        qs.annotate(
            last_custody_change=trace.last_custody_change(),
            point_id=Subquery(StockEntry.objects.filter(battery=OuterRef("pk")).values("point_id")[:1]),
        )
        .filter(
            Q(last_custody_change__lt=cutoff)
            | Q(last_custody_change__isnull=True, state_changed_at__lt=cutoff)
        )
        .select_related("custodian")
        .order_by("last_custody_change")
    )


def compliance_unregistered_intakes(
    *, region: str | None = None, since: datetime | None = None
) -> list[dict]:
    """Intake of codes that no maker registered, per service point (flagged to the regulator at intake).
    Returns ``point_id``, ``point_code``, ``point``, ``region``, ``operator``, ``automaker_ids`` (automakers
    the point serves) and ``count``, most first."""
    qs = Intake.objects.filter(unregistered=True)
    if region:
        qs = qs.filter(point__region=region)
    if since:
        qs = qs.filter(received_at__gte=since)
    counts = dict(qs.values_list("point_id").annotate(n=Count("id")).values_list("point_id", "n"))
    points = (
        ServicePoint.objects.filter(pk__in=counts).select_related("operator").prefetch_related("automakers")
    )
    rows = [
        {
            "point_id": p.pk,
            "point_code": p.code,
            "point": p.display_name,
            "region": p.region,
            "operator": str(p.operator),
            "automaker_ids": sorted(a.pk for a in p.automakers.all()),
            "count": counts[p.pk],
        }
        for p in points
    ]
    return sorted(rows, key=lambda r: -r["count"])


def compliance_unregistered_bindings(*, automakers=None, since: datetime | None = None) -> dict[int, int]:
    """Automaker id -> packs it bound whose code's manufacturer is not in the code registry (accepted and
    flagged under the registration policy, ``Battery.unregistered_maker``; R-CODE, R-COMPLY)."""
    qs = trace.bindings_of_unregistered_makers()
    qs = qs.filter(actor__in=_automakers(automakers))
    if since:
        qs = qs.filter(occurred_at__gte=since)
    return dict(qs.values_list("actor_id").annotate(n=Count("id")).values_list("actor_id", "n"))


def compliance_summary(*, automakers=None, since: datetime | None = None) -> list[dict]:
    """Per automaker: point coverage, late uploads, stale packs at its points and unregistered intakes at its
    points. Keys: those of :func:`compliance_point_coverage` plus ``late``, ``with_deadline``,
    ``late_share``, ``stale_packs``, ``unregistered_intakes`` and ``unregistered_bindings`` (packs of makers
    outside the code registry it bound)."""
    coverage = {r["automaker_id"]: r for r in compliance_point_coverage(automakers=automakers)}
    late = {r["automaker_id"]: r for r in compliance_late_uploads(automakers=automakers, since=since)}
    stale_points = Counter(p for p in compliance_stale_custody().values_list("point_id", flat=True) if p)
    unregistered = compliance_unregistered_intakes(since=since)
    bound_flagged = compliance_unregistered_bindings(automakers=automakers, since=since)
    through = ServicePoint.automakers.through.objects.values_list("organisation_id", "servicepoint_id")
    points_of: dict[int, set[int]] = defaultdict(set)
    for org_id, point_id in through:
        points_of[org_id].add(point_id)
    rows = []
    for org_id, row in coverage.items():
        mine = points_of[org_id]
        rows.append(
            {
                **row,
                "late": late[org_id]["late"],
                "with_deadline": late[org_id]["with_deadline"],
                "late_share": late[org_id]["late_share"],
                "stale_packs": sum(n for p, n in stale_points.items() if p in mine),
                "unregistered_intakes": sum(r["count"] for r in unregistered if r["point_id"] in mine),
                "unregistered_bindings": bound_flagged.get(org_id, 0),
            }
        )
    return rows
