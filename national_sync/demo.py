"""Demo data of the national sync: most of the demo world's outbox delivered, some still queued, a few dead
letters, and a recent send log, so that the operations page shows realistic figures (R-SHARE)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from core.demo import DemoWorld

from .models import OutboxRecord, OutboxStatus, ReconciliationRun, SendAttempt

DEAD_LETTER_ERRORS = [
    "rejected: batteryCode not registered with the national code registry (编码未备案)",
    "rejected: actorCreditCode does not match the registered enterprise",
    "TransientError: timeout after 10.0s",
]


def seed(world: DemoWorld) -> None:
    rng, now = world.rng, timezone.now()
    ids = list(
        OutboxRecord.objects.filter(status=OutboxStatus.PENDING).order_by("id").values_list("id", flat=True)
    )
    if not ids:
        return
    # The oldest 85% were delivered: a prefix in id order keeps each battery's order intact.
    cut = int(len(ids) * 0.85)
    OutboxRecord.objects.filter(id__in=ids[:cut]).update(
        status=OutboxStatus.SENT, attempts=1, sent_at=now - timedelta(minutes=2)
    )
    # A few dead letters: the first still-pending record of some batteries, so their later records wait.
    heads = list(
        OutboxRecord.objects.filter(status=OutboxStatus.PENDING)
        .values("partition_key")
        .annotate(first=Min("id"))
        .order_by("first")
        .values_list("first", flat=True)
    )
    for pk in rng.sample(heads, k=min(len(heads), 2 + world.scale)):
        OutboxRecord.objects.filter(pk=pk).update(
            status=OutboxStatus.DEAD, attempts=10, last_error=rng.choice(DEAD_LETTER_ERRORS)
        )
    attempts = []
    for i in range(30 * world.scale):
        ok = rng.random() > 0.1
        attempts.append(
            SendAttempt(
                started_at=now - timedelta(seconds=rng.uniform(0, 290)),
                shard=i % 16,
                records=(n := rng.randint(20, 400)),
                acknowledged=n if ok else 0,
                ok=ok,
                duration_ms=rng.randint(40, 900),
                error="" if ok else "TransientError: HTTP 503: service unavailable",
            )
        )
    SendAttempt.objects.bulk_create(attempts)
    today = timezone.localdate()
    ReconciliationRun.objects.create(since=today - timedelta(days=6), until=today, days_compared=7)
