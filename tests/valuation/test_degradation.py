"""The degradation model on synthetic curves with known answers."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valuation.core import degradation as deg

CALENDAR = deg.DegradationParams(a_cal=0.1, p_cal=0.5, b_cyc=0.0)  # SOH = 1 − 0.1·√t
LINEAR_CYCLES = deg.DegradationParams(a_cal=0.0, b_cyc=0.1, z_cyc=1.0)  # SOH = 1 − 0.1 per 1000 EFC


def test_calendar_fade_follows_the_square_root_of_time():
    assert deg.soh_model(CALENDAR, 4.0, 0) == pytest.approx(0.8)
    assert deg.soh_model(CALENDAR, 1.0, 5000) == pytest.approx(0.9)  # no cycle term


def test_cycle_fade_is_linear_in_equivalent_full_cycles_when_z_is_one():
    assert deg.soh_model(LINEAR_CYCLES, 10.0, 2500) == pytest.approx(0.75)


def test_remaining_life_on_a_square_root_curve():
    # From age 1 (SOH 0.9) the curve reaches 0.8 at age 4: three years left.
    rul = deg.remaining_life(
        CALENDAR, age_years=1.0, efc=0, efc_per_year=0, scale=1.0, eol_soh=0.8, relative_uncertainty=0.0
    )
    assert rul.years == pytest.approx(3.0, abs=1e-6)
    assert not rul.reached


def test_remaining_life_and_interval_on_a_linear_curve():
    rul = deg.remaining_life(
        LINEAR_CYCLES,
        age_years=0,
        efc=0,
        efc_per_year=1000,
        scale=1.0,
        eol_soh=0.8,
        relative_uncertainty=0.25,
    )
    assert rul.years == pytest.approx(2.0, abs=1e-6)
    assert rul.efc == pytest.approx(2000, abs=1e-3)
    assert rul.years_low == pytest.approx(0.2 / 0.125, abs=1e-6)  # fade 25 % faster
    assert rul.years_high == pytest.approx(0.2 / 0.075, abs=1e-6)  # fade 25 % slower


def test_remaining_life_already_reached_and_out_of_horizon():
    done = deg.remaining_life(
        CALENDAR, age_years=9.0, efc=0, efc_per_year=0, scale=1.0, eol_soh=0.8, relative_uncertainty=0.1
    )
    assert done.reached and done.years == 0.0
    never = deg.remaining_life(
        CALENDAR, age_years=0.0, efc=0, efc_per_year=0, scale=0.01, eol_soh=0.8, relative_uncertainty=0.1
    )
    assert never.years is None and never.efc is None


def test_anchor_scale_passes_through_the_measured_point_and_is_clipped():
    # model fade at 4 years is 0.2; a measured 0.7 means fade ×1.5
    assert deg.anchor_scale(CALENDAR, 4.0, 0, 0.7, bounds=(0.25, 4.0)) == pytest.approx(1.5)
    assert deg.anchor_scale(CALENDAR, 4.0, 0, 0.0, bounds=(0.25, 4.0)) == pytest.approx(4.0)
    assert deg.anchor_scale(CALENDAR, 4.0, 0, 1.0, bounds=(0.25, 4.0)) == pytest.approx(0.25)


def test_arrhenius_speeds_calendar_fade_when_warmer():
    cool = deg.DegradationParams(a_cal=0.05, ea_cal=50000, temperature_c=25)
    warm = deg.DegradationParams(a_cal=0.05, ea_cal=50000, temperature_c=35)
    assert cool.arrhenius == pytest.approx(1.0)
    assert deg.capacity_fade(warm, 4, 0) > deg.capacity_fade(cool, 4, 0)


def test_curve_marks_history_and_projection_with_a_band():
    points = deg.curve(
        LINEAR_CYCLES, history=[(0, 0), (1, 1000)], future_efc_per_year=1000, scale=1.0,
        relative_uncertainty=0.2, until_years=3, step_years=0.5,
    )  # fmt: skip
    past = [p for p in points if not p["projected"]]
    future = [p for p in points if p["projected"]]
    assert [p["age"] for p in past] == [0, 0.5, 1.0]
    assert past[1]["soh"] == pytest.approx(0.95)  # cycles interpolated along the history
    assert future[-1]["age"] == 3 and future[-1]["soh"] == pytest.approx(0.7)
    assert all(p["low"] <= p["soh"] <= p["high"] for p in future)


def test_efc_per_year_refuses_a_zero_pack():
    assert deg.efc_per_year(annual_km=12000, kwh_per_km=0.15, pack_kwh=50) == pytest.approx(36)
    with pytest.raises(ValueError):
        deg.efc_per_year(annual_km=1, kwh_per_km=1, pack_kwh=0)


@given(
    t1=st.floats(0, 30), dt=st.floats(0, 30), n1=st.floats(0, 10000), dn=st.floats(0, 10000),
)  # fmt: skip
def test_soh_never_rises_with_age_or_cycles(t1, dt, n1, dn):
    params = deg.DegradationParams(a_cal=0.03, b_cyc=0.1, z_cyc=0.9)
    before = deg.soh_model(params, t1, n1)
    after = deg.soh_model(params, t1 + dt, n1 + dn)
    assert after <= before + 1e-12
    assert 0.0 <= after <= 1.0 and not math.isnan(after)
