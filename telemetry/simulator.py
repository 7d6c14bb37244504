"""A fleet of simulated GB/T 32960 terminals: drive, park and charge cycles of a pack whose capacity fades.

    python -m telemetry.simulator --vehicles 20 --interval 10 [--host 127.0.0.1 --port 32960]
        [--vins VIN ...] [--backfill-days 7] [--fade 0.08]

Without ``--vins`` the VINs come from the platform's registered vehicles. ``--backfill-days`` first sends that
much history as reissued reports (0x03), as a terminal does after a loss of link, then reports in real time.
The pack model is plain Python (``VehicleModel``) so tests can check the SOH estimate against the fade applied.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .protocol import blocks as b
from .protocol.frame import GMT8, Command, FrameSplitter, Response, encode_frame
from .protocol.messages import Logout, Report, VehicleLogin

CELLS = 96
PROBES = 16


def ocv(soc: float) -> float:
    """Open-circuit voltage of an NMC cell (V) over SOC (%): a smooth curve, 3.30 V empty to 4.18 V full."""
    x = max(0.0, min(100.0, soc)) / 100.0
    return 3.30 + 0.62 * x + 0.26 * x**3 - 0.08 * math.sin(math.pi * x)


@dataclass
class VehicleModel:
    """One vehicle's pack. Current is positive when discharging, negative when charging."""

    vin: str
    rated_capacity_ah: float = 150.0
    fade: float = 0.08  # capacity lost at the start: capacity = rated × (1 − fade − fade_per_cycle × cycles)
    fade_per_cycle: float = 0.0
    soc: float = 80.0  # true state of charge, %
    mileage_km: float = 12000.0
    resistance_ohm: float = 0.0012  # per cell
    seed: int = 0
    phase: str = "drive"
    phase_left_s: float = 0.0
    charged_ah: float = 0.0
    rng: random.Random = field(init=False)
    lon: float = 116.39
    lat: float = 39.91

    def __post_init__(self):
        self.rng = random.Random(self.seed or hash(self.vin))
        # a pack's cells and probes differ a little, and the differences stay
        self.cell_offsets = [self.rng.gauss(0, 0.004) for _ in range(CELLS)]
        self.probe_offsets = [self.rng.gauss(0, 1.2) for _ in range(PROBES)]
        self._next_phase()

    @property
    def cycles(self) -> float:
        return self.charged_ah / self.rated_capacity_ah

    @property
    def capacity_ah(self) -> float:
        return self.rated_capacity_ah * (1.0 - self.fade - self.fade_per_cycle * self.cycles)

    @property
    def true_soh(self) -> float:
        return self.capacity_ah / self.rated_capacity_ah

    def _next_phase(self) -> None:
        r = self.rng
        if self.phase == "drive" and self.soc < r.uniform(20, 35):
            self.phase, self.target = "charge", r.uniform(90, 98)
            self.charge_c = r.choice((0.3, 0.5, 0.8))
        elif self.phase == "charge":
            self.phase, self.phase_left_s = "park", r.uniform(600, 3600)
        elif self.phase == "park" and self.phase_left_s <= 0:
            self.phase, self.phase_left_s = "drive", r.uniform(1800, 5400)
        elif self.phase == "drive" and self.phase_left_s <= 0:
            self.phase, self.phase_left_s = "park", r.uniform(600, 7200)

    def step(self, dt: float) -> tuple[float, float]:
        """Advance ``dt`` seconds; returns (current A, speed km/h) over the step."""
        r = self.rng
        speed, current = 0.0, 0.0
        if self.phase == "drive":
            speed = max(0.0, r.gauss(45, 20))
            current = max(-30.0, 0.9 * speed + r.gauss(8, 10))  # regenerative braking may push charge back
            self.mileage_km += speed * dt / 3600
            self.lon += r.uniform(-1e-4, 1e-4)
            self.lat += r.uniform(-1e-4, 1e-4)
        elif self.phase == "charge":
            taper = 1.0 if self.soc < 85 else max(0.2, (self.target - self.soc) / 13)
            current = -self.charge_c * self.rated_capacity_ah * taper
        current = round(current, 1)  # what the terminal can report (0.1 A)
        if current < 0:
            self.charged_ah += -current * dt / 3600
        self.soc -= current * dt / 3600 / self.capacity_ah * 100
        self.soc = max(0.0, min(100.0, self.soc))
        self.phase_left_s -= dt
        if self.phase != "charge" or self.soc >= self.target:
            self._next_phase()
        return current, speed

    def report(self, at: datetime, dt: float) -> Report:
        current, speed = self.step(dt)
        r = self.rng
        charging = (
            {"charge": 1, "drive": 3, "park": 3}[self.phase] if current >= 0 or self.phase != "charge" else 1
        )
        if self.phase == "charge" or current < -0.0 and self.phase == "charge":
            charging = 1
        if self.phase == "park" and self.soc >= 89:
            charging = 4
        base = ocv(self.soc) - current * self.resistance_ohm
        jitter = r.uniform(-0.001, 0.001)
        cells = [round(base + o + jitter, 3) for o in self.cell_offsets]
        heat = 25 + abs(current) * 0.08
        temps = [round(heat + o) for o in self.probe_offsets]
        vmax, vmin = max(cells), min(cells)
        tmax, tmin = max(temps), min(temps)
        pack_v = round(sum(cells), 1)
        soc = round(self.soc)
        vehicle = b.VehicleData(
            1 if self.phase == "drive" else 2,
            charging,
            1,
            round(speed, 1),
            round(self.mileage_km, 1),
            pack_v,
            current,
            soc,
            1,
            0x2E if self.phase == "drive" else 0x0F,
            5000,
            min(100, round(speed)),
            0,
        )
        return Report(
            at.replace(microsecond=0),
            (
                vehicle,
                b.DriveMotors(
                    (
                        b.DriveMotor(
                            1,
                            1 if speed else 3,
                            round(heat),
                            round(speed * 60),
                            0.0,
                            round(heat) + 5,
                            pack_v,
                            current,
                        ),
                    )
                ),
                b.Position(True, round(self.lon, 6), round(self.lat, 6)),
                b.Extremes(
                    1,
                    cells.index(vmax) + 1,
                    vmax,
                    1,
                    cells.index(vmin) + 1,
                    vmin,
                    1,
                    temps.index(tmax) + 1,
                    tmax,
                    1,
                    temps.index(tmin) + 1,
                    tmin,
                ),
                b.Alarms(0, 0),
                b.StorageVoltages((b.SubsystemVoltages(1, pack_v, current, CELLS, 1, tuple(cells)),)),
                b.StorageTemperatures((b.SubsystemTemperatures(1, tuple(temps)),)),
            ),
        )


def history(model: VehicleModel, *, start: datetime, end: datetime, step_s: float):
    """Reports from ``start`` to ``end``, one every ``step_s`` seconds."""
    t = start
    while t < end:
        t += timedelta(seconds=step_s)
        yield model.report(t, step_s)


# --- the network side -------------------------------------------------------------------------------------


@dataclass
class FleetStats:
    sent: int = 0
    acked: int = 0
    refused: int = 0
    latencies: list[float] = field(default_factory=list)
    acked_keys: list[tuple[str, datetime]] = field(default_factory=list)


class Terminal:
    """One TCP connection speaking for one vehicle; answers are matched in order (the gateway keeps it)."""

    def __init__(self, vin: str, host: str, port: int, stats: FleetStats):
        self.vin, self.host, self.port, self.stats = vin, host, port, stats
        self.splitter = FrameSplitter()
        self.pending: list = []

    async def connect(self, pack_codes=()) -> bool:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        login = VehicleLogin(datetime.now(GMT8), 1, "89860000000000000000", tuple(pack_codes))
        answer = await self.call(Command.VEHICLE_LOGIN, login.encode())
        return answer.response == Response.OK

    async def call(self, command: int, data: bytes):
        self.writer.write(encode_frame(command=command, response=Response.COMMAND, vin=self.vin, data=data))
        await self.writer.drain()
        while not self.pending:
            chunk = await asyncio.wait_for(self.reader.read(4096), 30)
            if not chunk:
                raise ConnectionError("gateway closed the connection")
            self.pending += self.splitter.feed(chunk)
        return self.pending.pop(0)

    async def send_report(self, report: Report, *, command: int = Command.REALTIME) -> bool:
        started = time.perf_counter()
        self.stats.sent += 1
        answer = await self.call(command, report.encode())
        self.stats.latencies.append(time.perf_counter() - started)
        if answer.response == Response.OK:
            self.stats.acked += 1
            self.stats.acked_keys.append((self.vin, report.time))
            return True
        self.stats.refused += 1
        return False

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.call(Command.VEHICLE_LOGOUT, Logout(datetime.now(GMT8), 1).encode())
            self.writer.close()


async def run_vehicle(
    model: VehicleModel,
    *,
    host: str,
    port: int,
    interval: float,
    stats: FleetStats,
    duration: float | None = None,
    backfill_days: float = 0.0,
    backfill_step_s: float = 60.0,
    start_delay: float = 0.0,
) -> None:
    await asyncio.sleep(start_delay)
    terminal = Terminal(model.vin, host, port, stats)
    if not await terminal.connect():
        stats.refused += 1
        return
    now = datetime.now(GMT8)
    if backfill_days:
        start = now - timedelta(days=backfill_days)
        for report in history(
            model, start=start, end=now - timedelta(seconds=interval), step_s=backfill_step_s
        ):
            await terminal.send_report(report, command=Command.REISSUE)
    deadline = None if duration is None else time.monotonic() + duration
    next_at = time.monotonic()
    last = datetime.now(GMT8).replace(microsecond=0)
    while deadline is None or time.monotonic() < deadline:
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        at = datetime.now(GMT8).replace(microsecond=0)
        if at <= last:  # one sample per second at most: the time is the sample's key
            continue
        await terminal.send_report(model.report(at, (at - last).total_seconds()))
        last = at
    await terminal.close()


def demo_vins(limit: int) -> list[str]:
    import django  # noqa: PLC0415 - the simulator runs without Django but for this look-up

    django.setup()
    from traceability.selectors import vehicle_vins  # noqa: PLC0415 - once django.setup() has run

    return vehicle_vins(limit=limit)


async def run_fleet(vins, *, host, port, interval, duration=None, backfill_days=0.0, fade=0.08, spread=True):
    stats = FleetStats()
    tasks = [
        run_vehicle(
            VehicleModel(
                vin, fade=fade + 0.0005 * (i % 40), fade_per_cycle=0.0002, seed=i + 1, soc=30 + (i * 7) % 60
            ),
            host=host,
            port=port,
            interval=interval,
            stats=stats,
            duration=duration,
            backfill_days=backfill_days,
            start_delay=(interval * i / len(vins)) if spread else 0.0,
        )
        for i, vin in enumerate(vins)
    ]
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m telemetry.simulator", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--vehicles", type=int, default=10)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between real-time reports")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=32960)
    parser.add_argument("--vins", nargs="*", help="VINs to simulate (default: registered vehicles)")
    parser.add_argument("--backfill-days", type=float, default=0.0)
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds to run (default: until stopped)"
    )
    parser.add_argument(
        "--fade", type=float, default=0.08, help="capacity fade at the start (0.08 = SOH 92 %%)"
    )
    args = parser.parse_args(argv)
    vins = args.vins or demo_vins(args.vehicles)
    vins = vins[: args.vehicles]
    print(f"simulating {len(vins)} vehicles against {args.host}:{args.port} every {args.interval} s")
    stats = asyncio.run(
        run_fleet(
            vins,
            host=args.host,
            port=args.port,
            interval=args.interval,
            duration=args.duration,
            backfill_days=args.backfill_days,
            fade=args.fade,
        )
    )
    print(f"sent {stats.sent}, acknowledged {stats.acked}, refused {stats.refused}")


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    main()
