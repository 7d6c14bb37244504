"""Celery tasks of the national sync; each calls one service (R-SHARE)."""

from __future__ import annotations

import logging
from datetime import timedelta

import redis
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts.choices import REGION_DIVISION

from . import conf, services, witness
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


WITNESS_BATCH = 500


@shared_task(
    name="national_sync.tasks.witness_sync",
    acks_late=True,
    ignore_result=True,
    soft_time_limit=120,
    time_limit=150,
)
def witness_sync(rounds: int = 20) -> dict:
    """Each region's witness reads the signed tree heads published since the last it accepted and checks that
    they extend it (R-SHARE; RFC 9162 §8.2): ``rounds`` feed pages at most per region and run, so a witness that
    fell behind catches up over a few runs. A head that does not extend is kept as an alert."""
    report = {}
    for region in REGION_DIVISION:
        seen, top = 0, -1
        for _ in range(rounds):
            new = witness.witness_sync(witness_region=region, limit=WITNESS_BATCH)
            seen += len(new)
            largest = max((h.tree_size for h in new), default=-1)
            # a full page that got no further (heads refused after an alert are read again) ends the run too
            if len(new) < WITNESS_BATCH or largest <= top:
                break
            top = largest
        report[region] = {"seen": seen, "alerts": witness.alerts(witness_region=region).count()}
    return report
