"""Configuration of the telemetry gateway and store, from Django settings or the environment (settings win)."""

from __future__ import annotations

from typing import Any

from core.conf import setting

_DEFAULTS: dict[str, tuple[type, Any]] = {
    "TELEMETRY_RAW_RETENTION_DAYS": (int, 30),  # raw frames kept for audit
    "TELEMETRY_PARTITIONS_AHEAD": (int, 3),  # months of sample partitions created in advance
    "TELEMETRY_PARTITIONS_KEEP_MONTHS": (int, 0),  # older partitions are detached; 0 keeps them all
    "TELEMETRY_IDLE_TIMEOUT": (float, 180.0),  # seconds without a frame before a connection is closed
    "TELEMETRY_FRAME_TIMEOUT": (float, 10.0),  # seconds an incomplete frame may wait for its rest
    "TELEMETRY_BATCH_MAX_DELAY": (float, 0.01),  # least seconds between the starts of two batches
    "TELEMETRY_BATCH_MAX_ROWS": (int, 2000),
    # "false" lets a batch commit without waiting for the WAL flush: a database crash may then lose the last
    # fraction of a second of acknowledged samples (see docs/telemetry.md); keep the default in production
    "TELEMETRY_SYNCHRONOUS_COMMIT": (
        lambda v: str(v).strip().lower() not in {"0", "false", "no", "off"},
        True,
    ),
    # forwarding platforms (GB/T 32960.3 clause 7.5): "user:password,user2:password2"
    "TELEMETRY_PLATFORM_ACCOUNTS": (str, ""),
}


def get(name: str) -> Any:
    return setting(_DEFAULTS, name)


def platform_accounts() -> dict[str, str]:
    pairs = (item.split(":", 1) for item in get("TELEMETRY_PLATFORM_ACCOUNTS").split(",") if ":" in item)
    return {user.strip(): password for user, password in pairs}


STATUS_KEY_PREFIX = "telemetry:gateway:"
STATUS_TTL_SECONDS = 30
