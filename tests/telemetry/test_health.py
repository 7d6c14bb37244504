"""Samples → health: cycles from throughput, capacity from charging segments, SOH with its uncertainty, negative
events; and the SOH estimated from the simulator's telemetry against the fade it applied."""

from datetime import datetime, timedelta

import pytest

from telemetry import health
from telemetry.health import HealthParams, Point, assess
from telemetry.protocol import blocks as b
from telemetry.protocol.frame import GMT8
from telemetry.protocol.messages import Report
from telemetry.simulator import VehicleModel, history

T0 = datetime(2026, 3, 1, 8, tzinfo=GMT8)


def charge(start, *, minutes, amps, soc_from, capacity, step_s=60):
    """A constant-current charge with the SOC rounded as a terminal reports it."""
    out, soc = [], soc_from
    for i in range(minutes * 60 // step_s + 1):
        out.append(Point(start + timedelta(seconds=i * step_s), -amps, round(soc), 1))
        soc += amps * step_s / 3600 / capacity * 100
    return out


def test_capacity_from_one_segment_and_cycles_from_throughput():
    points = charge(T0, minutes=120, amps=50, soc_from=20, capacity=140)
    h = assess(points, rated_capacity_ah=150)
    assert len(h.segments) == 1
    assert h.throughput_ah == pytest.approx(100, rel=1e-6)
    assert h.equivalent_full_cycles == pytest.approx(100 / 150)
    assert h.soh == pytest.approx(140 / 150, abs=0.02)
    assert h.soh_low < h.soh < h.soh_high


def test_short_segments_give_no_capacity_and_gaps_split_segments():
    short = charge(T0, minutes=10, amps=50, soc_from=40, capacity=140)  # ≈ 6 points of SOC
    h = assess(short, rated_capacity_ah=150)
    assert h.segments == () and h.soh is None and h.throughput_ah > 0
    first = charge(T0, minutes=30, amps=50, soc_from=20, capacity=140)
    second = charge(T0 + timedelta(minutes=40), minutes=30, amps=50, soc_from=38, capacity=140)
    assert len(list(health.charging_runs(first + second))) == 2


def test_missing_rated_capacity_leaves_soh_and_cycles_unknown():
    h = assess(charge(T0, minutes=120, amps=50, soc_from=20, capacity=140), rated_capacity_ah=None)
    assert (
        h.capacity_ah == pytest.approx(140, rel=0.02) and h.soh is None and h.equivalent_full_cycles is None
    )


def test_discharge_is_not_throughput():
    drive = [Point(T0 + timedelta(minutes=i), 60.0, 80 - i, 3) for i in range(60)]
    h = assess(drive, rated_capacity_ah=150)
    assert h.throughput_ah == 0 and h.segments == ()


def test_uncertainty_shrinks_with_more_segments():
    one = charge(T0, minutes=90, amps=50, soc_from=20, capacity=140)
    many = []
    for day in range(8):
        many += charge(T0 + timedelta(days=day), minutes=90, amps=50, soc_from=20 + day % 3, capacity=140)
    assert (
        assess(many, rated_capacity_ah=150).capacity_sigma_ah
        < assess(one, rated_capacity_ah=150).capacity_sigma_ah
    )


def test_negative_events_are_merged_into_episodes():
    pts = [
        Point(T0 + timedelta(seconds=10 * i), max_temp_c=30, max_cell_v=3.9, min_cell_v=3.85, alarm_level=0)
        for i in range(30)
    ]
    pts[3] = Point(pts[3].t, max_temp_c=58, max_cell_v=3.9, min_cell_v=3.85)
    pts[4] = Point(pts[4].t, max_temp_c=61, max_cell_v=3.9, min_cell_v=3.85)
    pts[20] = Point(pts[20].t, max_temp_c=30, max_cell_v=4.1, min_cell_v=3.7, alarm_level=2)
    events = health.negative_events(pts, HealthParams(max_gap_s=15))
    assert [(e.kind, e.peak, e.samples) for e in events] == [
        ("over_temperature", 61, 2),
        ("alarm", 2, 1),
        ("cell_voltage_spread", pytest.approx(0.4), 1),
    ]
    assert health.negative_events(pts[:3]) == []


def points_of(reports):
    out = []
    for r in reports:
        r = Report.decode(r.encode())  # as the gateway would see it
        v, x = r.block(b.VehicleData), r.block(b.Extremes)
        out.append(
            Point(
                r.time,
                v.total_current_a,
                v.soc_pct,
                v.charging_state,
                x.max_temp_c,
                x.max_cell_v,
                x.min_cell_v,
                0,
            )
        )
    return out


@pytest.mark.parametrize(("fade", "per_cycle", "seed"), [(0.05, 0.0, 1), (0.12, 0.0003, 2), (0.2, 0.001, 3)])
def test_soh_from_simulated_telemetry_is_within_3_points_of_the_fade(fade, per_cycle, seed):
    model = VehicleModel("LFV2A21K6G4000001", fade=fade, fade_per_cycle=per_cycle, seed=seed)
    pts = points_of(history(model, start=T0, end=T0 + timedelta(days=4), step_s=60))
    h = assess([p for p in pts if p.charging_state in (1, 2)], rated_capacity_ah=150, event_points=pts)
    assert len(h.segments) >= 5
    assert abs(h.soh - model.true_soh) < 0.03
    assert h.soh_low - 0.01 <= model.true_soh <= h.soh_high + 0.01
    assert h.equivalent_full_cycles == pytest.approx(model.cycles, rel=0.02)
