"""The public, open-data listing of service points (R-PUBLIC), shared by the page and the API: the origin of
"nearest to me" and the exported row."""

from __future__ import annotations

from rest_framework import exceptions

from .geo import gcj02_to_wgs84, parse_lat_lon
from .models import Division


def nearest_origin(params) -> tuple[float, float] | None:
    """(lat, lon) in WGS-84 from ``near=lat,lon`` (``near_system=gcj02`` converts) or ``near_district=code``
    (the district's centroid); None when neither is given. Raises ValidationError on bad input."""
    if params.get("near"):
        try:
            lat, lon = parse_lat_lon(params["near"])
        except ValueError as exc:
            raise exceptions.ValidationError({"near": [str(exc)]})
        if params.get("near_system") == "gcj02":
            lat, lon = gcj02_to_wgs84(lat, lon)
        return lat, lon
    if params.get("near_district"):
        division = Division.objects.filter(code=params["near_district"]).first()
        if division is None:
            raise exceptions.ValidationError({"near_district": ["unknown district code"]})
        return division.lat, division.lon
    return None


PUBLIC_CSV_HEADER = [
    "code",
    "name_zh",
    "name_en",
    "kind",
    "region",
    "district_code",
    "district",
    "address",
    "lat",
    "lon",
    "operator",
    "operator_uscc",
    "automakers_uscc",
    "co_built",
    "opening_hours",
    "contact_phone",
    "capacity_packs",
    "capacity_kg",
    "distance_km",
]


def public_csv_row(point, distance_m: float | None = None) -> list:
    automakers = list(point.automakers.all())
    return [
        point.code,
        point.name_zh,
        point.name_en,
        point.kind,
        point.region,
        point.district_id,
        point.district.name_zh,
        point.address,
        round(point.lat, 6),
        round(point.lon, 6),
        point.operator.name_zh,
        point.operator.uscc,
        " ".join(a.uscc for a in automakers),
        "yes" if len(automakers) > 1 else "no",
        point.opening_hours,
        point.contact_phone if point.phone_public else "",
        point.capacity_packs,
        point.capacity_kg,
        round(distance_m / 1000, 2) if distance_m is not None else "",
    ]
