"""GB/T 32960 gateway benchmark: N simulated vehicles over real TCP, one real-time report each per interval.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/telemetry.py \
        --vehicles 5000 --interval 10 --duration 120 --start-gateway

Steps:
1. ``--vehicles`` bench vehicles (VINs ``LBENCH…``) are registered if missing;
2. with ``--start-gateway`` the gateway runs as its own process (``manage.py run_gbt32960``) on a free port,
   as in production; otherwise ``--host``/``--port`` name a running one using the same database;
3. every vehicle opens its own connection and logs in (spread over one interval), then sends a real-time
   report (vehicle, motor, position, extremes, alarms, 96 cell voltages, 16 probes: 312 bytes) every
   ``--interval`` seconds for ``--duration`` seconds;
4. printed: sustained frames/s, p50/p99/max time from writing a frame to reading its acknowledgement, rows/s
   stored, and the check that every acknowledged sample is in the table (nothing lost).

The load generator is this process (one asyncio loop, uvloop's when installed, as the gateway's; report bodies
are built before the clock starts, each send only stamps the time and the check byte). The machine's load average is printed with the figures: other
work on the same two cores slows everything.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("LEDGER_SIGNING_KEY", "00" * 32)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from telemetry.management.commands.run_gbt32960 import event_loop_factory  # noqa: E402
from telemetry.protocol.frame import GMT8, Command, FrameSplitter, Response, bcc, encode_frame, encode_time  # noqa: E402
from telemetry.protocol.messages import VehicleLogin  # noqa: E402
from telemetry.simulator import VehicleModel  # noqa: E402


def bench_vins(n: int) -> list[str]:
    return [f"LBENCH{i:011d}" for i in range(n)]


def register_vehicles(vins: list[str]) -> None:
    from accounts.models import Organisation  # noqa: PLC0415
    from traceability.models import Vehicle  # noqa: PLC0415

    maker = Organisation.objects.filter(kinds__contains=["automaker"]).first()
    if maker is None:
        maker = Organisation.objects.create(
            uscc="91110108551385082Q",
            name_zh="基准测试汽车有限公司",
            name_en="Bench Motors",
            kinds=["automaker"],
            region="BJ",
        )
    Vehicle.objects.bulk_create(
        [Vehicle(vin=v, automaker=maker, region="BJ") for v in vins], ignore_conflicts=True, batch_size=5000
    )


def report_bodies(count: int = 64) -> list[bytes]:
    """Encoded report bodies without their time: realistic blocks from the simulator's pack model."""
    model = VehicleModel("LBENCH00000000000", seed=5)
    t = datetime.now(GMT8)
    return [model.report(t + timedelta(seconds=10 * i), 10).encode()[6:] for i in range(count)]


def frame(vin: bytes, data: bytes) -> bytes:
    body = bytes((Command.REALTIME, Response.COMMAND)) + vin + b"\x01" + len(data).to_bytes(2, "big") + data
    return b"##" + body + bytes((bcc(body),))


class Vehicle:
    def __init__(self, vin: str, stats: dict):
        self.vin, self.raw_vin, self.stats = vin, vin.encode(), stats
        self.sent: list[tuple[float, datetime]] = []
        self.splitter = FrameSplitter()

    async def run(self, host, port, bodies, *, interval, start_at, stop_at):
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        reader, writer = await asyncio.open_connection(host, port)
        login = VehicleLogin(datetime.now(GMT8), 1, "89860000000000000000", ())
        writer.write(encode_frame(command=1, response=Response.COMMAND, vin=self.vin, data=login.encode()))
        await writer.drain()
        first = await self._answers(reader, 1)
        if not first or first[0].response != Response.OK:
            self.stats["login_refused"] += 1
            writer.close()
            return
        reading = asyncio.create_task(self._read_acks(reader))
        i, next_at, last = hash(self.vin) % len(bodies), time.monotonic(), None
        while next_at < stop_at:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            at = datetime.now(GMT8).replace(microsecond=0)
            if at == last:
                continue
            last = at
            data = encode_time(at) + bodies[i % len(bodies)]
            i += 1
            self.sent.append((time.perf_counter(), at))
            writer.write(frame(self.raw_vin, data))
            self.stats["sent"] += 1
        # wait for the last answers, then leave
        deadline = time.monotonic() + 15
        while len(self.sent) > self.stats_acked_here() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        reading.cancel()
        writer.close()

    acked: int = 0

    def stats_acked_here(self) -> int:
        return self.acked + self.refused

    refused: int = 0

    async def _answers(self, reader, n):
        out = []
        while len(out) < n:
            chunk = await asyncio.wait_for(reader.read(4096), 30)
            if not chunk:
                return out
            out += self.splitter.feed(chunk)
        return out

    async def _read_acks(self, reader):
        index = 0
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            now = time.perf_counter()
            for answer in self.splitter.feed(chunk):
                if index >= len(self.sent):
                    continue
                sent_at, sample_at = self.sent[index]
                index += 1
                if answer.response == Response.OK:
                    self.acked += 1
                    self.stats["latencies"].append(now - sent_at)
                    self.stats["acked_keys"].append((self.vin, sample_at))
                    self.stats["ack_times"].append(now)
                else:
                    self.refused += 1
                    self.stats["refused"] += 1


def stored_count(begun) -> int:
    from django.db import connection as conn  # noqa: PLC0415

    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM telemetry_sample WHERE vin LIKE 'LBENCH%%' AND sampled_at >= %s", [begun]
        )
        n = cur.fetchone()[0]
    conn.close()
    return n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gateway(port: int) -> subprocess.Popen:
    env = {**os.environ}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_gbt32960", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the gateway did not start")


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def drive(args, vins, bodies, stats):
    start = time.monotonic() + 1.0
    stop = start + args.interval + args.duration
    cars = [Vehicle(v, stats) for v in vins]
    stats["cars"] = cars
    tasks = [
        c.run(
            args.host,
            args.port,
            bodies,
            interval=args.interval,
            start_at=start + args.interval * i / len(cars),
            stop_at=stop,
        )
        for i, c in enumerate(cars)
    ]

    async def count_at(when):
        await asyncio.sleep(max(0.0, when - time.monotonic()))
        return time.monotonic(), await asyncio.to_thread(stored_count, stats["begun"])

    counting = [asyncio.create_task(count_at(start + args.interval)), asyncio.create_task(count_at(stop))]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    (t1, n1), (t2, n2) = [await c for c in counting]
    stats["rows_per_second"] = (n2 - n1) / max(1e-9, t2 - t1)
    stats["client_errors"] = sum(1 for r in results if isinstance(r, Exception))
    stats["errors_sample"] = [repr(r) for r in results if isinstance(r, Exception)][:3]
    return start + args.interval, stop  # steady state: after every vehicle has started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vehicles", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of steady state")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=32960)
    parser.add_argument("--start-gateway", action="store_true")
    args = parser.parse_args()

    vins = bench_vins(args.vehicles)
    t0 = time.perf_counter()
    register_vehicles(vins)
    print(f"vehicles registered: {len(vins)} in {time.perf_counter() - t0:.1f} s")
    bodies = report_bodies()
    print(
        f"report: {len(frame(vins[0].encode(), encode_time(datetime.now(GMT8)) + bodies[0]))} bytes per frame"
    )
    gateway = None
    if args.start_gateway:
        args.port = free_port()
        gateway = start_gateway(args.port)
    begun = datetime.now(GMT8) - timedelta(seconds=5)
    stats = {
        "begun": begun,
        "sent": 0,
        "refused": 0,
        "login_refused": 0,
        "latencies": [],
        "acked_keys": [],
        "ack_times": [],
    }
    load_before = os.getloadavg()
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            steady_from, steady_to = runner.run(drive(args, vins, bodies, stats))
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait(timeout=300)  # it commits what it holds before it exits
    load_after = os.getloadavg()
    acked = len(stats["acked_keys"])
    steady = [t for t in stats["ack_times"] if steady_from <= t - 0 <= steady_to]
    span = max(1e-9, steady_to - steady_from)

    with connection.cursor() as cur:
        cur.execute(
            "SELECT vin, sampled_at, received_at FROM telemetry_sample WHERE vin LIKE 'LBENCH%%' AND sampled_at >= %s",
            [begun],
        )
        rows = cur.fetchall()
    sent_keys = {k for c in stats["cars"] for k in ((c.vin, at) for _, at in c.sent)}
    rows = [r for r in rows if (r[0], r[1].astimezone(GMT8)) in sent_keys]  # this run's samples only
    stored = {(v, s.astimezone(GMT8)) for v, s, _ in rows}
    missing = [k for k in stats["acked_keys"] if k not in stored]
    lat = [x * 1000 for x in stats["latencies"]]
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores, shared)")
    print(f"vehicles {args.vehicles}, interval {args.interval:.0f} s, steady state {args.duration:.0f} s")
    print(
        f"frames sent {stats['sent']}, acknowledged {acked}, refused {stats['refused']}, logins refused {stats['login_refused']}, client errors {stats['client_errors']} {stats['errors_sample']}"
    )
    print(
        f"sustained: {len(steady) / span:.1f} frames/s acknowledged (target {args.vehicles / args.interval:.0f})"
    )
    if lat:
        print(
            f"frame→ack: p50 {statistics.median(lat):.1f} ms, p99 {pct(lat, 0.99):.1f} ms, max {max(lat):.1f} ms"
        )
    print(
        f"rows stored: {len(rows)}; {stats['rows_per_second']:.1f} rows/s committed during the steady state"
    )
    print(f"nothing lost: {'yes' if not missing else 'NO'} ({len(missing)} acknowledged samples missing)")


if __name__ == "__main__":
    main()
