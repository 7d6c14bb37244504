"""Celery beat entries of the telemetry store, merged by config/celery.py."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "telemetry-partitions": {
        "task": "telemetry.tasks.partitions_maintain",
        "schedule": crontab(hour=1, minute=10),
    },
    "telemetry-raw-frames-purge": {
        "task": "telemetry.tasks.raw_frames_purge",
        "schedule": crontab(hour=3, minute=40),
    },
}
