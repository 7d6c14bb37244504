"""Capacity fade from calendar and cycle ageing, state of health and remaining useful life (R-VALUE).

The model has the semi-empirical shape used by NREL's BLAST-Lite battery-life models (Smith et al., "Life
prediction model for grid-connected Li-ion battery energy storage system", ACC 2017; BLAST-Lite,
github.com/NREL/BLAST-Lite):

    q_loss(t, n) = a_cal · f_T · t^p_cal  +  b_cyc · (n / 1000)^z_cyc
    SOH = 1 − q_loss

with ``t`` in years, ``n`` in equivalent full cycles (EFC) and ``f_T`` an Arrhenius factor relative to 25 °C.
The coefficients are data (``valuation/data/degradation-v1.json``) per chemistry. When a capacity test exists the
model is anchored to it: the fade rate is scaled so that the curve passes through the measured SOH, and only the
shape is taken from the model. RUL is the time (and EFC) until SOH reaches an end-of-life threshold, with an
interval from scaling the fade rate by the parameters' relative uncertainty.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

GAS_CONSTANT = 8.314  # J/(mol·K)
T_REF_K = 298.15


@dataclass(frozen=True)
class DegradationParams:
    a_cal: float  # calendar fade at 25 °C after one year
    p_cal: float = 0.5  # calendar fade grows with t^p (SEI growth: square root of time)
    ea_cal: float = 0.0  # activation energy (J/mol) of calendar fade
    b_cyc: float = 0.0  # cycle fade after 1000 EFC
    z_cyc: float = 1.0  # cycle fade grows with (EFC/1000)^z
    temperature_c: float = 25.0

    @classmethod
    def from_dict(cls, data: dict) -> DegradationParams:
        names = cls.__dataclass_fields__
        return cls(**{k: float(v) for k, v in data.items() if k in names})

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def arrhenius(self) -> float:
        if not self.ea_cal:
            return 1.0
        t_k = self.temperature_c + 273.15
        return math.exp(-self.ea_cal / GAS_CONSTANT * (1.0 / t_k - 1.0 / T_REF_K))


def capacity_fade(params: DegradationParams, years: float, efc: float) -> float:
    """Fraction of rated capacity lost after ``years`` of age and ``efc`` equivalent full cycles."""
    years, efc = max(years, 0.0), max(efc, 0.0)
    calendar = params.a_cal * params.arrhenius * years**params.p_cal
    cycle = params.b_cyc * (efc / 1000.0) ** params.z_cyc if efc else 0.0
    return calendar + cycle


def soh_model(params: DegradationParams, years: float, efc: float, *, scale: float = 1.0) -> float:
    """Modelled SOH (0–1) at an age and cycle count; ``scale`` multiplies the fade (anchoring, uncertainty)."""
    return max(0.0, 1.0 - scale * capacity_fade(params, years, efc))


def anchor_scale(
    params: DegradationParams, years: float, efc: float, measured_soh: float, *, bounds: tuple[float, float]
) -> float:
    """Fade multiplier that makes the model pass through a measured SOH, clipped to ``bounds``.

    Clipping keeps one odd capacity test from producing an absurd projection; the reasons say when it happened.
    """
    fade = capacity_fade(params, years, efc)
    if fade <= 0:
        return 1.0
    raw = (1.0 - measured_soh) / fade
    return min(max(raw, bounds[0]), bounds[1])


@dataclass(frozen=True)
class RemainingLife:
    years: float | None  # None: not reached within the horizon
    efc: float | None
    years_low: float | None
    years_high: float | None
    eol_soh: float
    reached: bool  # already at or below the threshold


def _years_to_threshold(
    params: DegradationParams,
    *,
    age: float,
    efc: float,
    efc_per_year: float,
    scale: float,
    eol_soh: float,
    horizon: float,
) -> float | None:
    """Years from now until the modelled SOH falls to ``eol_soh`` (bisection: fade is monotonic in time)."""

    def soh_after(dt: float) -> float:
        return soh_model(params, age + dt, efc + efc_per_year * dt, scale=scale)

    if soh_after(0.0) <= eol_soh:
        return 0.0
    if soh_after(horizon) > eol_soh:
        return None
    lo, hi = 0.0, horizon
    for _ in range(60):
        mid = (lo + hi) / 2
        if soh_after(mid) > eol_soh:
            lo = mid
        else:
            hi = mid
    return hi


def remaining_life(
    params: DegradationParams,
    *,
    age_years: float,
    efc: float,
    efc_per_year: float,
    scale: float,
    eol_soh: float,
    relative_uncertainty: float,
    horizon_years: float = 50.0,
) -> RemainingLife:
    """RUL to ``eol_soh`` from the current age and cycle count under a future use of ``efc_per_year``.

    The interval comes from a fade rate ``scale·(1 ± relative_uncertainty)``: faster fade gives the low end.
    Years beyond ``horizon_years`` are reported as None (no end of life in sight).
    """
    common = {
        "age": age_years,
        "efc": efc,
        "efc_per_year": efc_per_year,
        "eol_soh": eol_soh,
        "horizon": horizon_years,
    }
    central = _years_to_threshold(params, scale=scale, **common)
    low = _years_to_threshold(params, scale=scale * (1 + relative_uncertainty), **common)
    high = _years_to_threshold(params, scale=scale * max(1 - relative_uncertainty, 1e-6), **common)
    return RemainingLife(
        years=central,
        efc=None if central is None else central * efc_per_year,
        years_low=low,
        years_high=high,
        eol_soh=eol_soh,
        reached=central == 0.0,
    )


def curve(
    params: DegradationParams,
    *,
    history: list[tuple[float, float]],
    future_efc_per_year: float,
    scale: float,
    relative_uncertainty: float,
    until_years: float,
    step_years: float = 0.25,
) -> list[dict]:
    """SOH against age for a chart: the past along ``history`` [(age, efc), …] and a projection with a band.

    ``history`` must be sorted by age; between points the cycle count is interpolated linearly.
    """
    if not history:
        history = [(0.0, 0.0)]
    now_age, now_efc = history[-1]
    points = []
    n = int(math.ceil(until_years / step_years))
    for i in range(n + 1):
        age = min(i * step_years, until_years)
        if age <= now_age:
            efc = _interpolate(history, age)
            soh = soh_model(params, age, efc, scale=scale)
            points.append({"age": round(age, 3), "soh": round(soh, 4), "projected": False})
        else:
            efc = now_efc + future_efc_per_year * (age - now_age)
            soh = soh_model(params, age, efc, scale=scale)
            lo = soh_model(params, age, efc, scale=scale * (1 + relative_uncertainty))
            hi = soh_model(params, age, efc, scale=scale * max(1 - relative_uncertainty, 1e-6))
            points.append(
                {"age": round(age, 3), "soh": round(soh, 4), "low": round(lo, 4), "high": round(hi, 4),
                 "projected": True}
            )  # fmt: skip
    return points


def _interpolate(history: list[tuple[float, float]], age: float) -> float:
    prev_age, prev_efc = 0.0, 0.0
    for h_age, h_efc in history:
        if age <= h_age:
            if h_age == prev_age:
                return h_efc
            return prev_efc + (h_efc - prev_efc) * (age - prev_age) / (h_age - prev_age)
        prev_age, prev_efc = h_age, h_efc
    return history[-1][1]


def efc_per_year(*, annual_km: float, kwh_per_km: float, pack_kwh: float) -> float:
    """Equivalent full cycles a year: energy drawn over a year divided by the pack's energy."""
    if pack_kwh <= 0:
        raise ValueError("pack energy must be positive")
    return annual_km * kwh_per_km / pack_kwh
