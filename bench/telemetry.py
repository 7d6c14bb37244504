"""GB/T 32960 gateway benchmark: N simulated vehicles over real TCP, one real-time report each per interval.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/telemetry.py \
        --vehicles 5000 --interval 10 --duration 120 --start-gateway

Steps:
1. ``--vehicles`` bench vehicles (VINs ``LBENCH…``) are registered if missing;
2. with ``--start-gateway`` the gateway runs as its own process (``manage.py run_gbt32960``, in its own session
   as a service is) on a free port; otherwise ``--host``/``--port`` name a running one using the same database;
3. the vehicles are spread over ``--clients`` load generator processes (2); every vehicle opens its own
   connection and logs in (spread over one interval), then sends a real-time report (vehicle, motor, position,
   extremes, alarms, 96 cell voltages, 16 probes: 326 bytes) every ``--interval`` seconds for ``--duration``
   seconds of steady state;
4. printed: sustained frames/s acknowledged, p50/p99/max time from writing a frame to reading its answer (all
   frames, and the steady state after the logins), rows/s committed, and the acknowledged samples not in the table
   (lost: must be 0); beside them what could distort the figures: each client loop's lag, its collections (none:
   the collector is off in the load generators), the CPU seconds of the clients, the gateway and its writer.

A load generator is an instrument: its own pauses would be measured as the gateway's. So each one runs a share of
the vehicles on its own loop (uvloop's when installed), report bodies are built before the clock starts (a send
only stamps the time and the check byte), and its collector is off for the run. ``--contend N`` runs N busy
processes beside the benchmark, each in its own session like another user's job, to compare code under the same
load; the machine's load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import resource
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
        self.acked = self.refused = 0

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
            self.sent.append((time.monotonic(), at))
            writer.write(frame(self.raw_vin, data))
            self.stats["sent"] += 1
        # wait for the last answers, then leave
        deadline = time.monotonic() + 15
        while len(self.sent) > self.acked + self.refused and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        reading.cancel()
        writer.close()

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
            now = time.monotonic()
            for answer in self.splitter.feed(chunk):
                if index >= len(self.sent):
                    continue
                sent_at, sample_at = self.sent[index]
                index += 1
                if answer.response == Response.OK:
                    self.acked += 1
                    self.stats["latencies"].append(now - sent_at)
                    self.stats["sent_times"].append(sent_at)
                    self.stats["acked_keys"].append((self.vin, sample_at))
                    self.stats["ack_times"].append(now)
                else:
                    self.refused += 1
                    self.stats["refused"] += 1


async def watch_loop(lags: list, every: float = 0.01) -> None:
    """How late this client's loop wakes a 10 ms timer: an answer read that late is measured that much slower."""
    while True:
        began = time.perf_counter()
        await asyncio.sleep(every)
        lags.append(max(0.0, time.perf_counter() - began - every))


async def drive(host, port, vins, offsets, bodies, stats, *, interval, start, stop):
    cars = [Vehicle(v, stats) for v in vins]
    watching = asyncio.create_task(watch_loop(stats["loop_lag"]))
    tasks = [
        c.run(
            host,
            port,
            bodies,
            interval=interval,
            start_at=start + interval * offset,
            stop_at=stop,
        )
        for c, offset in zip(cars, offsets, strict=True)
    ]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    watching.cancel()
    stats["sent_keys"] = [(c.vin, at) for c in cars for _, at in c.sent]
    stats["client_errors"] = sum(1 for r in results if isinstance(r, Exception))
    stats["errors_sample"] = [repr(r) for r in results if isinstance(r, Exception)][:3]


def client_process(host, port, vins, offsets, bodies, timing, out) -> None:
    """One load generator process: its vehicles on one event loop (uvloop's when installed)."""
    stats = {"sent": 0, "refused": 0, "login_refused": 0, "latencies": [], "acked_keys": [], "ack_times": []}
    stats["sent_times"] = []
    stats["loop_lag"], stats["gc_pauses"] = [], []
    began = [0.0]

    def timing_gc(phase, info):
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            stats["gc_pauses"].append((info["generation"], time.perf_counter() - began[0]))

    # a collection stops every vehicle of this process, and each answer read after it is measured that much
    # slower: what the process inherited (Django, the report bodies) is frozen and the collector left off for the
    # run (it is bounded: a few minutes of vehicles)
    gc.collect()
    gc.freeze()
    gc.disable()
    gc.callbacks.append(timing_gc)  # none should happen: shown with the figures
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(drive(host, port, vins, offsets, bodies, stats, **timing))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    out.put(stats)


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
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "run_gbt32960",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    # its own session, as a service runs: the scheduler weighs it apart from the load generator
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ}, start_new_session=True)
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


def contend(n: int) -> list[subprocess.Popen]:
    """``n`` busy processes, each in its own session (so its own scheduling group, as another user's job is):
    a reproducible stand-in for other work on the machine."""
    return [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True) for _ in range(n)
    ]


def wait_until(when: float) -> None:
    time.sleep(max(0.0, when - time.monotonic()))


def process_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of ``pid`` and of each of its children, by command name (read from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}

    def add(p: int, name: str) -> None:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            return
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
        for child in children:
            add(int(child), "writer" if name == "gateway" else name)

    add(pid, "gateway")
    return out


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vehicles", type=int, default=5000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of steady state")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=32960)
    parser.add_argument("--start-gateway", action="store_true")
    parser.add_argument(
        "--clients", type=int, default=2, help="load generator processes the vehicles are spread over"
    )
    parser.add_argument("--contend", type=int, default=0, help="busy processes running beside the benchmark")
    args = parser.parse_args()

    vins = bench_vins(args.vehicles)
    t0 = time.perf_counter()
    register_vehicles(vins)
    print(f"vehicles registered: {len(vins)} in {time.perf_counter() - t0:.1f} s")
    bodies = report_bodies()
    print(
        f"report: {len(frame(vins[0].encode(), encode_time(datetime.now(GMT8)) + bodies[0]))} bytes per frame"
    )
    connection.close()  # the client processes are forked: none inherits a database connection
    gateway = None
    if args.start_gateway:
        args.port = free_port()
        gateway = start_gateway(args.port)
    begun = datetime.now(GMT8) - timedelta(seconds=5)
    contenders = contend(args.contend)
    load_before = os.getloadavg()
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start = time.monotonic() + 2.0
    stop = start + args.interval + args.duration
    timing = {"interval": args.interval, "start": start, "stop": stop}
    clients = []
    for k in range(args.clients):
        mine = range(
            k, len(vins), args.clients
        )  # interleaved: every process starts vehicles all interval long
        clients.append(
            ctx.Process(
                target=client_process,
                args=(args.host, args.port, [vins[i] for i in mine], [i / len(vins) for i in mine], bodies),
                kwargs={"timing": timing, "out": out},
            )
        )
    for c in clients:
        c.start()
    try:
        steady_from, steady_to = start + args.interval, stop  # steady state: after every vehicle has started
        wait_until(steady_from)
        n1, t1 = stored_count(begun), time.monotonic()
        wait_until(steady_to)
        n2, t2 = stored_count(begun), time.monotonic()
        parts = [out.get(timeout=args.interval + 120) for _ in clients]
        for c in clients:
            c.join()
    finally:
        load_after = os.getloadavg()
        for p in contenders:
            p.kill()
            p.wait()
        cpu_before_stop = children_cpu()
        per_process = process_cpu(gateway.pid) if gateway is not None else {}
        if gateway is not None:
            gateway.terminate()
            gateway.wait(timeout=300)  # it commits what it holds before it exits
    gateway_cpu = children_cpu() - cpu_before_stop
    stats = {
        key: [x for part in parts for x in part[key]] for key in parts[0] if isinstance(parts[0][key], list)
    }
    totals = {
        key: sum(part[key] for part in parts) for key in ("sent", "refused", "login_refused", "client_errors")
    }
    client_cpu = sum(part["cpu_seconds"] for part in parts)
    acked = len(stats["acked_keys"])
    steady = [t for t in stats["ack_times"] if steady_from <= t <= steady_to]
    span = max(1e-9, steady_to - steady_from)

    with connection.cursor() as cur:
        cur.execute(
            "SELECT vin, sampled_at FROM telemetry_sample WHERE vin LIKE 'LBENCH%%' AND sampled_at >= %s",
            [begun],
        )
        rows = cur.fetchall()
    sent_keys = set(stats["sent_keys"])
    rows = [r for r in rows if (r[0], r[1].astimezone(GMT8)) in sent_keys]  # this run's samples only
    stored = {(v, s.astimezone(GMT8)) for v, s in rows}
    missing = [k for k in stats["acked_keys"] if k not in stored]
    lat = [x * 1000 for x in stats["latencies"]]
    lag = [x * 1000 for x in stats["loop_lag"]]
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores, shared)")
    print(
        f"vehicles {args.vehicles} over {args.clients} client processes, interval {args.interval:.0f} s, "
        f"steady state {args.duration:.0f} s, "
        f"busy processes beside {args.contend}"
    )
    print(
        f"frames sent {totals['sent']}, acknowledged {acked}, refused {totals['refused']}, "
        f"logins refused {totals['login_refused']}, client errors {totals['client_errors']} "
        f"{[e for part in parts for e in part['errors_sample']][:3]}"
    )
    print(
        f"sustained: {len(steady) / span:.1f} frames/s acknowledged (target {args.vehicles / args.interval:.0f})"
    )
    # time.monotonic is the system's clock since boot: the client processes' readings compare with this one's
    steady_lat = [
        x * 1000 for x, t in zip(stats["latencies"], stats["sent_times"], strict=True) if t >= steady_from
    ]
    for label, values in (("all frames", lat), ("steady state (after the logins)", steady_lat)):
        if values:
            print(
                f"frame→ack, {label}: p50 {statistics.median(values):.1f} ms, p99 {pct(values, 0.99):.1f} ms, "
                f"max {max(values):.1f} ms ({len(values)} frames)"
            )
    pauses = stats["gc_pauses"]
    print(
        f"client collections: {len(pauses)}, full {sum(1 for g, _ in pauses if g == 2)}, "
        f"longest {max((p for _, p in pauses), default=0) * 1000:.1f} ms"
    )
    if lag:
        print(
            f"client loop lag (10 ms timer): p50 {statistics.median(lag):.1f} ms, p99 {pct(lag, 0.99):.1f} ms, "
            f"max {max(lag):.1f} ms"
        )
    print(
        f"cpu: client {client_cpu:.1f} s, gateway and writer {gateway_cpu:.1f} s "
        f"({gateway_cpu / max(1, acked) * 1e6:.0f} µs per acknowledged frame; before stopping "
        + ", ".join(f"{name} {cpu:.1f} s" for name, cpu in per_process.items())
        + ")"
    )
    print(
        f"rows stored: {len(rows)}; {(n2 - n1) / max(1e-9, t2 - t1):.1f} rows/s committed during the steady state"
    )
    print(
        f"lost: {len(missing)} acknowledged samples not in the table ({'nothing lost' if not missing else 'LOST'})"
    )


if __name__ == "__main__":
    main()
