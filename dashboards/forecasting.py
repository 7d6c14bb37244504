"""Retirement forecast (R-FORECAST): Weibull lifetimes per vehicle use applied to sales cohorts.

Pure module (numpy and scipy only, no Django): a cohort of ``vehicles`` sold in ``year`` with packs of
``avg_pack_kg`` retires, in calendar year ``y``, the share F(y - year + 1) - F(y - year) of its mass, where
F(t) = 1 - exp(-(t / scale) ** shape) is the Weibull lifetime distribution of its vehicle use. A vehicle sold
during ``year`` is taken to be sold mid-year, so ages are shifted by half a year.

:func:`calibrate` fits the shape and scale of chosen uses to a reference series (tonnes per year) by least
squares and reports the fit error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

SALE_OFFSET = 0.5  # years: sales spread over the year, taken at mid-year


@dataclass(frozen=True)
class Weibull:
    shape: float
    scale: float

    def cdf(self, age: float | np.ndarray) -> float | np.ndarray:
        age = np.maximum(np.asarray(age, dtype=float), 0.0)
        return 1.0 - np.exp(-((age / self.scale) ** self.shape))

    def share_in_year(self, sale_year: int, year: int) -> float:
        """Share of a cohort sold in ``sale_year`` that retires during calendar ``year``."""
        start = year - sale_year - SALE_OFFSET
        return float(self.cdf(start + 1.0) - self.cdf(start))

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)


@dataclass(frozen=True)
class Cohort:
    region: str
    year: int
    use: str
    vehicles: float
    avg_pack_kg: float

    @property
    def mass_tonnes(self) -> float:
        return self.vehicles * self.avg_pack_kg / 1000.0


def retired_tonnes(
    cohorts: Iterable[Cohort], params: Mapping[str, Weibull], years: Sequence[int]
) -> dict[tuple[str, int], float]:
    """Retired mass (tonnes) per (region, year); uses without parameters are skipped."""
    out: dict[tuple[str, int], float] = {}
    for cohort in cohorts:
        dist = params.get(cohort.use)
        if dist is None:
            continue
        for year in years:
            if year < cohort.year:
                continue
            key = (cohort.region, year)
            out[key] = out.get(key, 0.0) + cohort.mass_tonnes * dist.share_in_year(cohort.year, year)
    return out


def totals_by_year(series: Mapping[tuple[str, int], float], regions: Iterable[str] | None = None) -> dict:
    wanted = set(regions) if regions is not None else None
    out: dict[int, float] = {}
    for (region, year), tonnes in series.items():
        if wanted is None or region in wanted:
            out[year] = out.get(year, 0.0) + tonnes
    return dict(sorted(out.items()))


@dataclass
class Fit:
    params: dict[str, Weibull]
    rmse: float  # tonnes
    mape: float  # mean absolute percentage error, 0..1
    residuals: dict[tuple[str, int], float] = field(default_factory=dict)  # predicted - reference
    success: bool = True
    message: str = ""


def calibrate(
    cohorts: Sequence[Cohort],
    reference: Mapping[tuple[str, int], float],
    start: Mapping[str, Weibull],
    *,
    fit_uses: Sequence[str] | None = None,
    shape_bounds: tuple[float, float] = (0.5, 15.0),
    scale_bounds: tuple[float, float] = (0.5, 40.0),
) -> Fit:
    """Least-squares fit of (shape, scale) of ``fit_uses`` (default: every use in ``start``) so that the
    forecast matches ``reference`` ((region, year) -> tonnes; region ``"ALL"`` compares the sum of regions)."""
    uses = list(fit_uses if fit_uses is not None else start.keys())
    fixed = {u: w for u, w in start.items() if u not in uses}
    keys = sorted(reference)
    years = sorted({y for _, y in keys})
    target = np.array([reference[k] for k in keys], dtype=float)
    weights = 1.0 / np.maximum(
        np.abs(target), 1.0
    )  # relative errors: small regions count as much as big ones

    def unpack(x: np.ndarray) -> dict[str, Weibull]:
        params = dict(fixed)
        for i, use in enumerate(uses):
            params[use] = Weibull(shape=float(x[2 * i]), scale=float(x[2 * i + 1]))
        return params

    def predict(params: Mapping[str, Weibull]) -> np.ndarray:
        series = retired_tonnes(cohorts, params, years)
        values = []
        for region, year in keys:
            if region == "ALL":
                values.append(sum(t for (r, y), t in series.items() if y == year))
            else:
                values.append(series.get((region, year), 0.0))
        return np.array(values, dtype=float)

    def residuals(x: np.ndarray) -> np.ndarray:
        return (predict(unpack(x)) - target) * weights

    x0 = np.array([v for use in uses for v in (start[use].shape, start[use].scale)], dtype=float)
    lower = np.array([b for _ in uses for b in (shape_bounds[0], scale_bounds[0])])
    upper = np.array([b for _ in uses for b in (shape_bounds[1], scale_bounds[1])])
    x0 = np.clip(x0, lower + 1e-9, upper - 1e-9)
    result = least_squares(residuals, x0, bounds=(lower, upper), x_scale="jac", xtol=1e-12, ftol=1e-12)
    params = unpack(result.x)
    predicted = predict(params)
    diff = predicted - target
    nonzero = np.abs(target) > 0
    mape = float(np.mean(np.abs(diff[nonzero]) / np.abs(target[nonzero]))) if nonzero.any() else 0.0
    return Fit(
        params=params,
        rmse=float(np.sqrt(np.mean(diff**2))) if len(diff) else 0.0,
        mape=mape,
        residuals={k: float(d) for k, d in zip(keys, diff, strict=True)},
        success=bool(result.success),
        message=str(result.message),
    )
