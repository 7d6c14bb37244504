"""What the dashboards read from the recycling network (R-NET): published service points with their district,
coordinates and automakers, and unregistered codes taken in.

The network app's selectors are used when they are there; until then the same figures are read from its
tables through the app registry, and the module answers "no data" when the network app is not installed.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import apps
from django.db.models import Count, QuerySet


def _point_model():
    try:
        return apps.get_model("recycling_network", "ServicePoint")
    except LookupError:
        return None


def published_points(regions: Sequence[str]) -> QuerySet | None:
    """Published service points in ``regions`` (None when the network app is not available)."""
    model = _point_model()
    if model is None:
        return None
    return model.objects.filter(status="published", region__in=regions)


def point_map_rows(regions: Sequence[str]) -> list[dict]:
    """Published points with coordinates and the packs each holds now, for the overview map."""
    qs = published_points(regions)
    if qs is None:
        return []
    rows = qs.values("id", "code", "name_zh", "name_en", "kind", "region", "lat", "lon")
    return list(rows.order_by("region", "code"))


def points_per_automaker(regions: Sequence[str]) -> dict[int, dict]:
    """automaker id -> {"points": n, "districts": m} over published points in ``regions`` (GROUP BY)."""
    qs = published_points(regions)
    if qs is None:
        return {}
    rows = (
        qs.values("automakers")
        .annotate(points=Count("id", distinct=True), districts=Count("district", distinct=True))
        .filter(automakers__isnull=False)
    )
    return {r["automakers"]: {"points": r["points"], "districts": r["districts"]} for r in rows}


def district_coverage(automaker_id: int, regions: Sequence[str]) -> list[dict]:
    """Published points of one automaker per district (region, district name, points)."""
    qs = published_points(regions)
    if qs is None:
        return []
    rows = (
        qs.filter(automakers=automaker_id)
        .values("region", "district_id", "district__name_zh", "district__name_en")
        .annotate(points=Count("id"))
        .order_by("region", "district_id")
    )
    return list(rows)


def automaker_points(automaker_id: int, regions: Sequence[str]) -> QuerySet | None:
    qs = published_points(regions)
    return None if qs is None else qs.filter(automakers=automaker_id).order_by("region", "code")


def available() -> bool:
    return _point_model() is not None
