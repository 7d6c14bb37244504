"""Training and grouped cross-validation of the cycle-life model (R-VALUE). Needs numpy and scikit-learn.

Recipe, fixed before looking at the results so that nothing is tuned row by row:

- features: the "discharge" model of Severson et al. (2019): log10 |min ΔQ₁₀₀₋₁₀(V)|, log10 |var ΔQ|,
  log10 |skew ΔQ|, log10 |kurtosis ΔQ|, discharge capacity at cycle 2 and max capacity − capacity at cycle 2
  (physically: the spread of the discharge-curve change between cycles 10 and 100 tracks lithium-inventory loss
  and active-material loss before capacity itself fades);
- target: log10(cycle life), as in the paper;
- model: standardisation + elastic net; the penalty and L1 ratio are chosen by an inner cross-validation grouped
  by cell (nested inside the outer folds for the reported figures, so the figures never see the held-out cells);
- evaluation: grouped K-fold by cell (a cell that appears twice is never on both sides), repeated with shuffled
  group assignments; RMSE and MAPE in cycles beside a baseline that predicts the training folds' mean;
- interval: the 5 % and 95 % quantiles of the pooled out-of-fold log10 residuals (a split-conformal style band).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

RECIPE = "severson-discharge-elasticnet"
RECIPE_VERSION = "1"
FEATURES = (
    "abs_min_discharge_capacity_difference_cycles_2:100",
    "abs_variance_discharge_capacity_difference_cycles_2:100",
    "abs_skew_discharge_capacity_difference_cycles_2:100",
    "abs_kurtosis_discharge_capacity_difference_cycles_2:100",
    "discharge_capacity_cycle_2",
    "max_discharge_capacity_difference",
)
L1_RATIOS = (0.1, 0.5, 0.9, 1.0)
OUTER_FOLDS = 5
INNER_FOLDS = 4
REPEATS = 10
INTERVAL = (0.05, 0.95)
SEVERSON_TEST_ERROR_PCT = 9.1  # Severson et al. 2019, "discharge" model, first 100 cycles, 124 cells


@dataclass(frozen=True)
class Dataset:
    cells: list[str]
    X: list[list[float]]
    y: list[float]
    sha256: str
    duplicates_dropped: int


def load_dataset(path: Path) -> Dataset:
    raw = Path(path).read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    seen: set[tuple] = set()
    cells, X, y, dropped = [], [], [], 0
    for row in rows:
        values = [float(row[f]) for f in FEATURES]
        key = (row["cell"], tuple(values), row["cycle_life"])
        if key in seen:  # the same cell listed under two tasks: count it once
            dropped += 1
            continue
        seen.add(key)
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"cell {row['cell']}: non-finite feature value")
        cells.append(row["cell"])
        X.append(values)
        y.append(float(row["cycle_life"]))
    return Dataset(cells, X, y, hashlib.sha256(raw).hexdigest(), dropped)


def _fit(X, y, groups):
    import numpy as np  # noqa: PLC0415
    from sklearn.linear_model import ElasticNetCV  # noqa: PLC0415
    from sklearn.model_selection import GroupKFold  # noqa: PLC0415
    from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

    scaler = StandardScaler().fit(X)
    n_groups = len(set(groups))
    inner = list(GroupKFold(n_splits=min(INNER_FOLDS, n_groups)).split(X, y, groups))
    model = ElasticNetCV(l1_ratio=list(L1_RATIOS), cv=inner, max_iter=200_000, selection="cyclic")
    model.fit(scaler.transform(X), np.log10(y))
    return scaler, model


def cross_validate(data: Dataset, *, repeats: int = REPEATS) -> dict:
    """Nested, grouped, repeated K-fold: figures for the model and for the predict-the-mean baseline."""
    import numpy as np  # noqa: PLC0415
    from sklearn.model_selection import GroupKFold  # noqa: PLC0415

    X, y, groups = np.array(data.X), np.array(data.y), np.array(data.cells)
    per_repeat, residuals = [], []
    for repeat in range(repeats):
        folds = GroupKFold(n_splits=OUTER_FOLDS, shuffle=True, random_state=repeat)
        pred, base = np.zeros_like(y), np.zeros_like(y)
        for train, test in folds.split(X, y, groups):
            scaler, model = _fit(X[train], y[train], groups[train])
            pred[test] = 10 ** model.predict(scaler.transform(X[test]))
            base[test] = y[train].mean()
        residuals.extend(np.log10(y) - np.log10(pred))
        per_repeat.append(
            {
                "rmse": float(np.sqrt(np.mean((pred - y) ** 2))),
                "mape_pct": float(np.mean(np.abs(pred - y) / y) * 100),
                "baseline_rmse": float(np.sqrt(np.mean((base - y) ** 2))),
                "baseline_mape_pct": float(np.mean(np.abs(base - y) / y) * 100),
            }
        )
    summary = {k: _mean_sd([r[k] for r in per_repeat]) for k in per_repeat[0]}
    low, high = (float(np.quantile(residuals, q)) for q in INTERVAL)
    pooled = np.array(residuals)
    return {
        "scheme": f"{repeats}× repeated {OUTER_FOLDS}-fold cross-validation grouped by cell; "
        f"hyper-parameters chosen by an inner {INNER_FOLDS}-fold grouped CV",
        "n_cells": len(set(data.cells)),
        **summary,
        "severson_test_error_pct": SEVERSON_TEST_ERROR_PCT,
        "interval_log10": [low, high],
        "interval_coverage_pct": float(np.mean((pooled >= low) & (pooled <= high)) * 100),
    }


def _mean_sd(values: list[float]) -> dict:
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return {"mean": round(mean, 3), "sd": round(sd, 3)}


def train(path: Path, *, repeats: int = REPEATS) -> dict:
    """Cross-validate, then fit on every cell; returns the artefact (JSON-ready dict)."""
    import numpy as np  # noqa: PLC0415
    import sklearn  # noqa: PLC0415

    data = load_dataset(path)
    metrics = cross_validate(data, repeats=repeats)
    scaler, model = _fit(np.array(data.X), np.array(data.y), np.array(data.cells))
    body = {
        "recipe": RECIPE,
        "target": "log10_cycle_life",
        "features": list(FEATURES),
        "model": {
            "kind": "elastic_net",
            "scaler_mean": [float(v) for v in scaler.mean_],
            "scaler_scale": [float(v) for v in scaler.scale_],
            "coefficients": [float(v) for v in model.coef_],
            "intercept": float(model.intercept_),
            "alpha": float(model.alpha_),
            "l1_ratio": float(model.l1_ratio_),
        },
        "interval": {"level": INTERVAL[1] - INTERVAL[0], "low": metrics["interval_log10"][0],
                     "high": metrics["interval_log10"][1], "method": "quantiles of grouped-CV log10 residuals"},
        "training": {"data_file": Path(path).name, "data_sha256": data.sha256, "n_cells": len(set(data.cells)),
                     "duplicates_dropped": data.duplicates_dropped, "sklearn": sklearn.__version__},
        "metrics": metrics,
        "source": "Severson et al., Data-driven prediction of battery cycle life before capacity degradation, "
        "Nature Energy 4, 383-391 (2019); features from TRI-AMDD/beep test data (CC BY 4.0 data)",
    }  # fmt: skip
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:8]
    return {"schema": 1, "version": f"{RECIPE}-{RECIPE_VERSION}-{digest}", **body}


def format_report(artefact: dict) -> str:
    m = artefact["metrics"]
    lines = [
        f"cycle-life model {artefact['version']} on {m['n_cells']} cells",
        m["scheme"],
        f"{'':28}{'RMSE (cycles)':>16}{'MAPE (%)':>14}",
        f"{'elastic net (6 features)':28}{_fmt(m['rmse']):>16}{_fmt(m['mape_pct']):>14}",
        f"{'baseline: predict the mean':28}{_fmt(m['baseline_rmse']):>16}{_fmt(m['baseline_mape_pct']):>14}",
        f"{'Severson et al. 2019 (124)':28}{'—':>16}{m['severson_test_error_pct']:>14.1f}",
        f"alpha={artefact['model']['alpha']:.4g} l1_ratio={artefact['model']['l1_ratio']}; "
        f"{artefact['interval']['level']:.0%} interval ×{10 ** m['interval_log10'][0]:.2f}…"
        f"×{10 ** m['interval_log10'][1]:.2f} of the prediction (covers {m['interval_coverage_pct']:.0f}% of pooled CV residuals)",
    ]
    return "\n".join(lines)


def _fmt(stat: dict) -> str:
    return f"{stat['mean']:.1f} ± {stat['sd']:.1f}"
