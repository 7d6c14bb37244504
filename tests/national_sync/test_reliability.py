"""Delivery survives a faulty platform and killed workers: nothing lost, nothing duplicated, order kept.

A real simulator process (30% errors, random delays, lost acknowledgements), a real Celery worker on
Redis, 20,000 records, the worker SIGKILLed twice mid-run and restarted.
"""

import signal
import time

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count

from config.celery import app
from national_sync.models import OutboxRecord
from national_sync.simulator.harness import (
    clear_queue,
    free_port,
    kill_group,
    start_simulator,
    start_worker,
    stop,
)
from tests.dsn import dsn_of

from .support import enqueue

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings(
        "ignore::celery.exceptions.AlwaysEagerIgnored"
    ),  # send_task goes to Redis: wanted
]

BATTERIES, PER_BATTERY = 2000, 10
TOTAL = BATTERIES * PER_BATTERY
DEADLINE_SECONDS = 150


def sent_count() -> int:
    return OutboxRecord.objects.filter(status="sent").count()


def wait_until(predicate, *, deadline: float, what: str, workers=(), sim=None, dispatch=None):
    while time.monotonic() < deadline:
        if predicate():
            return
        for proc in [*workers, sim]:
            if proc is not None and proc.poll() is not None:
                pytest.fail(f"{proc.args[:3]} exited early with {proc.returncode} while waiting for {what}")
        if dispatch:
            dispatch()
        time.sleep(0.1)
    counts = dict(OutboxRecord.objects.values_list("status").annotate(n=Count("id")))
    pytest.fail(f"timed out waiting for {what}: {counts}")


def test_no_record_lost_or_duplicated_when_workers_are_killed(tmp_path):
    broker = redis.Redis.from_url(settings.REDIS_URL)
    clear_queue(broker)  # no task left from an earlier run
    dsn = dsn_of(connection)
    port = free_port()
    sim = start_simulator(
        dsn, port, "--error-rate", "0.3", "--delay", "0:0.03", "--timeout-rate", "0.02", "--hang-seconds", "1.5",
        "--duplicate-ack-rate", "0.05", "--seed", "7", log=tmp_path / "simulator.log",
    )  # fmt: skip
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.national_sync.worker_settings",
        "DATABASE_URL": dsn,
        "REDIS_URL": settings.REDIS_URL,
        "NATIONAL_PLATFORM_URL": f"http://127.0.0.1:{port}",
        "NATIONAL_PLATFORM_TIMEOUT": "1",
        "NATIONAL_SYNC_BATCH_SIZE": "250",
        "NATIONAL_SYNC_LEASE_SECONDS": "4",
        "NATIONAL_SYNC_DRAIN_SECONDS": "5",
        "NATIONAL_SYNC_BACKOFF_BASE": "0.05",
        "NATIONAL_SYNC_BACKOFF_CAP": "0.5",
        "NATIONAL_SYNC_MAX_ATTEMPTS": "40",
        "NATIONAL_SYNC_DRAINERS": "4",
        "NATIONAL_SYNC_RATE_LIMIT": "0",
    }
    workers = []

    def dispatch():
        """Beat's part: ask for drains when the queue is empty (after a kill, the queued tasks are gone)."""
        if broker.llen("celery") == 0:
            app.send_task("national_sync.tasks.outbox_dispatch")

    try:
        assert enqueue(batteries=BATTERIES, per_battery=PER_BATTERY) == TOTAL
        deadline = time.monotonic() + DEADLINE_SECONDS
        workers.append(start_worker(env, name="sync-a", log=tmp_path / "worker.log"))
        for i, threshold in enumerate((TOTAL // 5, TOTAL // 2)):
            wait_until(lambda t=threshold: sent_count() >= t, deadline=deadline, what=f"{threshold} sent",
                       workers=workers[-1:], sim=sim, dispatch=dispatch)  # fmt: skip
            kill_group(workers[-1], signal.SIGKILL)
            assert workers[-1].returncode == -signal.SIGKILL
            assert sent_count() < TOTAL  # the kill landed mid-run
            workers.append(start_worker(env, name=f"sync-r{i}", log=tmp_path / "worker.log"))
        wait_until(lambda: not OutboxRecord.objects.exclude(status="sent").exists(), deadline=deadline,
                   what="the queue to drain", workers=workers[-1:], sim=sim, dispatch=dispatch)  # fmt: skip
    finally:
        for proc in workers:
            stop(proc)
        stop(sim)
        clear_queue(broker)

    assert OutboxRecord.objects.filter(status="sent").count() == TOTAL
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(DISTINCT key), coalesce(sum(receipts), 0) FROM national_sim.records"
        )
        stored, distinct, receipts = cur.fetchone()
        cur.execute(
            "SELECT count(*) FROM national_sync_outboxrecord o "
            "LEFT JOIN national_sim.records r ON r.key = o.idempotency_key WHERE r.key IS NULL"
        )
        (lost,) = cur.fetchone()
        # Order per battery: upstream arrival order (seq) must follow each battery's record order.
        cur.execute(
            """
            SELECT count(*) FROM (
                SELECT (payload->>'seq')::int AS n,
                       lag((payload->>'seq')::int) OVER (PARTITION BY partition_key ORDER BY seq) AS prev
                FROM national_sim.records) t
            WHERE prev IS NOT NULL AND prev > n
            """
        )
        (out_of_order,) = cur.fetchone()
    print(f"\nreliability: {stored} stored once of {TOTAL}, {receipts - stored} resends absorbed, "
          f"{len(workers)} worker starts (2 SIGKILLed), {out_of_order} out of order")  # fmt: skip
    assert lost == 0
    assert stored == distinct == TOTAL  # every record exactly once upstream
    assert out_of_order == 0
    # The faults really happened: resends were absorbed by the idempotency keys.
    assert receipts > stored
