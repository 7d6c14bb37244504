"""From telemetry samples to a pack's health (no Django): equivalent full cycles from charge throughput,
capacity from charging segments, state of health with its uncertainty, and negative events.

- Throughput: ampere-hours integrated (trapezoid) over samples the terminal reports as charging (GB/T 32960.3
  table 12 charging state 0x01 parked or 0x02 driving); regenerative braking is not counted. Equivalent full
  cycles = throughput / rated capacity.
- Capacity: on each charging segment (charging samples no more than ``max_gap_s`` apart) whose SOC rises by at
  least ``min_delta_soc`` points, capacity = Ah charged / (ΔSOC / 100). SOC is reported in whole percent, so
  each end carries ±0.5 points of rounding: that, and the scatter between segments, make the uncertainty.
- SOH = capacity estimate (ΔSOC-weighted mean of the most recent segments) / rated capacity.
- Negative events: maximum probe temperature at or above ``over_temp_c``, cell-voltage spread (max − min cell)
  at or above ``spread_v``, alarm level ≥ 2 (table 23: level 2 limits vehicle performance, 3 demands a stop);
  consecutive samples of one kind make one event.

The thresholds are platform defaults (``HealthParams``), not figures of the standard.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

CHARGING_STATES = (1, 2)


@dataclass(frozen=True, slots=True)
class HealthParams:
    max_gap_s: float = 120.0
    min_delta_soc: float = 20.0
    recent_segments: int = 10
    over_temp_c: float = 55.0
    spread_v: float = 0.3
    alarm_level: int = 2


@dataclass(frozen=True, slots=True)
class Point:
    t: datetime
    current_a: float | None = None
    soc_pct: float | None = None
    charging_state: int | None = None
    max_temp_c: float | None = None
    max_cell_v: float | None = None
    min_cell_v: float | None = None
    alarm_level: int | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    start: datetime
    end: datetime
    soc_start: float
    soc_end: float
    ah: float

    @property
    def delta_soc(self) -> float:
        return self.soc_end - self.soc_start

    @property
    def capacity_ah(self) -> float:
        return self.ah / (self.delta_soc / 100.0)

    @property
    def relative_sigma(self) -> float:
        # two SOC readings, each rounded to a whole percent: σ = sqrt(2/12) points on ΔSOC
        return math.sqrt(2.0 / 12.0) / self.delta_soc


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # "over_temperature", "cell_voltage_spread", "alarm"
    start: datetime
    end: datetime
    peak: float
    samples: int


@dataclass(frozen=True, slots=True)
class Health:
    rated_capacity_ah: float | None
    throughput_ah: float
    equivalent_full_cycles: float | None
    capacity_ah: float | None
    capacity_sigma_ah: float | None
    soh: float | None  # 0..1 (or above 1 for a pack better than its rating)
    soh_low: float | None  # 95 % interval
    soh_high: float | None
    segments: tuple[Segment, ...] = ()
    events: tuple[Event, ...] = field(default=())

    def as_dict(self) -> dict:
        return {
            "rated_capacity_ah": self.rated_capacity_ah,
            "throughput_ah": round(self.throughput_ah, 1),
            "equivalent_full_cycles": _round(self.equivalent_full_cycles, 2),
            "capacity_ah": _round(self.capacity_ah, 2),
            "capacity_sigma_ah": _round(self.capacity_sigma_ah, 2),
            "soh": _round(self.soh, 4),
            "soh_low": _round(self.soh_low, 4),
            "soh_high": _round(self.soh_high, 4),
            "segments": len(self.segments),
            "events": {kind: sum(1 for e in self.events if e.kind == kind) for kind in EVENT_KINDS},
        }


EVENT_KINDS = ("over_temperature", "cell_voltage_spread", "alarm")


def _round(value, digits):
    return None if value is None else round(value, digits)


def charging_runs(points: Iterable[Point], params: HealthParams = HealthParams()):
    """Runs of consecutive charging samples with a current and no gap longer than ``max_gap_s``."""
    run: list[Point] = []
    for p in points:
        charging = p.charging_state in CHARGING_STATES and p.current_a is not None
        if charging and run and (p.t - run[-1].t).total_seconds() <= params.max_gap_s:
            run.append(p)
            continue
        if len(run) > 1:
            yield run
        run = [p] if charging else []
    if len(run) > 1:
        yield run


def _ah(run: list[Point]) -> float:
    total = 0.0
    for a, b in zip(run, run[1:], strict=False):
        dt_h = (b.t - a.t).total_seconds() / 3600.0
        # charging_runs keeps only samples with a current
        total += (abs(a.current_a or 0.0) + abs(b.current_a or 0.0)) / 2.0 * dt_h
    return total


def segments_and_throughput(points: Iterable[Point], params: HealthParams = HealthParams()):
    segments, throughput = [], 0.0
    for run in charging_runs(points, params):
        ah = _ah(run)
        throughput += ah
        socs = [p for p in run if p.soc_pct is not None]
        if len(socs) < 2:
            continue
        seg = Segment(
            socs[0].t,
            socs[-1].t,
            socs[0].soc_pct,
            socs[-1].soc_pct,
            _ah([p for p in run if socs[0].t <= p.t <= socs[-1].t]),
        )
        if seg.delta_soc >= params.min_delta_soc and seg.ah > 0:
            segments.append(seg)
    return segments, throughput


def capacity_estimate(segments: list[Segment]) -> tuple[float, float] | None:
    """ΔSOC-weighted mean capacity and its standard error (scatter and SOC rounding)."""
    if not segments:
        return None
    weights = [s.delta_soc for s in segments]
    caps = [s.capacity_ah for s in segments]
    total = sum(weights)
    mean = sum(w * c for w, c in zip(weights, caps, strict=True)) / total
    n = len(segments)
    rounding = math.sqrt(sum((s.relative_sigma * s.capacity_ah) ** 2 for s in segments)) / n
    scatter = 0.0
    if n > 1:
        var = sum(w * (c - mean) ** 2 for w, c in zip(weights, caps, strict=True)) / total
        scatter = math.sqrt(var / (n - 1))
    return mean, math.sqrt(rounding**2 + scatter**2)


def negative_events(points: Iterable[Point], params: HealthParams = HealthParams()) -> list[Event]:
    events: list[Event] = []
    open_: dict[str, list] = {}
    for p in points:
        values = {
            "over_temperature": p.max_temp_c
            if p.max_temp_c is not None and p.max_temp_c >= params.over_temp_c
            else None,
            "cell_voltage_spread": (
                round(p.max_cell_v - p.min_cell_v, 3)
                if p.max_cell_v is not None
                and p.min_cell_v is not None
                and p.max_cell_v - p.min_cell_v >= params.spread_v
                else None
            ),
            "alarm": p.alarm_level
            if p.alarm_level is not None and p.alarm_level >= params.alarm_level
            else None,
        }
        for kind, value in values.items():
            current = open_.get(kind)
            if value is None:
                continue
            if current and (p.t - current[1]).total_seconds() <= params.max_gap_s:
                current[1], current[2], current[3] = p.t, max(current[2], value), current[3] + 1
            else:
                if current:
                    events.append(Event(kind, current[0], current[1], current[2], current[3]))
                open_[kind] = [p.t, p.t, value, 1]
    events += [Event(kind, c[0], c[1], c[2], c[3]) for kind, c in open_.items()]
    return sorted(events, key=lambda e: (e.start, e.kind))


def assess(
    charge_points: Iterable[Point],
    *,
    rated_capacity_ah: float | None,
    event_points: Iterable[Point] = (),
    params: HealthParams = HealthParams(),
) -> Health:
    """Health of one pack. ``charge_points`` need only the charging samples; ``event_points`` the samples that
    may hold a negative event (both in time order)."""
    segments, throughput = segments_and_throughput(charge_points, params)
    recent = segments[-params.recent_segments :]
    estimate = capacity_estimate(recent)
    rated = float(rated_capacity_ah) if rated_capacity_ah else None
    cap = sigma = soh = low = high = None
    if estimate is not None:
        cap, sigma = estimate
    if cap is not None and sigma is not None and rated:
        soh = cap / rated
        low, high = (cap - 1.96 * sigma) / rated, (cap + 1.96 * sigma) / rated
    return Health(
        rated_capacity_ah=rated,
        throughput_ah=throughput,
        equivalent_full_cycles=throughput / rated if rated else None,
        capacity_ah=cap,
        capacity_sigma_ah=sigma,
        soh=soh,
        soh_low=low,
        soh_high=high,
        segments=tuple(segments),
        events=tuple(negative_events(event_points, params)),
    )


def soh_timeline(
    segments: Iterable[Segment], rated_capacity_ah: float | None
) -> list[tuple[datetime, float]]:
    """One SOH point per charging segment (its own estimate), for the charts."""
    if not rated_capacity_ah:
        return []
    return [(s.end, s.capacity_ah / float(rated_capacity_ah)) for s in segments]
