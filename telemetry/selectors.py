"""Reads of vehicle telemetry: samples by vehicle and by pack, gateway status, and the health figures that
valuation and the passport's dynamic data read (R-DATA; GB/T 32960.3-2016 real-time data)."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from django.conf import settings

from . import conf
from .models import Sample

log = logging.getLogger(__name__)


def gateway_status() -> list[dict]:
    """The status each running gateway published (sessions, frames/s, faults by kind); empty if none runs."""
    try:
        import redis  # noqa: PLC0415

        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        out = []
        for key in sorted(client.scan_iter(match=conf.STATUS_KEY_PREFIX + "*", count=100)):
            raw = client.get(key)
            if raw:
                status = json.loads(raw)
                status["name"] = key.decode()[len(conf.STATUS_KEY_PREFIX) :]
                out.append(status)
        return out
    except Exception:  # noqa: BLE001 - status is best effort: a page or a scrape never fails on it
        log.warning("gateway status unavailable", exc_info=True)
        return []


def samples_for_vehicle(*, vin: str, since: datetime | None = None, until: datetime | None = None):
    qs = Sample.objects.filter(vin=vin)
    if since is not None:
        qs = qs.filter(sampled_at__gte=since)
    if until is not None:
        qs = qs.filter(sampled_at__lt=until)
    return qs.order_by("sampled_at")


def samples_for_battery(*, battery_id: int, since: datetime | None = None, until: datetime | None = None):
    qs = Sample.objects.filter(battery_id=battery_id)
    if since is not None:
        qs = qs.filter(sampled_at__gte=since)
    if until is not None:
        qs = qs.filter(sampled_at__lt=until)
    return qs.order_by("sampled_at")
