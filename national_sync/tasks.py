"""Celery tasks of the national sync; each calls one service (R-SHARE)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import conf, services
from .models import SendAttempt

log = logging.getLogger(__name__)


@shared_task(name="national_sync.tasks.outbox_drain", acks_late=True, soft_time_limit=300, time_limit=360)
def outbox_drain() -> dict:
    report = services.outbox_drain()
    return {
        "batches": report.batches,
        "sent": report.sent,
        "failed": report.failed_batches,
        "dead": report.dead,
    }


def _queued_tasks() -> int:
    """Tasks waiting in the default Redis queue, so that the dispatcher does not pile drains up."""
    try:
        import redis  # noqa: PLC0415

        return int(redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2).llen("celery"))
    except Exception:  # not a Redis broker: assume an empty queue
        return 0


@shared_task(name="national_sync.tasks.outbox_dispatch", ignore_result=True)
def outbox_dispatch() -> int:
    """Start as many drain tasks as there are shards with work (at most NATIONAL_SYNC_DRAINERS)."""
    wanted = min(services.claimable_shards(), conf.get("NATIONAL_SYNC_DRAINERS")) - _queued_tasks()
    for _ in range(max(0, wanted)):
        outbox_drain.delay()
    return max(0, wanted)


@shared_task(name="national_sync.tasks.reconcile_daily", acks_late=True)
def reconcile_daily(days: int = 7) -> dict:
    today = timezone.localdate()
    run = services.reconciliation_run(since=today - timedelta(days=days - 1), until=today)
    if run.requeued:
        outbox_dispatch.delay()
    return {"run": run.pk, "mismatches": len(run.mismatches), "requeued": run.requeued, "error": run.error}


@shared_task(name="national_sync.tasks.send_log_prune", ignore_result=True)
def send_log_prune(days: int = 30) -> int:
    deleted, _ = SendAttempt.objects.filter(started_at__lt=timezone.now() - timedelta(days=days)).delete()
    return deleted
