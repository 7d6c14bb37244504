"""Reads of the national sync: queue figures for the operations page and /metrics, dead letters, and the
three-region exchange feed (R-SHARE)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from . import conf
from .filtersets import OutboxRecordFilterSet
from .models import OutboxRecord, OutboxStatus, ReconciliationRun, SendAttempt

OUTBOX = OutboxRecord._meta.db_table


@dataclass(frozen=True)
class QueueStats:
    pending: int
    dead: int
    oldest_pending_at: datetime | None
    window_seconds: int
    sent_in_window: int
    batches_in_window: int
    failed_batches_in_window: int
    last_reconciliation: ReconciliationRun | None

    @property
    def oldest_pending_age(self) -> float:
        return (timezone.now() - self.oldest_pending_at).total_seconds() if self.oldest_pending_at else 0.0

    @property
    def send_rate(self) -> float:
        """Records acknowledged per second over the window."""
        return self.sent_in_window / self.window_seconds

    @property
    def error_rate(self) -> float:
        """Share of batches that failed over the window."""
        return self.failed_batches_in_window / self.batches_in_window if self.batches_in_window else 0.0


def queue_stats(*, window_seconds: int = 300) -> QueueStats:
    with connection.cursor() as cur:
        # Partial indexes keep these cheap however many records were sent already.
        cur.execute(f"SELECT count(*), min(created_at) FROM {OUTBOX} WHERE status = 'pending'")
        pending, oldest = cur.fetchone()
        cur.execute(f"SELECT count(*) FROM {OUTBOX} WHERE status = 'dead'")
        (dead,) = cur.fetchone()
    window = SendAttempt.objects.filter(started_at__gte=timezone.now() - timedelta(seconds=window_seconds))
    agg = window.aggregate(
        sent=Sum("acknowledged"), batches=Count("id"), failed=Count("id", filter=Q(ok=False))
    )
    return QueueStats(
        pending=pending,
        dead=dead,
        oldest_pending_at=oldest,
        window_seconds=window_seconds,
        sent_in_window=agg["sent"] or 0,
        batches_in_window=agg["batches"] or 0,
        failed_batches_in_window=agg["failed"] or 0,
        last_reconciliation=ReconciliationRun.objects.first(),
    )


def dead_letter_list(*, filters: dict | None = None) -> QuerySet[OutboxRecord]:
    qs = OutboxRecord.objects.filter(status=OutboxStatus.DEAD).order_by("id")
    return OutboxRecordFilterSet(filters or {}, queryset=qs).qs


def recent_failures(*, limit: int = 10) -> QuerySet[SendAttempt]:
    return SendAttempt.objects.filter(ok=False).order_by("-started_at")[:limit]


def exchange_feed_records(*, region: str, since: int, limit: int) -> list[OutboxRecord]:
    """Records of ``region`` after cursor ``since``, oldest first.

    Only rows older than a short settle time are served: ids are taken at insert but rows become visible
    at commit, so a younger row could still be overtaken by a lower id committing later.
    """
    settle = timezone.now() - timedelta(seconds=conf.get("NATIONAL_SYNC_FEED_SETTLE_SECONDS"))
    return list(
        OutboxRecord.objects.filter(region=region, id__gt=since, created_at__lte=settle)
        .order_by("id")
        .only("id", "kind", "region", "record_day", "idempotency_key", "partition_key", "payload", "payload_hash",
              "created_at")[:limit]
    )  # fmt: skip
