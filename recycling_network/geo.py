"""Coordinates for service points (R-PUBLIC): GCJ-02 ↔ WGS-84 and great-circle distance. Pure module.

Service points are stored in WGS-84. Maps and address look-ups in China commonly hand out GCJ-02
("Mars coordinates", the obfuscated datum required by GB 20263 for published maps), which lies 100–700 m
off WGS-84. Input marked as GCJ-02 is converted on entry:

- ``wgs84_to_gcj02`` is the published forward transform (Krasovsky 1940 ellipsoid, a = 6378245 m,
  e² = 0.00669342162296594323, the two trigonometric series for Δlat and Δlon).
- ``gcj02_to_wgs84`` inverts it by fixed-point iteration: start at the GCJ-02 point, apply the forward
  transform, move by the residual, repeat until the residual is below 1e-9° (≈ 0.1 mm); it converges in
  3–5 steps because the offset field changes slowly. The one-step approximation often seen elsewhere errs
  by up to a few metres; the iteration removes that.
- Outside mainland China the transform is the identity, as in the forward transform.
"""

from __future__ import annotations

import math

A = 6378245.0
EE = 0.00669342162296594323
EARTH_RADIUS_M = 6371008.8


def out_of_china(lat: float, lon: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _delta(lat: float, lon: float) -> tuple[float, float]:
    d_lat = _transform_lat(lon - 105.0, lat - 35.0)
    d_lon = _transform_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((A * (1 - EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _delta(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(
    lat: float, lon: float, *, tolerance: float = 1e-9, max_steps: int = 30
) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(max_steps):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        r_lat, r_lon = lat - g_lat, lon - g_lon
        w_lat, w_lon = w_lat + r_lat, w_lon + r_lon
        if abs(r_lat) < tolerance and abs(r_lon) < tolerance:
            break
    return w_lat, w_lon


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres on the mean Earth sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def parse_lat_lon(text: str) -> tuple[float, float]:
    """``"39.9,116.4"`` → (39.9, 116.4); raises ValueError with a reason."""
    parts = [p.strip() for p in (text or "").split(",")]
    if len(parts) != 2:
        raise ValueError("expected 'latitude,longitude', e.g. 39.9042,116.4074")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError("latitude and longitude must be numbers")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be within ±90 and longitude within ±180")
    return lat, lon
