"""Celery beat entries of the national sync, merged by config/celery.py (R-SHARE)."""

from __future__ import annotations

import importlib

from celery.schedules import crontab


def _dashboards_refresh() -> dict:
    """The dashboards' materialised-view refresh, when that app provides the task."""
    try:
        module = importlib.import_module("dashboards.tasks")
    except ImportError:
        return {}
    if not hasattr(module, "refresh_materialised_views"):
        return {}
    return {
        "dashboards-refresh-materialised-views": {
            "task": "dashboards.tasks.refresh_materialised_views",
            "schedule": crontab(minute="*/15"),
        }
    }


BEAT_SCHEDULE = {
    "national-sync-dispatch": {"task": "national_sync.tasks.outbox_dispatch", "schedule": 5.0},
    "national-sync-reconcile-daily": {
        "task": "national_sync.tasks.reconcile_daily",
        "schedule": crontab(hour=2, minute=30),
    },
    "national-sync-witness-tree-heads": {"task": "national_sync.tasks.witness_sync", "schedule": 60.0},
    "national-sync-prune-send-log": {
        "task": "national_sync.tasks.send_log_prune",
        "schedule": crontab(hour=3, minute=10),
    },
    **_dashboards_refresh(),
}
