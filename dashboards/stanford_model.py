"""The pilot plan's Stanford model on sourced cohorts (R-FORECAST; pilot plan 一(二)2).

Retired pack mass of a region in calendar year *y* = Σ over the cohorts of that region (vehicles of one use
sold in one year) of cohort mass × the share of that cohort that retires during *y*, the share given by the
Weibull lifetime of the cohort's use (:class:`dashboards.forecasting.Weibull`, vehicles sold at mid-year).
Lifetimes are per use and shared by Beijing, Tianjin and Hebei: the regions differ only by their cohorts.

A cohort may be split by powertrain: Hebei's early city buses were largely gas-electric or plug-in hybrids
whose packs weigh a fraction of a battery-electric bus's, so the pack mass is looked up per use, powertrain and
sale year. The lifetime stays per use.

The cohorts, pack masses, firmness of each figure ([S]/[S2]/[U]), lifetime bounds and bootstrap settings are
data (``dashboards/data/forecast-v2.json`` and the files it names), not constants here.

Pure module: numpy, scipy and the standard library; no Django.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares, linprog

from .forecasting import SALE_OFFSET, Cohort, Weibull

DATA_DIR = Path(__file__).resolve().parent / "data"
CONFIG_FILE = "forecast-v2.json"
MARKS = ("S", "S2", "U")
POWERTRAINS = (
    "bev",
    "hybrid",
)  # battery-electric (and plug-in cars as tabled); hybrid buses with small packs
DEFAULT_POWERTRAIN = "bev"
TOTAL = "JJJ"  # the band of the three regions together


@dataclass(frozen=True)
class CohortFigure:
    """Vehicles of one use promoted in one region and year, with the mark of how firmly it is sourced."""

    region: str
    year: int
    use: str
    vehicles: float
    mark: str
    source: str
    derivation: str = ""
    powertrain: str = DEFAULT_POWERTRAIN


@dataclass(frozen=True)
class PackFigure:
    """Average pack mass and chemistry mix of one use and powertrain over a span of sale years."""

    use: str
    year_from: int
    year_to: int
    avg_pack_kg: float
    chemistry: Mapping[str, float]
    mark: str
    source: str
    derivation: str = ""
    powertrain: str = DEFAULT_POWERTRAIN


@dataclass(frozen=True)
class Lifetime:
    """Weibull lifetime given by its shape and its mean (years), the quantity the documented bounds speak of."""

    shape: float
    mean: float

    @property
    def weibull(self) -> Weibull:
        return Weibull(shape=self.shape, scale=self.mean / math.gamma(1.0 + 1.0 / self.shape))


@dataclass(frozen=True)
class CascadeDelay:
    """A share of packs goes to a second life first and is reported retired ``years`` later."""

    share: float = 0.0
    years: float = 0.0


@dataclass
class Dataset:
    cohorts: list[CohortFigure]
    packs: list[PackFigure]
    config: dict
    sources: dict[str, dict] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.config.get("version", ""))

    @property
    def uses(self) -> list[str]:
        return list(self.config["lifetime"]["uses"])

    def mean_bounds(self, use: str) -> tuple[float, float]:
        lo, hi = self.config["lifetime"]["uses"][use]["mean_bounds"]
        return float(lo), float(hi)

    @property
    def shape_bounds(self) -> tuple[float, float]:
        lo, hi = self.config["lifetime"]["shape_bounds"]
        return float(lo), float(hi)

    def start(self) -> dict[str, Lifetime]:
        return {
            use: Lifetime(float(spec["start"]["shape"]), float(spec["start"]["mean"]))
            for use, spec in self.config["lifetime"]["uses"].items()
        }

    @property
    def complete_until(self) -> int:
        """Last calendar year whose retirements come from the tabled cohorts alone: vehicles sold after the last
        cohort year cannot retire before the shortest documented mean life has passed."""
        shortest = min(self.mean_bounds(u)[0] for u in self.uses)
        return max(c.year for c in self.cohorts) + int(shortest)

    @property
    def cascade(self) -> CascadeDelay:
        spec = self.config.get("cascade_delay") or {}
        return CascadeDelay(float(spec.get("share", 0.0)), float(spec.get("years", 0.0)))

    def firmness_sd(self, mark: str) -> float:
        return float(self.config["firmness_sd"][mark])

    def pack_for(self, use: str, year: int, powertrain: str = DEFAULT_POWERTRAIN) -> PackFigure:
        for pack in self.packs:
            if pack.use == use and pack.powertrain == powertrain and pack.year_from <= year <= pack.year_to:
                return pack
        raise KeyError(f"no pack mass for {use} ({powertrain}) sold in {year}")

    def model_cohorts(self) -> list[Cohort]:
        """Cohorts with the pack mass of their use and sale year, as the model reads them."""
        return [
            Cohort(
                c.region, c.year, c.use, c.vehicles, self.pack_for(c.use, c.year, c.powertrain).avg_pack_kg
            )
            for c in self.cohorts
        ]


def load(directory: Path = DATA_DIR, config_file: str = CONFIG_FILE) -> Dataset:
    """Read the versioned cohort, pack and source tables named by the configuration file."""
    config = json.loads((directory / config_file).read_text(encoding="utf-8"))
    with (directory / config["cohorts"]).open(encoding="utf-8", newline="") as fh:
        cohorts = [
            CohortFigure(
                r["region"],
                int(r["year"]),
                r["use"],
                float(r["vehicles"]),
                r["mark"],
                r["source"],
                r["derivation"],
                r.get("powertrain") or DEFAULT_POWERTRAIN,
            )
            for r in csv.DictReader(fh)
        ]
    with (directory / config["packs"]).open(encoding="utf-8", newline="") as fh:
        packs = [
            PackFigure(
                r["use"],
                int(r["year_from"]),
                int(r["year_to"]),
                float(r["avg_pack_kg"]),
                {k: float(r[k]) for k in ("lfp", "ncm", "lmo", "other")},
                r["mark"],
                r["source"],
                r["derivation"],
                r.get("powertrain") or DEFAULT_POWERTRAIN,
            )
            for r in csv.DictReader(fh)
        ]
    sources: dict[str, dict] = {}
    if config.get("sources"):
        with (directory / config["sources"]).open(encoding="utf-8", newline="") as fh:
            sources = {r["id"]: r for r in csv.DictReader(fh)}
    return Dataset(cohorts=cohorts, packs=packs, config=config, sources=sources)


# --- the model ---------------------------------------------------------------------------------------------


class Model:
    """Vectorised Stanford model over a fixed set of cohorts, regions and calendar years."""

    def __init__(
        self,
        cohorts: Sequence[Cohort],
        regions: Sequence[str],
        years: Sequence[int],
        cascade: CascadeDelay = CascadeDelay(),
    ):
        self.regions = list(regions)
        self.years = np.array(list(years), dtype=float)
        self.cascade = cascade
        kept = [c for c in cohorts if c.region in self.regions]
        self.uses = sorted({c.use for c in kept})
        self.use_index = np.array([self.uses.index(c.use) for c in kept], dtype=int)
        self.mass = np.array([c.mass_tonnes for c in kept], dtype=float)
        region_of = np.array([self.regions.index(c.region) for c in kept], dtype=int)
        self.membership = np.zeros((len(self.regions), len(kept)))
        self.membership[region_of, np.arange(len(kept))] = 1.0
        # age at the start of each calendar year, per cohort (rows) and year (columns)
        self.age = self.years[None, :] - np.array([c.year for c in kept], dtype=float)[:, None] - SALE_OFFSET

    def _shares(self, params: Mapping[str, Weibull], age: np.ndarray) -> np.ndarray:
        shape = np.array([params[u].shape for u in self.uses])[self.use_index][:, None]
        scale = np.array([params[u].scale for u in self.uses])[self.use_index][:, None]

        def cdf(t: np.ndarray) -> np.ndarray:
            return 1.0 - np.exp(-((np.maximum(t, 0.0) / scale) ** shape))

        return cdf(age + 1.0) - cdf(age)

    def retirements(self, params: Mapping[str, Weibull], mass: np.ndarray | None = None) -> np.ndarray:
        """Retired tonnes, regions × years."""
        mass = self.mass if mass is None else mass
        shares = self._shares(params, self.age)
        if self.cascade.share > 0.0:
            delayed = self._shares(params, self.age - self.cascade.years)
            shares = (1.0 - self.cascade.share) * shares + self.cascade.share * delayed
        return self.membership @ (mass[:, None] * shares)

    def series(self, params: Mapping[str, Weibull]) -> dict[tuple[str, int], float]:
        table = self.retirements(params)
        return {
            (region, int(year)): float(table[i, j])
            for i, region in enumerate(self.regions)
            for j, year in enumerate(self.years)
        }


def retirements(
    cohorts: Sequence[Cohort],
    lifetimes: Mapping[str, Lifetime],
    years: Sequence[int],
    regions: Sequence[str],
    cascade: CascadeDelay = CascadeDelay(),
) -> dict[tuple[str, int], float]:
    """retirements(region, year) in tonnes: Σ cohorts × lifetime share of their use."""
    model = Model(cohorts, regions, years, cascade)
    return model.series({u: lt.weibull for u, lt in lifetimes.items()})


# --- calibration -------------------------------------------------------------------------------------------


@dataclass
class Calibration:
    lifetimes: dict[str, Lifetime]
    fitted: dict[tuple[str, int], float]  # model value per reference key
    reference: dict[tuple[str, int], float]
    success: bool = True
    at_bounds: list[str] = field(default_factory=list)

    @property
    def rmse(self) -> float:
        diff = [self.fitted[k] - v for k, v in self.reference.items()]
        return float(np.sqrt(np.mean(np.square(diff)))) if diff else 0.0

    @property
    def mape(self) -> float:
        """Mean absolute percentage error over the reference figures, 0..1."""
        errs = [abs(self.fitted[k] - v) / abs(v) for k, v in self.reference.items() if v]
        return float(np.mean(errs)) if errs else 0.0


@dataclass(frozen=True)
class Bounds:
    shape: tuple[float, float]
    mean: Mapping[str, tuple[float, float]]


def bounds_of(dataset: Dataset) -> Bounds:
    return Bounds(shape=dataset.shape_bounds, mean={u: dataset.mean_bounds(u) for u in dataset.uses})


def calibrate(
    cohorts: Sequence[Cohort],
    reference: Mapping[tuple[str, int], float],
    start: Mapping[str, Lifetime],
    bounds: Bounds,
    *,
    cascade: CascadeDelay = CascadeDelay(),
    starts: Sequence[float] = (2.5, 6.0, 10.0),
) -> Calibration:
    """Bounded least squares of shape and mean life per use to ``reference`` ((region, year) -> tonnes).

    Residuals are relative (model / reference - 1), the measure the plan's figures are judged by, so Hebei's
    46 t counts as much as Beijing's 5,058 t. Only uses that have cohorts are fitted; several starting shapes
    guard against a local minimum."""
    if not reference:
        raise ValueError("no reference figures to calibrate to")
    keys = sorted(reference, key=lambda k: (k[1], k[0]))
    regions = sorted({r for r, _ in keys})
    years = sorted({y for _, y in keys})
    model = Model(cohorts, regions, years, cascade)
    uses = [u for u in model.uses if u in start]
    target = np.array([reference[k] for k in keys], dtype=float)
    idx = [(regions.index(r), years.index(y)) for r, y in keys]
    rows, cols = (np.array(a) for a in zip(*idx, strict=True))

    def unpack(x: np.ndarray) -> dict[str, Lifetime]:
        return {u: Lifetime(float(x[2 * i]), float(x[2 * i + 1])) for i, u in enumerate(uses)}

    def predict(x: np.ndarray) -> np.ndarray:
        table = model.retirements({u: lt.weibull for u, lt in unpack(x).items()})
        return table[rows, cols]

    def residuals(x: np.ndarray) -> np.ndarray:
        return predict(x) / np.maximum(target, 1.0) - 1.0

    lower = np.array([b for u in uses for b in (bounds.shape[0], bounds.mean[u][0])])
    upper = np.array([b for u in uses for b in (bounds.shape[1], bounds.mean[u][1])])
    best = None
    for k0 in (None, *starts):
        x0 = np.array(
            [v for u in uses for v in ((start[u].shape if k0 is None else k0), start[u].mean)], dtype=float
        )
        x0 = np.clip(x0, lower + 1e-6, upper - 1e-6)
        result = least_squares(residuals, x0, bounds=(lower, upper), xtol=1e-10, ftol=1e-10, max_nfev=2000)
        if best is None or result.cost < best.cost:
            best = result
    assert best is not None
    lifetimes = {**dict(start), **unpack(best.x)}
    span = upper - lower
    touching = (best.x - lower < 1e-3 * span) | (upper - best.x < 1e-3 * span)
    at_bounds = [f"{uses[i // 2]}.{'shape' if i % 2 == 0 else 'mean'}" for i in np.flatnonzero(touching)]
    fitted = dict(zip(keys, (float(v) for v in predict(best.x)), strict=True))
    return Calibration(
        lifetimes=lifetimes,
        fitted=fitted,
        reference=dict(reference),
        success=bool(best.success),
        at_bounds=at_bounds,
    )


def holdout(
    cohorts: Sequence[Cohort],
    reference: Mapping[tuple[str, int], float],
    start: Mapping[str, Lifetime],
    bounds: Bounds,
    *,
    fit_years: Sequence[int],
    check_year: int,
    cascade: CascadeDelay = CascadeDelay(),
) -> tuple[Calibration, dict[tuple[str, int], float], float]:
    """Fit on ``fit_years`` alone, predict ``check_year``: (fit, predictions, MAPE of the check, 0..1)."""
    train = {k: v for k, v in reference.items() if k[1] in fit_years}
    check = {k: v for k, v in reference.items() if k[1] == check_year}
    fit = calibrate(cohorts, train, start, bounds, cascade=cascade)
    predicted = retirements(cohorts, fit.lifetimes, [check_year], sorted({r for r, _ in check}), cascade)
    errors = [abs(predicted[k] - v) / v for k, v in check.items() if v]
    return fit, {k: predicted[k] for k in check}, float(np.mean(errors)) if errors else 0.0


# --- uncertainty -------------------------------------------------------------------------------------------


@dataclass
class Band:
    """Forecast per (region, year) with a low and high quantile from the bootstrap."""

    central: dict[tuple[str, int], float]
    low: dict[tuple[str, int], float]
    high: dict[tuple[str, int], float]
    draws: int
    quantiles: tuple[float, float]


def perturbed(dataset: Dataset, rng: np.random.Generator) -> Dataset:
    """One bootstrap draw of the tables: each figure times a lognormal factor whose spread is its mark's."""

    def factor(mark: str) -> float:
        sd = dataset.firmness_sd(mark)
        return float(rng.lognormal(-0.5 * sd * sd, sd))  # mean 1

    cohorts = [replace(c, vehicles=c.vehicles * factor(c.mark)) for c in dataset.cohorts]
    packs = [replace(p, avg_pack_kg=p.avg_pack_kg * factor(p.mark)) for p in dataset.packs]
    return Dataset(cohorts=cohorts, packs=packs, config=dataset.config, sources=dataset.sources)


def bootstrap(
    dataset: Dataset,
    reference: Mapping[tuple[str, int], float],
    fit: Calibration,
    years: Sequence[int],
    regions: Sequence[str],
    *,
    draws: int | None = None,
    quantiles: tuple[float, float] | None = None,
    seed: int | None = None,
) -> Band:
    """Band over the cohort figures' firmness and the fit: each draw perturbs the tables, refits the
    lifetimes from the calibrated ones and scales the result by a resampled relative residual of the fit."""
    spec = dataset.config.get("bootstrap", {})
    draws = int(draws if draws is not None else spec.get("draws", 200))
    quantiles = tuple(quantiles if quantiles is not None else spec.get("band", (0.05, 0.95)))
    rng = np.random.default_rng(seed if seed is not None else spec.get("seed"))
    bounds = bounds_of(dataset)
    rel = (
        np.array([fit.fitted[k] / v - 1.0 for k, v in fit.reference.items() if v]) if fit.reference else None
    )
    central_model = Model(dataset.model_cohorts(), regions, years, dataset.cascade)
    central = central_model.retirements({u: lt.weibull for u, lt in fit.lifetimes.items()})
    samples = np.empty((draws, len(regions), len(years)))
    for b in range(draws):
        draw = perturbed(dataset, rng)
        cohorts = draw.model_cohorts()
        lifetimes = (
            calibrate(cohorts, reference, fit.lifetimes, bounds, cascade=dataset.cascade, starts=()).lifetimes
            if reference
            else fit.lifetimes
        )
        table = Model(cohorts, regions, years, dataset.cascade).retirements(
            {u: lt.weibull for u, lt in lifetimes.items()}
        )
        if rel is not None and len(rel):
            table = table * (1.0 + rng.choice(rel, size=table.shape))
        samples[b] = np.maximum(table, 0.0)
    names = list(regions)
    if len(names) > 1:  # the sum of the regions, a quantile of sums rather than a sum of quantiles
        names.append(TOTAL)
        central = np.vstack([central, central.sum(axis=0)])
        samples = np.concatenate([samples, samples.sum(axis=1, keepdims=True)], axis=1)
    lo, hi = np.quantile(samples, quantiles, axis=0)

    def as_map(table: np.ndarray) -> dict[tuple[str, int], float]:
        return {(r, int(y)): float(table[i, j]) for i, r in enumerate(names) for j, y in enumerate(years)}

    return Band(as_map(central), as_map(lo), as_map(hi), draws, (float(quantiles[0]), float(quantiles[1])))


# --- what any cohorts could reach --------------------------------------------------------------------------


def best_attainable_mape(
    reference: Mapping[int, float],
    lifetimes: Sequence[Lifetime],
    sale_years: Sequence[int],
) -> float:
    """Lowest MAPE (0..1) over the ``reference`` years (year -> tonnes) of one region that *any* non-negative
    cohort masses sold in ``sale_years`` could reach when their packs retire by one of ``lifetimes``.

    A linear programme (minimise the sum of absolute relative errors): it bounds what the lifetimes allow
    whatever the cohort table says, so a figure it cannot meet is out of reach of the data, not of the fit."""
    years = sorted(reference)
    target = np.array([reference[y] for y in years], dtype=float)
    columns = []
    for lt in lifetimes:
        dist = lt.weibull
        for sale in sale_years:
            columns.append([dist.share_in_year(sale, y) for y in years])
    a = np.array(columns, dtype=float).T / target[:, None]
    n, m = a.shape[1], len(years)
    eye = np.eye(m)
    result = linprog(
        np.r_[np.zeros(n), np.ones(m)],
        A_ub=np.block([[a, -eye], [-a, -eye]]),
        b_ub=np.r_[np.ones(m), -np.ones(m)],
        bounds=[(0, None)] * (n + m),
    )
    if not result.success:  # pragma: no cover - the programme is always feasible (x = 0)
        raise RuntimeError(result.message)
    return float(result.fun) / m
