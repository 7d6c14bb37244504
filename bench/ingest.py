"""Ingest benchmark (R-BIND): vehicle-battery pairs through ``POST /api/v1/bindings/`` versus PostgreSQL COPY.

    DATABASE_URL=postgres://... .venv/bin/python bench/ingest.py --rows 1000000 --start-server

Steps, each timed and printed:
1. two organisations (a battery maker, an automaker) and API tokens are created directly in the database;
2. ``--rows`` packs are registered through ``POST /api/v1/batteries/`` in batches of ``--batch`` (sold to the
   automaker, so it may bind them);
3. the same rows (vehicles, then bindings) are copied into the same tables with ``COPY`` inside a transaction
   that is rolled back, which gives the raw rate;
4. the pairs go through ``POST /api/v1/bindings/`` in batches of ``--batch`` (``--concurrency`` clients);
5. the trace of ``--samples`` random packs is read, timed in-process (the selector, i.e. server-side work) and
   over HTTP; p50 and p95 are printed.

``--start-server`` runs gunicorn (``--workers`` processes, production settings) on a free port for the run and
stops it afterwards; otherwise ``--url`` must point at a running server using the same database.

The run writes into the database ``DATABASE_URL`` names (two organisations, ``--rows`` packs, vehicles, bindings
and events, kept afterwards), so give it one of its own; runs to be compared should start from the same database,
e.g. a fresh copy of a migrated template each time::

    createdb -T jjj_bench_template jjj_bench && DATABASE_URL=postgres://.../jjj_bench .venv/bin/python bench/ingest.py ...

The client is this process: request bodies are encoded before the clock starts (the encoding time is printed on
its own) and ``--concurrency`` threads only send bytes and count the errors, so the server is what is measured.
The load average of the machine is printed with the figures: other work on the same cores slows everything.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")  # plain HTTP on the loopback interface
os.environ.setdefault(
    "LEDGER_SIGNING_KEY", secrets.token_hex(32)
)  # production settings refuse to start without one


def _setup_django():
    import django

    django.setup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    # The bench's own interpreter runs the server: a copied virtualenv's ``bin/gunicorn`` may name another one
    # in its first line, which would measure another installation.
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         "--timeout", "600", "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "BULK_MAX_ITEMS": "10000"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    import requests

    for _ in range(100):
        try:
            requests.get(f"{url}/healthz", timeout=5)
            return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start")


def make_rows(n: int, run: str):
    from traceability import codes
    from traceability.vin import with_check_digit

    produced = date(2024, 3, 5)
    packs = [
        codes.compose(
            manufacturer="0A1",
            product_type="P",
            battery_type="E",
            spec="21",
            trace=run[:7],
            produced=produced,
            serial=i + 1,
        )  # fmt: skip
        for i in range(n)
    ]
    prefix = "LB" + run[:6]
    vins = [with_check_digit(f"{prefix}0R{i:07d}") for i in range(n)]
    sold = [f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)]
    return packs, vins, sold


def encode(batches: list[list[dict]]) -> tuple[list[bytes], float]:
    """The request bodies, encoded once before timing; returns them and the seconds it took."""
    t0 = time.perf_counter()
    bodies = [json.dumps({"items": items}, separators=(",", ":")).encode() for items in batches]
    return bodies, time.perf_counter() - t0


_SUMMARY = re.compile(rb'"error":\s*(\d+)')


def post_batches(url: str, token: str, path: str, bodies: list[bytes], concurrency: int):
    """POST pre-encoded bodies with ``concurrency`` threads (a session each); returns (seconds, item errors)."""
    import requests

    local = threading.local()
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def send(body: bytes) -> int:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        r = session.post(f"{url}{path}", data=body, headers=headers, timeout=600)
        if r.status_code != 200:
            raise SystemExit(f"{path}: HTTP {r.status_code} {r.text[:300]}")
        # The summary comes first: read its error count without decoding thousands of results.
        return int(_SUMMARY.search(r.content[:200]).group(1))

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        errors = sum(pool.map(send, bodies))
    return time.perf_counter() - start, errors


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) {five:.1f} (5 min)"


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as an operator would run after a migration of this size."""
    from django.db import connection

    with connection.cursor() as cur:
        for table in ("traceability_battery", "traceability_binding", "traceability_vehicle",
                      "traceability_lifecycleevent", "traceability_ledgerleaf"):  # fmt: skip
            cur.execute(f"ANALYZE {table}")


def _timed_copy(raw, sql: str, rows) -> float:
    """``rows`` (tab-separated text) copied in by ``sql``; the seconds the copy took."""
    rows.seek(0)
    t0 = time.perf_counter()
    raw.copy_expert(sql, rows)
    return time.perf_counter() - t0


def copy_rate(automaker_id: int, packs: list[str], vins: list[str], sold: list[str]) -> float:
    """COPY the same vehicles and bindings into the same tables, timed, then roll back."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT code, id FROM traceability_battery WHERE code = ANY(%s)", [packs])
            pack_ids = dict(cur.fetchall())
            vehicles = io.StringIO()
            for v, s in zip(vins, sold, strict=True):
                vehicles.write(f"{v}\t{automaker_id}\t\tprivate\tBJ\t{s}\t2026-01-01 00:00:00+00\n")
            raw = cur.connection.cursor()
            t_vehicles = _timed_copy(
                raw,
                "COPY traceability_vehicle (vin, automaker_id, model_name, use, region, sold_at, created_at) "
                "FROM STDIN",
                vehicles,
            )
            cur.execute("SELECT vin, id FROM traceability_vehicle WHERE vin = ANY(%s)", [vins])
            vehicle_ids = dict(cur.fetchall())
            bindings = io.StringIO()
            for p, v, s in zip(packs, vins, sold, strict=True):
                bindings.write(
                    f"{vehicle_ids[v]}\t{pack_ids[p]}\t{s} 00:00:00+08\t\\N\t\t2026-01-01 00:00:00+00\n"
                )
            t_bindings = _timed_copy(
                raw,
                "COPY traceability_binding (vehicle_id, pack_id, bound_at, unbound_at, unbound_reason, created_at) "
                "FROM STDIN",
                bindings,
            )
        transaction.set_rollback(True)
    return len(packs) / (t_vehicles + t_bindings)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--start-server", action="store_true")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    _setup_django()
    import requests

    from accounts.demo import synthetic_uscc
    from accounts.models import Organisation, User
    from accounts.services import api_token_issue
    from traceability.models import Battery, LifecycleEvent
    from traceability.selectors import battery_trace

    rng = random.Random()
    run = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(8))
    maker = Organisation.objects.create(uscc=synthetic_uscc(rng, "110000"), name_zh=f"基准电池{run}", region="BJ",
                                        kinds=["battery_maker"])  # fmt: skip
    automaker = Organisation.objects.create(uscc=synthetic_uscc(rng, "110000"), name_zh=f"基准车企{run}",
                                            region="BJ", kinds=["automaker"])  # fmt: skip
    tokens = {}
    for org in (maker, automaker):
        user = User.objects.create(username=f"bench-{run}-{org.pk}", organisation=org, role="manager")
        tokens[org.pk] = api_token_issue(owner=user).raw

    proc = None
    url = args.url
    if args.start_server:
        proc, url = start_server(args.workers)
    try:
        workers = f"{args.workers} gunicorn workers, " if proc else ""
        print(f"run {run}: {args.rows:,} pairs, batches of {args.batch:,}, {workers}{args.concurrency} clients, "
              f"{url}; {load()}")  # fmt: skip
        packs, vins, sold = make_rows(args.rows, run)
        n_batches = range(0, args.rows, args.batch)

        batteries = [
            [
                {"code": c, "rated_energy_kwh": "60", "customer_uscc": automaker.uscc}
                for c in packs[i : i + args.batch]
            ]
            for i in n_batches
        ]
        bodies, _ = encode(batteries)
        secs, errs = post_batches(url, tokens[maker.pk], "/api/v1/batteries/", bodies, args.concurrency)
        print(
            f"register packs via API : {args.rows / secs:10,.0f} packs/s  ({secs:.1f} s, {errs} errors; {load()})"
        )
        analyze()

        raw_rate = copy_rate(automaker.pk, packs, vins, sold)
        print(f"COPY vehicles+bindings : {raw_rate:10,.0f} pairs/s (rolled back; {load()})")

        pairs = [
            [{"vin": v, "pack_code": p, "sold_at": s} for p, v, s in zip(packs[i : i + args.batch],
                                                                          vins[i : i + args.batch],
                                                                          sold[i : i + args.batch], strict=True)]
            for i in n_batches
        ]  # fmt: skip
        bodies, encoding = encode(pairs)
        print(f"client JSON encoding   : {args.rows / encoding:10,.0f} pairs/s  (done before timing)")
        secs, errs = post_batches(url, tokens[automaker.pk], "/api/v1/bindings/", bodies, args.concurrency)
        api_rate = args.rows / secs
        print(f"bindings via API       : {api_rate:10,.0f} pairs/s  ({secs:.1f} s, {errs} errors; {load()})")
        print(f"API / COPY ratio       : {api_rate / raw_rate:10.2f}")
        analyze()

        total_packs = Battery.objects.filter(level="P").count()
        total_events = LifecycleEvent.objects.count()
        sample = rng.sample(packs, min(args.samples, len(packs)))
        inproc = []
        for code in sample:
            t0 = time.perf_counter()
            battery_trace(
                battery=Battery.objects.select_related("maker", "custodian", "parent").get(code=code)
            )
            inproc.append((time.perf_counter() - t0) * 1000)
        s = requests.Session()
        http = []
        for code in sample:
            t0 = time.perf_counter()
            r = s.get(
                f"{url}/api/v1/batteries/{code}/trace/",
                headers={"Authorization": f"Token {tokens[automaker.pk]}"},
            )
            http.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.text[:200]
        print(
            f"trace over {len(sample)} random codes ({total_packs:,} packs, {total_events:,} events in the database)"
        )
        print(f"  server side (selector): p50 {pct(inproc, 50):6.1f} ms  p95 {pct(inproc, 95):6.1f} ms")
        print(f"  HTTP round trip       : p50 {pct(http, 50):6.1f} ms  p95 {pct(http, 95):6.1f} ms"
              f"  (mean {statistics.mean(http):.1f} ms; {load()})")  # fmt: skip
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
