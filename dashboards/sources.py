"""What the dashboards read from the recycling network (R-NET, R-COMPLY), through its selectors
(:mod:`recycling_network.selectors`, the interface that app keeps stable for the dashboards):

- ``published_points`` → the overview map, an automaker's points and their coverage by district;
- ``compliance_point_coverage`` → published points per automaker in Beijing, Tianjin and Hebei (the ≥ 3 rule);
- ``compliance_unregistered_intakes`` → unregistered codes taken in at the points serving an automaker (the
  enterprise page's evidence).

Upload timeliness and unregistered receipts per uploading actor come from the dashboards' own materialised views
(:mod:`dashboards.views_sql`) rather than ``compliance_late_uploads`` / ``compliance_summary``, which aggregate the
event table once per automaker on every call; ``compliance_stale_custody`` (a correlated subquery per held pack)
is the lost-and-stuck page's "stored beyond the limit", read there from ``dashboards_alert_candidate``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import apps
from django.db.models import Count, QuerySet

from accounts.choices import JJJ_REGIONS
from recycling_network import selectors as network


def available() -> bool:
    return apps.is_installed("recycling_network")


def published_points(regions: Sequence[str]) -> QuerySet:
    """Published service points in ``regions`` (the network's ``published_points``)."""
    # values() below reads plain columns: the selector's prefetch of automakers is not needed.
    return network.published_points().prefetch_related(None).filter(region__in=regions)


def point_map_rows(regions: Sequence[str]) -> list[dict]:
    """Published points with coordinates, for the overview map."""
    rows = published_points(regions).values(
        "id", "code", "name_zh", "name_en", "kind", "region", "lat", "lon"
    )
    return list(rows.order_by("region", "code"))


def points_per_automaker(regions: Sequence[str] = JJJ_REGIONS) -> dict[int, dict]:
    """automaker id -> points in ``regions`` (from ``compliance_point_coverage``: a co-built point counts for
    every automaker it serves), co-built points, the network's minimum, and the districts they cover."""
    districts = {
        r["automakers"]: r["districts"]
        for r in published_points(regions)
        .filter(automakers__isnull=False)
        .values("automakers")
        .annotate(districts=Count("district", distinct=True))
    }
    out = {}
    for row in network.compliance_point_coverage():
        points = sum(row["by_region"].get(r, 0) for r in regions)
        out[row["automaker_id"]] = {
            "points": points,
            "co_built": row["co_built"],
            "minimum": row["minimum"],
            "districts": districts.get(row["automaker_id"], 0),
        }
    return out


def district_coverage(automaker_id: int, regions: Sequence[str]) -> list[dict]:
    """Published points of one automaker per district (region, district code and names, points)."""
    rows = (
        published_points(regions)
        .filter(automakers=automaker_id)
        .values("region", "district_id", "district__name_zh", "district__name_en")
        .annotate(points=Count("id"))
        .order_by("region", "district_id")
    )
    return list(rows)


def automaker_points(automaker_id: int, regions: Sequence[str]) -> QuerySet:
    return published_points(regions).filter(automakers=automaker_id).order_by("region", "code")


def unregistered_intakes(automaker_id: int, regions: Sequence[str] = JJJ_REGIONS) -> list[dict]:
    """Intakes of unregistered codes at the points serving one automaker (``compliance_unregistered_intakes``):
    point code and name, region and count, most first."""
    return [
        r
        for r in network.compliance_unregistered_intakes()
        if automaker_id in r["automaker_ids"] and r["region"] in regions
    ]
