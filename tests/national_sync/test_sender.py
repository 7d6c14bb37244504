import random
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from core.models import AuditLog
from national_sync import ratelimit, services
from national_sync.canonical import backoff_delay
from national_sync.models import OutboxRecord, SendAttempt, SyncShard

from .support import enqueue

pytestmark = pytest.mark.django_db


def arrival_seqs(platform, battery):
    return [
        platform.stored[k].data["seq"] for k in platform.arrivals if platform.stored[k].partition == battery
    ]


def test_drain_delivers_everything_once_in_order_per_battery(platform, settings):
    settings.NATIONAL_SYNC_BATCH_SIZE = 7
    enqueue(batteries=5, per_battery=6)
    report = services.outbox_drain(budget_seconds=30)
    assert report.sent == 30
    assert OutboxRecord.objects.filter(status="sent").count() == 30
    assert len(platform.stored) == 30
    for b in range(5):
        assert arrival_seqs(platform, f"BAT{b:07d}") == list(range(6))
    assert SendAttempt.objects.filter(ok=True).exists()


def test_only_acknowledged_records_are_marked_sent(platform):
    enqueue(batteries=1, per_battery=4)
    platform.ack_only = 2
    services.outbox_drain(budget_seconds=0.5)
    statuses = list(OutboxRecord.objects.order_by("id").values_list("status", "attempts"))
    assert statuses[:2] == [("sent", 1), ("sent", 1)]
    assert all(s == "pending" for s, _ in statuses[2:])
    assert OutboxRecord.objects.filter(status="pending").first().last_error == "2 record(s) not acknowledged"


def test_transient_failure_backs_off_and_keeps_records_pending(platform):
    enqueue(batteries=2, per_battery=2)
    platform.fail_next = 100
    before = timezone.now()
    report = services.outbox_drain(budget_seconds=0.5)  # shorter than the backoff: no second try
    assert report.sent == 0 and report.failed_batches >= 1
    assert not platform.stored
    rec = OutboxRecord.objects.first()
    assert rec.status == "pending" and rec.attempts == 1 and "503" in rec.last_error
    shard = SyncShard.objects.get(pk=rec.shard)
    assert shard.failures == 1 and shard.next_attempt_at > before and not shard.lease_owner
    # The shard is in backoff: a second drain does not hammer the platform.
    calls = platform.calls
    services.outbox_drain(budget_seconds=0.5)
    assert platform.calls == calls


def test_a_drain_waits_out_a_short_backoff_within_its_budget(platform, settings):
    settings.NATIONAL_SYNC_BACKOFF_BASE = 0.05
    enqueue(batteries=1, per_battery=2)
    platform.fail_next = 2
    report = services.outbox_drain(budget_seconds=10)
    assert report.failed_batches == 2 and report.sent == 2
    assert OutboxRecord.objects.filter(status="sent", attempts=3).count() == 2


def test_after_max_attempts_a_record_becomes_a_dead_letter_with_its_error(platform, settings):
    settings.NATIONAL_SYNC_MAX_ATTEMPTS = 3
    settings.NATIONAL_SYNC_BACKOFF_BASE = 0
    enqueue(batteries=1, per_battery=1)
    platform.fail_next = 3
    for _ in range(3):
        SyncShard.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        services.outbox_drain(budget_seconds=0.5)
    rec = OutboxRecord.objects.get()
    assert rec.status == "dead" and rec.attempts == 3 and "injected" in rec.last_error


def test_a_dead_letter_holds_its_battery_back_but_not_the_others(platform, admin_user):
    enqueue(batteries=2, per_battery=3)
    first = OutboxRecord.objects.filter(partition_key="BAT0000000").order_by("id").first()
    platform.reject = {first.idempotency_key}
    services.outbox_drain(budget_seconds=2)
    first.refresh_from_db()
    assert first.status == "dead" and first.last_error == "rejected: invalid"
    assert arrival_seqs(platform, "BAT0000001") == [0, 1, 2]
    assert arrival_seqs(platform, "BAT0000000") == []  # later records wait behind the dead letter
    assert OutboxRecord.objects.filter(partition_key="BAT0000000", status="pending").count() == 2

    platform.reject = set()
    assert services.outbox_dead_letter_retry(actor=admin_user, ids=[first.pk]) == 1
    assert AuditLog.objects.filter(action="national_sync.dead_letter_retry", actor=admin_user).exists()
    services.outbox_drain(budget_seconds=2)
    assert arrival_seqs(platform, "BAT0000000") == [0, 1, 2]


def test_an_expired_lease_is_taken_over_and_the_old_owner_stops(platform):
    enqueue(batteries=1, per_battery=1)
    shard = services.shard_claim(owner="worker-a")
    assert shard is not None
    assert services.shard_claim(owner="worker-b") is None  # held
    SyncShard.objects.filter(pk=shard).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert services.shard_claim(owner="worker-b") == shard  # worker-a was killed: its lease ran out
    assert services.shard_renew(shard=shard, owner="worker-a") is False
    assert services.shard_renew(shard=shard, owner="worker-b") is True


def test_resending_an_unacknowledged_batch_does_not_duplicate_upstream(platform):
    enqueue(batteries=1, per_battery=3)
    platform.ack_only = 0  # the platform stores nothing and acknowledges nothing
    services.outbox_drain(budget_seconds=0.5)
    platform.ack_only = None
    SyncShard.objects.update(next_attempt_at=timezone.now())
    # Simulate a lost acknowledgement: the platform already has the first record.
    rec = OutboxRecord.objects.order_by("id").first()
    platform.send_batch(services._pending_batch(rec.shard, 1)[0])
    services.outbox_drain(budget_seconds=2)
    assert len(platform.stored) == 3 and len(platform.arrivals) == 3
    assert OutboxRecord.objects.filter(status="sent").count() == 3


def test_rate_limit_waits_for_the_next_window(settings):
    class FakeRedis:
        def __init__(self):
            self.counts = {}

        def pipeline(self):
            return self

        def incrby(self, key, n):
            self.counts[key] = self.counts.get(key, 0) + n
            self._last = self.counts[key]

        def expire(self, key, ttl):
            pass

        def execute(self):
            return [self._last]

    clock = [1000.2]
    slept = []

    def sleep(s):
        slept.append(s)
        clock[0] += s

    ratelimit._redis = FakeRedis()
    try:
        assert ratelimit.acquire(80, limit=100, sleep=sleep, clock=lambda: clock[0]) == 0
        waited = ratelimit.acquire(80, limit=100, sleep=sleep, clock=lambda: clock[0])
        assert waited == pytest.approx(0.8) and slept == [pytest.approx(0.8)]
    finally:
        ratelimit._redis = None


@given(failures=st.integers(min_value=1, max_value=40), seed=st.integers())
def test_backoff_grows_and_stays_under_the_cap(failures, seed):
    delay = backoff_delay(failures, base=1.0, cap=60.0, rng=random.Random(seed))
    ceiling = min(60.0, 2 ** (failures - 1))
    assert ceiling / 2 <= delay <= ceiling
