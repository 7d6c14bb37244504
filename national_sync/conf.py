"""Configuration of the national sync, from Django settings or the environment (settings win)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

from core.conf import setting

DEFAULT_SIMULATOR_URL = "http://127.0.0.1:8765"

_DEFAULTS: dict[str, tuple[type, Any]] = {
    "NATIONAL_PLATFORM_TOKEN": (str, ""),
    "NATIONAL_PLATFORM_TIMEOUT": (float, 10.0),  # seconds per request
    "NATIONAL_PLATFORM_CLIENT": (str, "national_sync.client.HttpNationalPlatformClient"),
    "NATIONAL_SYNC_SOURCE": (str, "JJJ"),  # prefix of idempotency keys: one per platform instance
    "NATIONAL_SYNC_SHARDS": (int, 16),
    "NATIONAL_SYNC_BATCH_SIZE": (int, 1000),
    "NATIONAL_SYNC_MAX_ATTEMPTS": (int, 10),
    "NATIONAL_SYNC_BACKOFF_BASE": (float, 2.0),
    "NATIONAL_SYNC_BACKOFF_CAP": (float, 600.0),
    "NATIONAL_SYNC_LEASE_SECONDS": (float, 60.0),
    "NATIONAL_SYNC_DRAIN_SECONDS": (float, 50.0),
    "NATIONAL_SYNC_DRAINERS": (int, 4),
    "NATIONAL_SYNC_THREADS": (int, 2),  # shards sent at once by one drain task
    "NATIONAL_SYNC_RATE_LIMIT": (int, 0),  # records per second across all workers; 0 = unlimited
    "NATIONAL_SYNC_FEED_SETTLE_SECONDS": (float, 2.0),
    "NATIONAL_SYNC_METRICS_TOKEN": (str, ""),
    "EXCHANGE_SIGNING_KEY": (str, ""),
}


def get(name: str) -> Any:
    return setting(_DEFAULTS, name)


def platform_url() -> str:
    return (getattr(settings, "NATIONAL_PLATFORM_URL", "") or os.environ.get("NATIONAL_PLATFORM_URL", "")
            or DEFAULT_SIMULATOR_URL).rstrip("/")  # fmt: skip
