"""Model selection, training and intervals of the cycle-life model (R-VALUE). Needs numpy and scikit-learn.

Recipe, fixed before looking at the results so that nothing is tuned cell by cell:

- target: log10(cycle life), as in Severson et al., Nature Energy 4, 383–391 (2019);
- candidates (:data:`CANDIDATES`): the paper's variance, discharge and full models (elastic net, penalty and L1
  ratio chosen by an inner CV grouped by cell), regularised linear models on the same transformed features
  (the feature table already holds log10 |·| of the ΔQ₁₀₀₋₁₀(V) statistics), gradient-boosted and random-forest
  trees with fixed, conservative settings (shallow trees, no search), linear + tree ensembles; a second round
  declared at once: the fade line of cycles 91–100 as a tree feature, a forest with monotone constraints set from
  the physics, extra trees, Gaussian processes (kernel settings by marginal likelihood inside each fold) and their
  ensembles;
- evaluation: K-fold cross-validation grouped by cell (a cell listed twice is counted once and never on both
  sides), repeated with fixed seeds 0…R−1. Per candidate: RMSE and MAPE in cycles (mean ± sd over repeats),
  worst-cell APE (the largest per-cell APE, each cell's APE averaged over the repeats) and the coverage of the
  80 % interval;
- choice: the lowest mean grouped-CV MAPE; a tie goes to the lower worst-cell APE. Every candidate is scored on
  the same splits, and the table gives each one's paired MAPE difference to the chosen one (mean ± sd over
  repeats), which says whether a difference is larger than the choice of folds;
- fade bound (no fitted parameter): the cycle at which the straight line through the discharge capacity of
  cycles 91–100 reaches the end-of-life capacity (80 % of the 1.1 Ah nominal) bounds the life from above, because
  the fade of these cells does not slow down after cycle 100 (it accelerates to the knee). Every candidate is
  scored with it (prediction = min(model, bound)) and without it;
- interval: split-conformal on the out-of-fold log10 residuals of the chosen model: the half-width is the
  ⌈(m+1)·0.8⌉-th smallest |residual| of the m pooled residuals. Its coverage is measured honestly, cell by cell,
  against the band computed without that cell's residuals;
- known limits: the envelope (min, max, median, 10 %/90 % quantiles) of each used feature, and a joint
  Mahalanobis score (Ledoit–Wolf covariance) with a threshold of max(χ²₀.₉₉₉(d), the largest training score).

The artefact carries only plain numbers (linear coefficients, tree nodes) so that :mod:`.cycle_life` serves it
without numpy or scikit-learn.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from scipy.stats import chi2
from sklearn.covariance import LedoitWolf
from sklearn.ensemble import ExtraTreesRegressor, GradientBoostingRegressor, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, DotProduct, Product, Sum, WhiteKernel
from sklearn.gaussian_process.kernels import ConstantKernel as Scale
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNetCV, HuberRegressor, RidgeCV
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .cycle_life import KNOWN_FEATURES, CycleLifeModel

RECIPE = "cycle-life-grouped-cv"
RECIPE_VERSION = "4"
FOLDS = 5
INNER_FOLDS = 4
REPEATS = 10
LEVEL = 0.80
L1_RATIOS = (0.1, 0.5, 0.9, 1.0)
RIDGE_ALPHAS = tuple(10**e for e in (-3, -2, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3))
SEVERSON_TEST_ERROR_PCT = 9.1  # Severson et al. 2019, "discharge" model, primary test set (124 cells in all)
# Features are computed on cycles 1–100, so a cell that has them has lived 100 cycles; the upper bound is over
# twice the longest-lived cell of the training set (2238) — LFP/graphite cells under these fast-charge
# protocols are not expected beyond it.
PLAUSIBLE_RANGE = (100.0, 5000.0)
OOD_WIDEN = 2.0  # an out-of-envelope answer has no CV residuals behind it: its band is twice as wide
IMPUTED_WIDEN = 1.25  # floor on the widening for an imputed feature (on top of its 10–90 % sweep)
JOINT_QUANTILE = 0.999
JOINT_ROUNDING = 1e-9
NOMINAL_CAPACITY_AH = 1.1  # A123 APR18650M1A, the cells of the training table
END_OF_LIFE_FRACTION = 0.8  # cycle life = cycles to 80 % of nominal capacity (the table's definition)
FADE_SLOPE = "slope_discharge_capacity_cycle_number_91:100"
FADE_INTERCEPT = "intercept_discharge_capacity_cycle_number_91:100"

VAR = ("abs_variance_discharge_capacity_difference_cycles_2:100",)
DISCHARGE = (
    "abs_min_discharge_capacity_difference_cycles_2:100",
    "abs_variance_discharge_capacity_difference_cycles_2:100",
    "abs_skew_discharge_capacity_difference_cycles_2:100",
    "abs_kurtosis_discharge_capacity_difference_cycles_2:100",
    "discharge_capacity_cycle_2",
    "max_discharge_capacity_difference",
)
FULL = (
    "abs_variance_discharge_capacity_difference_cycles_2:100",
    "abs_min_discharge_capacity_difference_cycles_2:100",
    "slope_discharge_capacity_cycle_number_2:100",
    "intercept_discharge_capacity_cycle_number_2:100",
    "discharge_capacity_cycle_2",
    "charge_time_cycles_1:5",
    "max_temperature_cycles_1:100",
    "min_temperature_cycles_1:100",
    "integrated_time_temperature_cycles_1:100",
    "min_internal_resistance_cycles_2:100",
    "internal_resistance_difference_cycles_2:100",
)
FEATURES = DISCHARGE  # kept for callers of the previous recipe
# The fade line of cycles 91–100 (the last ten cycles the features see): a cell already losing capacity fast at
# cycle 100 dies early. Given to trees only, which are invariant to the scale of the slope and flat beyond it.
DISCHARGE_FADE = (*DISCHARGE, FADE_SLOPE, FADE_INTERCEPT)
# Signs of the monotone constraints, from the physics and not from the 47 cells: a larger spread of the ΔQ(V)
# curve (|min|, variance) means more loss of active material, hence a shorter life (Severson et al., Fig. 2); a
# steeper fade at cycles 91–100 (more negative slope) means a shorter life. The other features are free.
MONOTONE = {
    "abs_min_discharge_capacity_difference_cycles_2:100": -1,
    "abs_variance_discharge_capacity_difference_cycles_2:100": -1,
    FADE_SLOPE: 1,
}


@dataclass(frozen=True)
class Member:
    estimator: str  # elastic_net | ridge | huber | gbr | rf | rf_monotone | extra_trees | gp | gp_linear
    features: tuple[str, ...]
    target: str = "log10"  # log10 (of cycle life) | cycles (cycle life itself; log10 taken of the prediction)


@dataclass(frozen=True)
class Candidate:
    name: str
    description: str
    members: tuple[Member, ...]


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("severson-variance", "Severson variance model: elastic net on log10 var ΔQ", (Member("elastic_net", VAR),)),
    Candidate("severson-discharge", "Severson discharge model: elastic net, 6 features", (Member("elastic_net", DISCHARGE),)),
    Candidate("severson-full", "Severson full model: elastic net, 11 features", (Member("elastic_net", FULL),)),
    Candidate("ridge-discharge", "ridge on the discharge features", (Member("ridge", DISCHARGE),)),
    Candidate("ridge-discharge-cycles", "ridge on the discharge features, cycle life (not its log) as target", (Member("ridge", DISCHARGE, "cycles"),)),
    Candidate("huber-discharge", "Huber (robust, L2-penalised) on the discharge features", (Member("huber", DISCHARGE),)),
    Candidate("ridge-all", "ridge on all 20 transformed features", (Member("ridge", KNOWN_FEATURES),)),
    Candidate("gbr-discharge", "gradient-boosted trees (depth 2) on the discharge features", (Member("gbr", DISCHARGE),)),
    Candidate("rf-discharge", "random forest on the discharge features", (Member("rf", DISCHARGE),)),
    Candidate("rf-all", "random forest on all 20 features", (Member("rf", KNOWN_FEATURES),)),
    Candidate(
        "ensemble-discharge",
        "mean of the Severson discharge elastic net and the boosted trees",
        (Member("elastic_net", DISCHARGE), Member("gbr", DISCHARGE)),
    ),
    Candidate(
        "ensemble-trio-discharge",
        "mean of the Severson discharge elastic net, the boosted trees and the random forest",
        (Member("elastic_net", DISCHARGE), Member("gbr", DISCHARGE), Member("rf", DISCHARGE)),
    ),
    # second round, declared together before any of them was scored: the fade line as a tree feature,
    # monotone constraints, extra trees
    Candidate("gbr-discharge-fade", "boosted trees on the discharge features and the fade line 91–100", (Member("gbr", DISCHARGE_FADE),)),
    Candidate("rf-discharge-fade", "random forest on the discharge features and the fade line 91–100", (Member("rf", DISCHARGE_FADE),)),
    Candidate("rf-monotone-discharge-fade", "random forest, monotone in |min|, var ΔQ and the fade slope", (Member("rf_monotone", DISCHARGE_FADE),)),
    Candidate("extra-trees-discharge-fade", "extremely randomised trees on the discharge features and the fade line", (Member("extra_trees", DISCHARGE_FADE),)),
    Candidate(
        "ensemble-trio-discharge-fade",
        "mean of the Severson discharge elastic net and the boosted trees and random forest with the fade line",
        (Member("elastic_net", DISCHARGE), Member("gbr", DISCHARGE_FADE), Member("rf", DISCHARGE_FADE)),
    ),
    Candidate(
        "ensemble-monotone-discharge-fade",
        "mean of the Severson discharge elastic net and the monotone random forest with the fade line",
        (Member("elastic_net", DISCHARGE), Member("rf_monotone", DISCHARGE_FADE)),
    ),
    # Gaussian processes (kernel settings by marginal likelihood inside each fold), scored together
    Candidate("gp-discharge", "Gaussian process (RBF, one length per feature) on the discharge features", (Member("gp", DISCHARGE),)),
    Candidate("gp-linear-discharge", "Gaussian process (RBF + linear kernel) on the discharge features", (Member("gp_linear", DISCHARGE),)),
    Candidate("gp-variance-min", "Gaussian process on log10 |min| and log10 var ΔQ", (Member("gp", DISCHARGE[:2]),)),
    Candidate(
        "ensemble-gp-discharge",
        "mean of the Severson discharge elastic net and the Gaussian process",
        (Member("elastic_net", DISCHARGE), Member("gp", DISCHARGE)),
    ),
    Candidate(
        "ensemble-gp-gbr-discharge",
        "mean of the Severson discharge elastic net, the Gaussian process and the boosted trees",
        (Member("elastic_net", DISCHARGE), Member("gp", DISCHARGE), Member("gbr", DISCHARGE)),
    ),
    Candidate(
        "ensemble-gp-trees-discharge",
        "mean of the Gaussian process, the boosted trees and the random forest",
        (Member("gp", DISCHARGE), Member("gbr", DISCHARGE), Member("rf", DISCHARGE)),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Dataset:
    cells: list[str]
    rows: list[dict[str, float]]  # feature name → value (NaN where the table has no value)
    y: list[float]  # cycle life
    sha256: str
    duplicates_dropped: int

    def matrix(self, features):
        return np.array([[row[f] for f in features] for row in self.rows], dtype=float)


def _cell_value(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def load_dataset(path: Path) -> Dataset:
    raw = Path(path).read_bytes()
    table = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    return dataset_from_rows(table, sha256=hashlib.sha256(raw).hexdigest())


def dataset_from_rows(table: list[dict], *, sha256: str = "") -> Dataset:
    """Rows of the feature table; a cell listed under two tasks with the same values is counted once."""
    seen: set[tuple] = set()
    cells, rows, y, dropped = [], [], [], 0
    for row in table:
        values = {f: _cell_value(row.get(f, "")) for f in KNOWN_FEATURES}
        key = (row["cell"], row["cycle_life"])
        if key in seen:
            dropped += 1
            continue
        seen.add(key)
        life = float(row["cycle_life"])
        if not math.isfinite(life) or life <= 0:
            raise ValueError(f"cell {row['cell']}: cycle life {row['cycle_life']!r} is not a positive number")
        cells.append(row["cell"])
        rows.append(values)
        y.append(life)
    return Dataset(cells, rows, y, sha256, dropped)


# --- fitting ------------------------------------------------------------------------------------------------


def _inner_cv(groups, n_splits=INNER_FOLDS):
    n_groups = len(set(groups))
    return GroupKFold(n_splits=max(2, min(n_splits, n_groups)))


def _fit_member(member: Member, X, logy, groups):
    """A fitted pipeline (median imputer → [scaler →] estimator) for one member."""
    imputer = SimpleImputer(strategy="median", keep_empty_features=True)
    if member.estimator in ("elastic_net", "ridge", "huber"):
        inner = list(_inner_cv(groups).split(X, logy, groups))
        if member.estimator == "elastic_net":
            estimator = ElasticNetCV(l1_ratio=list(L1_RATIOS), cv=inner, max_iter=200_000)
        elif member.estimator == "ridge":
            estimator = RidgeCV(alphas=RIDGE_ALPHAS, cv=inner)
        else:
            estimator = HuberRegressor(alpha=1.0, epsilon=1.35, max_iter=2000)
        pipeline = make_pipeline(imputer, StandardScaler(), estimator)
    elif member.estimator == "gbr":
        estimator = GradientBoostingRegressor(
            n_estimators=300, max_depth=2, learning_rate=0.05, subsample=0.8, random_state=0
        )
        pipeline = make_pipeline(imputer, estimator)
    elif member.estimator == "rf":
        estimator = RandomForestRegressor(
            n_estimators=200, min_samples_leaf=2, max_features=0.5, random_state=0
        )
        pipeline = make_pipeline(imputer, estimator)
    elif member.estimator == "rf_monotone":
        estimator = RandomForestRegressor(
            n_estimators=200,
            min_samples_leaf=2,
            max_features=0.5,
            random_state=0,
            monotonic_cst=[MONOTONE.get(f, 0) for f in member.features],
        )
        pipeline = make_pipeline(imputer, estimator)
    elif member.estimator in ("gp", "gp_linear"):
        pipeline = make_pipeline(imputer, StandardScaler(), _gaussian_process(X.shape[1], member.estimator))
    elif member.estimator == "extra_trees":
        estimator = ExtraTreesRegressor(
            n_estimators=200, min_samples_leaf=2, max_features=0.5, random_state=0
        )
        pipeline = make_pipeline(imputer, estimator)
    else:
        raise ValueError(f"unknown estimator {member.estimator!r}")
    with warnings.catch_warnings():  # a length scale at its bound is an answer (the feature does not matter)
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipeline.fit(X, 10**logy if member.target == "cycles" else logy)


def _gaussian_process(d: int, kind: str):
    """GP regression on standardised features: scaled RBF with one length per feature, white noise, and for
    ``gp_linear`` a scaled linear kernel; every setting by maximum marginal likelihood on the training fold."""
    kernel = Scale(0.05) * RBF(length_scale=[2.0] * d, length_scale_bounds=(0.1, 100.0)) + WhiteKernel(
        0.005, (1e-5, 0.1)
    )
    if kind == "gp_linear":
        kernel = kernel + Scale(0.01) * DotProduct(sigma_0=1.0, sigma_0_bounds="fixed")
    return GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=0, random_state=0)


def _member_log10(member: Member, prediction):
    if member.target == "cycles":  # a prediction below one cycle is taken as one cycle (log10 = 0)
        return np.log10(np.maximum(prediction, 1.0))
    return prediction


def _fit_candidate(candidate: Candidate, data: Dataset, index):
    logy = np.log10(np.array(data.y))[index]
    groups = np.array(data.cells)[index]
    return [
        (member, _fit_member(member, data.matrix(member.features)[index], logy, groups))
        for member in candidate.members
    ]


def _predict_log10(fitted, data: Dataset, index):
    return np.mean(
        [_member_log10(m, pipe.predict(data.matrix(m.features)[index])) for m, pipe in fitted], axis=0
    )


def fade_bound(slope: float, intercept: float, *, eol_ah: float = NOMINAL_CAPACITY_AH * END_OF_LIFE_FRACTION):
    """The cycle at which the line ``intercept + slope · cycle`` (fit to cycles 91–100) reaches ``eol_ah``; None
    when the capacity is not falling or a value is unknown. Fade accelerates towards the knee, so the cell is not
    expected to outlive it."""
    if not (math.isfinite(slope) and math.isfinite(intercept)) or slope >= 0:
        return None
    return (eol_ah - intercept) / slope


def fade_bound_log10(data: Dataset):
    """log10 of :func:`fade_bound` per row (+inf where there is none; at least 0, i.e. one cycle)."""
    out = np.full(len(data.y), np.inf)
    for i, row in enumerate(data.rows):
        bound = fade_bound(row[FADE_SLOPE], row[FADE_INTERCEPT])
        if bound is not None:
            out[i] = math.log10(max(bound, 1.0))
    return out


# --- evaluation ---------------------------------------------------------------------------------------------


def conformal_half_width(abs_residuals, level: float = LEVEL) -> float:
    """Split-conformal half-width: the ⌈(m+1)·level⌉-th smallest of m absolute residuals."""
    ordered = sorted(float(r) for r in abs_residuals)
    m = len(ordered)
    if m == 0:
        raise ValueError("no residuals")
    k = min(math.ceil((m + 1) * level), m)
    return ordered[k - 1]


def out_of_fold(candidate: Candidate, data: Dataset, *, repeats: int, folds: int = FOLDS, cache=None):
    """Out-of-fold log10 predictions, shape (repeats, cells): grouped K-fold with seeds 0…repeats−1.

    Members are fitted independently of each other, so a member shared by several candidates is fitted once per
    fold when the same ``cache`` (a dict) is passed."""
    cache = {} if cache is None else cache
    return np.mean([_member_out_of_fold(m, data, repeats, folds, cache) for m in candidate.members], axis=0)


def _member_out_of_fold(member: Member, data: Dataset, repeats: int, folds: int, cache: dict):
    key = (member, repeats, folds)
    if key in cache:
        return cache[key]
    groups = np.array(data.cells)
    n = len(data.y)
    logy = np.log10(np.array(data.y))
    X = data.matrix(member.features)
    pred = np.zeros((repeats, n))
    for repeat in range(repeats):
        splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=repeat)
        for train, test in splitter.split(np.zeros(n), groups=groups):
            pipe = _fit_member(member, X[train], logy[train], groups[train])
            pred[repeat, test] = _member_log10(member, pipe.predict(X[test]))
    cache[key] = pred
    return pred


def score(pred_log10, data: Dataset, *, level: float = LEVEL) -> dict:
    """CV figures from out-of-fold log10 predictions (repeats × cells)."""
    life = np.array(data.y)
    predicted = 10**pred_log10
    ape = np.abs(predicted - life) / life * 100
    rmse = np.sqrt(np.mean((predicted - life) ** 2, axis=1))
    residuals = np.log10(life)[None, :] - pred_log10  # repeats × cells
    per_cell_ape = ape.mean(axis=0)
    worst = int(np.argmax(per_cell_ape))
    half = conformal_half_width(np.abs(residuals).ravel(), level)
    covered = []
    for cell in range(len(life)):
        others = np.abs(np.delete(residuals, cell, axis=1)).ravel()
        covered.extend(np.abs(residuals[:, cell]) <= conformal_half_width(others, level))
    return {
        "rmse": _mean_sd(rmse),
        "mape_pct": _mean_sd(ape.mean(axis=1)),
        "worst_cell_ape_pct": round(float(per_cell_ape[worst]), 1),
        "worst_cell": data.cells[worst],
        "interval_half_width_log10": half,
        "interval_coverage_pct": round(float(np.mean(covered)) * 100, 1),
        "mape_per_repeat_pct": [round(float(v), 3) for v in ape.mean(axis=1)],
    }


def _mean_sd(values) -> dict:
    values = [float(v) for v in values]
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return {"mean": round(mean, 3), "sd": round(sd, 3)}


def baseline(data: Dataset, *, repeats: int) -> dict:
    """Predict the training folds' mean log10 life (with the fade bound): the floor every candidate must clear."""
    logy = np.log10(np.array(data.y))
    pred = np.zeros((repeats, len(logy)))
    for repeat in range(repeats):
        splitter = GroupKFold(n_splits=FOLDS, shuffle=True, random_state=repeat)
        for train, test in splitter.split(np.zeros(len(logy)), groups=np.array(data.cells)):
            pred[repeat, test] = logy[train].mean()
    return score(np.minimum(pred, fade_bound_log10(data)[None, :]), data)


def choose(table: list[dict]) -> dict:
    """The candidate with the lowest mean grouped-CV MAPE; ties go to the lower worst-cell APE."""
    return min(table, key=lambda row: (row["mape_pct"]["mean"], row["worst_cell_ape_pct"]))


def evaluate(data: Dataset, candidates=CANDIDATES, *, repeats: int = REPEATS) -> tuple[list[dict], dict]:
    """Every candidate's grouped-CV figures with the fade bound (and, for comparison, without it), in the given
    order; the chosen row is marked."""
    bound = fade_bound_log10(data)
    table: list[dict] = []
    residual_sets: dict = {}
    cache: dict = {}
    for candidate in candidates:
        raw = out_of_fold(candidate, data, repeats=repeats, cache=cache)
        pred = np.minimum(raw, bound[None, :])
        unbounded = score(raw, data)
        row = {
            "name": candidate.name,
            "description": candidate.description,
            **score(pred, data),
            "limited_by_fade_bound_pct": round(float(np.mean(raw > bound[None, :])) * 100, 1),
            "without_fade_bound": {
                k: unbounded[k] for k in ("rmse", "mape_pct", "worst_cell_ape_pct", "worst_cell")
            },
        }
        table.append(row)
        residual_sets[candidate.name] = pred
    chosen = choose(table)
    for row in table:
        row["chosen"] = row is chosen
        # every candidate is scored on the same splits, so the per-repeat difference is paired: its spread says
        # whether two candidates differ by more than the choice of folds does
        row["mape_minus_chosen_pct"] = _mean_sd(
            [a - b for a, b in zip(row["mape_per_repeat_pct"], chosen["mape_per_repeat_pct"], strict=True)]
        )
    return table, residual_sets


# --- export -------------------------------------------------------------------------------------------------


def _export_member(member: Member, pipeline, X) -> dict:
    estimator = pipeline.steps[-1][1]
    if member.estimator in ("elastic_net", "ridge", "huber"):
        return {
            **_member_head("linear", member),
            **_scaling(pipeline),
            "coefficients": [float(v) for v in np.ravel(estimator.coef_)],
            "intercept": float(np.ravel([estimator.intercept_])[0]),
            "hyper_parameters": _hyper(estimator),
        }
    if member.estimator in ("gp", "gp_linear"):
        return {
            **_member_head("kernel", member),
            **_scaling(pipeline),
            "support": [[float(v) for v in row] for row in estimator.X_train_],
            # normalize_y: the GP was fitted on (y − mean)/sd, so its weights carry the sd back
            "dual": [float(v) * float(estimator._y_train_std) for v in np.ravel(estimator.alpha_)],
            "offset": float(estimator._y_train_mean),
            **_kernel_settings(estimator.kernel_),
        }
    if member.estimator == "gbr":
        trees = [t[0] for t in estimator.estimators_]
        weight = float(estimator.learning_rate)
    else:
        trees = list(estimator.estimators_)
        weight = 1.0 / len(trees)
    filled = pipeline.steps[0][1].transform(X[:1])
    offset = float(estimator.predict(filled)[0] - weight * sum(t.predict(filled)[0] for t in trees))
    return {
        **_member_head("trees", member),
        "offset": offset,
        "weight": weight,
        "trees": [_export_tree(t.tree_) for t in trees],
    }


def _member_head(kind: str, member: Member) -> dict:
    """What every exported member starts with: its kind, estimator, target and features."""
    return {
        "kind": kind,
        "estimator": member.estimator,
        "target": member.target,
        "features": list(member.features),
    }


def _scaling(pipeline) -> dict:
    """The standard scaler's means and scales, a zero scale read as 1."""
    scaler = pipeline.steps[1][1]
    return {
        "mean": [float(v) for v in scaler.mean_],
        "scale": [float(v) if v else 1.0 for v in scaler.scale_],
    }


def _kernel_settings(kernel) -> dict:
    """RBF and linear parts of a fitted sum of scaled kernels (the white noise does not act between distinct
    points, so it has no part in a prediction)."""
    out = {"rbf_variance": 0.0, "length_scales": [], "linear_variance": 0.0, "sigma0": 0.0}

    def walk(k):
        if isinstance(k, Sum):
            walk(k.k1)
            walk(k.k2)
        elif isinstance(k, Product):
            scale, part = k.k1.constant_value, k.k2
            if isinstance(part, RBF):
                out["rbf_variance"] = float(scale)
                out["length_scales"] = [float(v) for v in np.atleast_1d(part.length_scale)]
            elif isinstance(part, DotProduct):
                out["linear_variance"], out["sigma0"] = float(scale), float(part.sigma_0)

    walk(kernel)
    return out


def _hyper(estimator) -> dict:
    out = {}
    for name in ("alpha_", "l1_ratio_", "alpha", "epsilon"):
        if hasattr(estimator, name):
            out[name.rstrip("_")] = float(getattr(estimator, name))
    return out


def _export_tree(tree) -> dict:
    leaf = tree.children_left == -1
    return {
        "left": [int(v) for v in tree.children_left],
        "right": [int(v) for v in tree.children_right],
        "feature": [-1 if is_leaf else int(v) for v, is_leaf in zip(tree.feature, leaf, strict=True)],
        "threshold": [0.0 if is_leaf else float(v) for v, is_leaf in zip(tree.threshold, leaf, strict=True)],
        "value": [float(v) for v in tree.value[:, 0, 0]],
    }


def _used_features(members: list[dict]) -> list[str]:
    used: set[str] = set()
    for m in members:
        if m["kind"] == "kernel":  # every feature enters the distance
            used |= set(m["features"])
        elif m["kind"] == "linear":
            used |= {f for f, c in zip(m["features"], m["coefficients"], strict=True) if c != 0.0}
        else:
            used |= {m["features"][i] for t in m["trees"] for i in t["feature"] if i >= 0}
    return [f for f in KNOWN_FEATURES if f in used] + sorted(used - set(KNOWN_FEATURES))


def envelope(data: Dataset, features: list[str]) -> dict:
    """Per feature: min, max, median and the 10 %/90 % quantiles of the training cells (NaN ignored)."""
    out = {}
    for f in features:
        column = data.matrix([f])[:, 0]
        column = column[np.isfinite(column)]
        out[f] = {
            "min": float(column.min()),
            "max": float(column.max()),
            "median": float(np.median(column)),
            "p10": float(np.quantile(column, 0.1)),
            "p90": float(np.quantile(column, 0.9)),
            "n": int(column.size),
        }
    return out


def joint_envelope(data: Dataset, features: list[str], env: dict) -> dict:
    """Mahalanobis score on the used features (standardised, median-imputed; Ledoit–Wolf covariance)."""
    if not features:  # a constant model: nothing to be outside of
        return {"features": [], "mean": [], "scale": [], "precision": [], "threshold": 0.0, "method": "none"}
    X = data.matrix(features)
    for j, f in enumerate(features):
        X[~np.isfinite(X[:, j]), j] = env[f]["median"]
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    precision = LedoitWolf().fit(Z).precision_
    scores = np.einsum("ij,jk,ik->i", Z, precision, Z)
    # the serving code recomputes the score in plain Python: a relative margin far below any real difference keeps
    # the last rounding digit from flagging the training cell that sets the threshold
    threshold = max(float(chi2.ppf(JOINT_QUANTILE, len(features))), float(scores.max())) * (
        1 + JOINT_ROUNDING
    )
    return {
        "features": list(features),
        "mean": [float(v) for v in mean],
        "scale": [float(v) for v in scale],
        "precision": [[float(v) for v in row] for row in precision],
        "threshold": threshold,
        "method": f"squared Mahalanobis distance, Ledoit–Wolf covariance; threshold max(χ²_{JOINT_QUANTILE}(d), "
        "largest training score)",
    }


def _subset(data: Dataset, index) -> Dataset:
    return Dataset(
        [data.cells[i] for i in index], [data.rows[i] for i in index], [data.y[i] for i in index], "", 0
    )


def _serving_parts(candidate: Candidate, data: Dataset, index) -> dict:
    """Members, used features, envelope and joint score of ``candidate`` fitted on the cells in ``index``."""
    sub = _subset(data, index)
    members = [
        _export_member(m, pipe, sub.matrix(m.features)) for m, pipe in _fit_candidate(candidate, data, index)
    ]
    used = _used_features(members)
    env = envelope(sub, sorted({f for m in members for f in m["features"]} | {FADE_SLOPE, FADE_INTERCEPT}))
    return {
        "features": used,
        "model": {"kind": "ensemble", "combine": "mean_log10", "members": members},
        "envelope": env,
        "joint": joint_envelope(sub, used, env),
        "fade_bound": _fade_block(),
    }


def _fade_block() -> dict:
    return {
        "slope": FADE_SLOPE,
        "intercept": FADE_INTERCEPT,
        "end_of_life_capacity_ah": round(NOMINAL_CAPACITY_AH * END_OF_LIFE_FRACTION, 6),
        "method": f"cycle at which the line through the discharge capacity of cycles 91–100 reaches "
        f"{END_OF_LIFE_FRACTION:.0%} of the {NOMINAL_CAPACITY_AH} Ah nominal capacity; the prediction is at most "
        "this (fade accelerates towards the knee); not applied when the capacity is not falling or a value is missing",
    }


def served_cross_validation(
    candidate: Candidate, data: Dataset, *, repeats: int, half_width: float, folds: int = FOLDS
) -> dict:
    """The answers the API would give to held-out cells: per fold, model, envelope and joint score are fitted on
    the training cells only, and the held-out cells go through the serving code (clipping, flags, bounds)."""
    groups = np.array(data.cells)
    n = len(data.y)
    pred, covered, flagged, bounded = (
        np.zeros((repeats, n)),
        np.zeros((repeats, n), bool),
        np.zeros((repeats, n), bool),
        np.zeros((repeats, n), bool),
    )
    life = np.array(data.y)
    for repeat in range(repeats):
        splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=repeat)
        for train, test in splitter.split(np.zeros(n), groups=groups):
            model = CycleLifeModel.from_dict(
                {"schema": 2, "version": "cv", "target": "log10_cycle_life", **_serving_parts(candidate, data, train),
                 "interval": _interval_block(half_width, coverage=0.0), "plausible_range": list(PLAUSIBLE_RANGE)}
            )  # fmt: skip
            for i in test:
                values = {f: data.rows[i][f] for f in model.inputs if math.isfinite(data.rows[i][f])}
                p = model.predict(values)
                pred[repeat, i] = math.log10(p.cycle_life)
                covered[repeat, i] = p.interval[0] <= life[i] <= p.interval[1]
                flagged[repeat, i] = p.out_of_distribution
                bounded[repeat, i] = p.limited_by_fade_bound
    figures = score(pred, data)
    return {
        "rmse": figures["rmse"],
        "mape_pct": figures["mape_pct"],
        "worst_cell_ape_pct": figures["worst_cell_ape_pct"],
        "worst_cell": figures["worst_cell"],
        "out_of_distribution_pct": round(float(flagged.mean()) * 100, 1),
        "limited_by_fade_bound_pct": round(float(bounded.mean()) * 100, 1),
        "interval_coverage_pct": round(float(covered.mean()) * 100, 1),
        "method": "grouped CV of the served answers; model, envelope and joint score fitted per fold, "
        "interval half-width of the final model",
    }


def _interval_block(half_width: float, *, coverage: float) -> dict:
    return {
        "level": LEVEL,
        "half_width_log10": half_width,
        "coverage_pct": coverage,
        "method": "split-conformal on the grouped-CV out-of-fold log10 residuals",
        "widen_out_of_distribution": OOD_WIDEN,
        "widen_imputed": IMPUTED_WIDEN,
    }


def train(path: Path, *, repeats: int = REPEATS, candidates=CANDIDATES) -> dict:
    """Evaluate every candidate, fit the chosen one on every cell; returns the artefact (JSON-ready dict)."""
    data = load_dataset(path)
    table, _ = evaluate(data, candidates, repeats=repeats)
    chosen_row = next(row for row in table if row["chosen"])
    candidate = next(c for c in candidates if c.name == chosen_row["name"])
    parts = _serving_parts(candidate, data, np.arange(len(data.y)))
    half = chosen_row["interval_half_width_log10"]
    body = {
        "recipe": RECIPE,
        "target": "log10_cycle_life",
        "chosen": candidate.name,
        **parts,
        "interval": _interval_block(half, coverage=chosen_row["interval_coverage_pct"]),
        "plausible_range": list(PLAUSIBLE_RANGE),
        "imputation": "training median of the feature; the band also spans the feature's 10–90 % quantiles",
        "candidates": table,
        "baseline": baseline(data, repeats=repeats),
        "served": served_cross_validation(candidate, data, repeats=repeats, half_width=half),
        "evaluation": {
            "scheme": f"{repeats}× repeated {FOLDS}-fold cross-validation grouped by cell (seeds 0…{repeats - 1}); "
            f"linear hyper-parameters chosen by an inner {INNER_FOLDS}-fold grouped CV",
            "selection": "lowest mean grouped-CV MAPE; ties to the lower worst-cell APE",
            "n_cells": len(set(data.cells)),
            "severson_test_error_pct": SEVERSON_TEST_ERROR_PCT,
        },
        "training": {"data_file": Path(path).name, "data_sha256": data.sha256, "n_cells": len(set(data.cells)),
                     "duplicates_dropped": data.duplicates_dropped, "sklearn": sklearn.__version__},
        "source": "Severson et al., Data-driven prediction of battery cycle life before capacity degradation, "
        "Nature Energy 4, 383-391 (2019); features from TRI-AMDD/beep test data (CC BY 4.0 data)",
    }  # fmt: skip
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:8]
    return {"schema": 2, "version": f"{candidate.name}-{RECIPE_VERSION}-{digest}", **body}


def format_report(artefact: dict) -> str:
    ev = artefact["evaluation"]
    lines = [
        f"cycle-life model {artefact['version']} on {ev['n_cells']} cells",
        ev["scheme"],
        f"choice: {ev['selection']}",
        "figures with the fade bound (prediction ≤ the cycle where the fade line of cycles 91–100 reaches 80 %); "
        "MAPE w/o and worst w/o without it; Δ MAPE paired: the candidate's MAPE minus the chosen one's on the same "
        "splits (mean ± sd over repeats)",
        f"  {'candidate':34}{'RMSE (cycles)':>15}{'MAPE (%)':>13}{'worst cell (%)':>15}{'80% cover (%)':>14}"
        f"{'bound (%)':>10}{'MAPE w/o':>13}{'worst w/o':>10}{'Δ MAPE paired':>15}",
    ]
    for row in [*artefact["candidates"], {"name": "baseline: mean", **artefact["baseline"]}]:
        mark = "*" if row.get("chosen") else " "
        plain = row.get("without_fade_bound")
        lines.append(
            f"{mark} {row['name']:34}{_fmt(row['rmse']):>15}{_fmt(row['mape_pct']):>13}"
            f"{row['worst_cell_ape_pct']:>15.1f}{row['interval_coverage_pct']:>14.1f}"
            + (
                f"{row['limited_by_fade_bound_pct']:>10.1f}{_fmt(plain['mape_pct']):>13}"
                f"{plain['worst_cell_ape_pct']:>10.1f}{_fmt(row['mape_minus_chosen_pct'], signed=True):>15}"
                if plain
                else ""
            )
        )
    iv = artefact["interval"]
    chosen = next(row for row in artefact["candidates"] if row["chosen"])
    lines += [
        f"  {'Severson et al. 2019':34}{'—':>15}{ev['severson_test_error_pct']:>13.1f}   (124 cells, fixed test split)",
        f"chosen: {artefact['chosen']} on {len(artefact['features'])} features; worst cell {chosen['worst_cell']}; "
        f"{iv['level']:.0%} interval ×{10 ** -iv['half_width_log10']:.2f}…×{10 ** iv['half_width_log10']:.2f} of the "
        f"prediction, covering {iv['coverage_pct']:.1f}% of the cells in grouped CV",
    ]
    if served := artefact.get("served"):
        lines.append(
            f"served answers in grouped CV (envelope per fold, clipping, bounds): RMSE {_fmt(served['rmse'])}, "
            f"MAPE {_fmt(served['mape_pct'])}, worst cell {served['worst_cell_ape_pct']:.1f}%, "
            f"{served['out_of_distribution_pct']:.1f}% flagged out of distribution, "
            f"{served['limited_by_fade_bound_pct']:.1f}% limited by the fade bound, "
            f"80% band covers {served['interval_coverage_pct']:.1f}%"
        )
    return "\n".join(lines)


def _fmt(stat: dict, *, signed: bool = False) -> str:
    return f"{stat['mean']:{'+' if signed else ''}.1f} ± {stat['sd']:.1f}"
