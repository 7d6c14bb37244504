"""Cycle life from early-cycle features (R-VALUE; the lab route of GB/T 34015.6-style remaining-life assessment).

The artefact is a JSON document written by :mod:`.training`: a linear model on standardised features predicting
log10(cycle life), as in Severson et al., Nature Energy 4, 383–391 (2019). Prediction here is plain Python so
serving needs neither numpy nor scikit-learn. The interval comes from the quantiles of the grouped
cross-validation residuals on the log scale.

Input checking: every feature the model uses is required and must be a finite number. A value that is present
but not a number — ``null``, ``"NaN"``, ``"inf"``, a bare ``NaN`` literal — is refused for any of the known feature
columns, used or not: a NaN in a feature vector means the feature extraction broke, and the caller should hear it.
Other keys (``cell``, ``cycle_life``, …) are ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The 20 feature columns of the early-cycle feature table (BEEP feature set for Severson et al.'s cells).
KNOWN_FEATURES: tuple[str, ...] = (
    "discharge_capacity_cycle_2",
    "max_discharge_capacity_difference",
    "discharge_capacity_cycle_100",
    "integrated_time_temperature_cycles_1:100",
    "charge_time_cycles_1:5",
    "abs_min_discharge_capacity_difference_cycles_2:100",
    "abs_mean_discharge_capacity_difference_cycles_2:100",
    "abs_variance_discharge_capacity_difference_cycles_2:100",
    "abs_skew_discharge_capacity_difference_cycles_2:100",
    "abs_kurtosis_discharge_capacity_difference_cycles_2:100",
    "abs_first_discharge_capacity_difference_cycles_2:100",
    "max_temperature_cycles_1:100",
    "min_temperature_cycles_1:100",
    "slope_discharge_capacity_cycle_number_2:100",
    "intercept_discharge_capacity_cycle_number_2:100",
    "slope_discharge_capacity_cycle_number_91:100",
    "intercept_discharge_capacity_cycle_number_91:100",
    "min_internal_resistance_cycles_2:100",
    "internal_resistance_cycle_2",
    "internal_resistance_difference_cycles_2:100",
)


@dataclass(frozen=True)
class CycleLifeModel:
    version: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    residual_quantiles: tuple[float, float]  # log10 residuals (observed − predicted) bounding the interval
    interval_level: float
    raw: dict

    @classmethod
    def from_dict(cls, data: dict) -> CycleLifeModel:
        m = data["model"]
        features = tuple(data["features"])
        lengths = {len(features), len(m["scaler_mean"]), len(m["scaler_scale"]), len(m["coefficients"])}
        if len(lengths) != 1:
            raise ValueError("artefact is inconsistent: features, scaler and coefficients differ in length")
        if data.get("target") != "log10_cycle_life":
            raise ValueError(f"unsupported target {data.get('target')!r}")
        return cls(
            version=str(data["version"]),
            features=features,
            mean=tuple(float(x) for x in m["scaler_mean"]),
            scale=tuple(float(x) for x in m["scaler_scale"]),
            coefficients=tuple(float(x) for x in m["coefficients"]),
            intercept=float(m["intercept"]),
            residual_quantiles=(float(data["interval"]["low"]), float(data["interval"]["high"])),
            interval_level=float(data["interval"]["level"]),
            raw=data,
        )

    def predict_log10(self, values: dict[str, float]) -> float:
        z = (
            (values[f] - mu) / (sd if sd else 1.0)
            for f, mu, sd in zip(self.features, self.mean, self.scale, strict=True)
        )
        return self.intercept + sum(c * x for c, x in zip(self.coefficients, z, strict=True))

    def predict(self, values: dict[str, float]) -> Prediction:
        centre = self.predict_log10(values)
        low, high = self.residual_quantiles
        return Prediction(
            cycle_life=10**centre,
            interval=(10 ** (centre + low), 10 ** (centre + high)),
            model_version=self.version,
        )


@dataclass(frozen=True)
class Prediction:
    cycle_life: float
    interval: tuple[float, float]
    model_version: str


def _as_number(value) -> float | None:
    """A finite float, or None for anything else (None, "NaN", "inf", booleans, text)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def validate_features(item, model: CycleLifeModel) -> tuple[dict[str, float], dict[str, list[str]]]:
    """The model's feature values from one request item, and the errors per field (empty when usable)."""
    if not isinstance(item, dict):
        return {}, {"non_field_errors": ["each item must be an object of feature name → number"]}
    errors: dict[str, list[str]] = {}
    values: dict[str, float] = {}
    for name in model.features:
        if name not in item:
            errors[name] = ["required by the model but missing"]
    for name in sorted(set(KNOWN_FEATURES) | set(model.features)):
        if name not in item:
            continue
        number = _as_number(item[name])
        if number is None:
            errors[name] = [f"must be a finite number, got {item[name]!r}"]
        elif name in model.features:
            values[name] = number
    return values, errors
