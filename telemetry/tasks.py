"""Celery tasks of the telemetry store; each calls one service."""

from celery import shared_task

from . import conf, services


@shared_task(name="telemetry.tasks.raw_frames_purge", ignore_result=True)
def raw_frames_purge() -> int:
    return services.raw_frames_purge(days=conf.get("TELEMETRY_RAW_RETENTION_DAYS"))


@shared_task(name="telemetry.tasks.partitions_maintain", ignore_result=True)
def partitions_maintain() -> dict:
    return services.partitions_maintain(
        ahead=conf.get("TELEMETRY_PARTITIONS_AHEAD"), keep_months=conf.get("TELEMETRY_PARTITIONS_KEEP_MONTHS")
    )
