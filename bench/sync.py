"""National-sync benchmark (R-SHARE): records per second delivered to the simulator by Celery workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jjj_sync REDIS_URL=redis://127.0.0.1:6379/6 \\
        .venv/bin/python bench/sync.py --records 20000 --workers 1,2 --faults 0,0.3

For each (fault rate, workers) pair: a fresh simulator process (``--reset``; with faults: that share of
batches fails with 503, half of them after storing, plus 0-30 ms random delays), ``--records`` records in the
outbox (10 per battery), ``workers`` Celery worker processes (``-c 1`` each) started and pinged before the
clock starts; the clock runs from the first dispatch until no record is pending. Every run checks that the
simulator holds each record exactly once.

Uses its own database (``<DATABASE_URL name>_bench``, created and migrated when missing) and empties the
default Celery queue of REDIS_URL.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DEBUG"] = "false"

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jjj_sync")
parsed = urlparse(BASE_URL)
BENCH_DB = parsed.path.lstrip("/") + "_bench"
os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path="/" + BENCH_DB))


def ensure_database() -> None:
    import psycopg2

    admin = psycopg2.connect(urlunparse(parsed._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        if not cur.fetchone():
            cur.execute(f'CREATE DATABASE "{BENCH_DB}"')
    admin.close()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=20000)
    p.add_argument("--workers", default="1,2")
    p.add_argument("--faults", default="0,0.3")
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per run before giving up")
    args = p.parse_args()

    ensure_database()
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.db import connection

    from config.celery import app
    from national_sync.field_map import MappedRecord
    from national_sync.models import OutboxRecord, SendAttempt, SyncShard
    from national_sync.services import outbox_rows_insert
    from national_sync.simulator.harness import clear_queue, free_port, start_simulator, start_worker, stop

    broker = redis.Redis.from_url(settings.REDIS_URL)
    results = []
    for fault in [float(f) for f in args.faults.split(",")]:
        for workers in [int(w) for w in args.workers.split(",")]:
            clear_queue(broker)
            with connection.cursor() as cur:
                cur.execute(
                    f"TRUNCATE {OutboxRecord._meta.db_table}, {SendAttempt._meta.db_table}, {SyncShard._meta.db_table}"
                )
            port = free_port()
            extra = ["--error-rate", str(fault), "--delay", "0:0.03"] if fault else []
            sim = start_simulator(os.environ["DATABASE_URL"], port, *extra, "--seed", "1")
            env = {
                "NATIONAL_PLATFORM_URL": f"http://127.0.0.1:{port}", "NATIONAL_PLATFORM_TIMEOUT": "5",
                "NATIONAL_SYNC_BATCH_SIZE": str(args.batch_size), "NATIONAL_SYNC_DRAINERS": str(2 * workers),
                "NATIONAL_SYNC_BACKOFF_BASE": "0.1", "NATIONAL_SYNC_BACKOFF_CAP": "2", "NATIONAL_SYNC_MAX_ATTEMPTS": "50",
                "NATIONAL_SYNC_DRAIN_SECONDS": "20",
            }  # fmt: skip
            procs = [start_worker(env, name=f"bench{i}", concurrency=1) for i in range(workers)]
            try:
                deadline = time.monotonic() + 60
                while len(app.control.ping(timeout=1.0) or []) < workers:
                    if time.monotonic() > deadline:
                        raise TimeoutError("workers did not answer a ping")
                batteries = max(1, args.records // 10)
                rows = [
                    MappedRecord(kind="lifecycle_event", object_id=f"{b}-{s}", partition_key=f"BENCH{b:07d}",
                                 region="BJ", data={"batteryCode": f"BENCH{b:07d}", "seq": s, "place": "bench"})
                    for s in range(10) for b in range(batteries)
                ]  # fmt: skip
                outbox_rows_insert(rows=rows)
                total = len(rows)
                t0 = time.monotonic()
                while OutboxRecord.objects.filter(status="pending").exists():
                    if broker.llen("celery") == 0:
                        app.send_task("national_sync.tasks.outbox_dispatch")
                    if time.monotonic() - t0 > args.timeout:
                        raise TimeoutError("queue did not drain")
                    time.sleep(0.05)
                elapsed = time.monotonic() - t0
            finally:
                for proc in procs:
                    stop(proc)
                stop(sim)
            with connection.cursor() as cur:
                cur.execute("SELECT count(*), coalesce(sum(receipts), 0) FROM national_sim.records")
                stored, receipts = cur.fetchone()
            failed = SendAttempt.objects.filter(ok=False).count()
            batches = SendAttempt.objects.count()
            rate = total / elapsed
            results.append((fault, workers, total, elapsed, rate, stored, receipts - stored, failed, batches))
            print(f"faults {fault:>4.0%}  workers {workers}  {total} records in {elapsed:6.2f} s  = {rate:8.0f} records/s"
                  f"  (stored {stored}, resends absorbed {receipts - stored}, failed batches {failed}/{batches})",
                  flush=True)  # fmt: skip
            if stored != total:
                print("  ERROR: the simulator does not hold every record exactly once", flush=True)
                return 1
    clear_queue(broker)
    print("\n| faults | workers | records | seconds | records/s |\n|---|---|---|---|---|")
    for fault, workers, total, elapsed, rate, *_ in results:
        print(f"| {fault:.0%} | {workers} | {total} | {elapsed:.2f} | {rate:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
