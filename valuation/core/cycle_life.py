"""Cycle life from early-cycle features (R-VALUE; the lab route of GB/T 34015.6-style remaining-life assessment).

The artefact is a JSON document written by :mod:`.training`: the candidate chosen by grouped cross-validation,
as an ensemble of linear members (standardised coefficients), tree members (nodes) and Gaussian-process members
(support points, weights and kernel settings), averaged on the
log10(cycle life) scale as in Severson et al., Nature Energy 4, 383–391 (2019). Prediction here is plain Python
so serving needs neither numpy nor scikit-learn.

What an answer promises, and where it stops promising (docs/valuation.md, "Known limits"):

- **Used features only.** Only the features the chosen model actually uses (non-zero coefficient or a tree
  split) are read; every other key is ignored, so leaving out an unused feature changes nothing.
- **Missing used feature.** It is imputed with the training median, named in ``imputed``, and the band is widened
  to span the prediction with the feature at its training 10 % and 90 % quantiles (at least ×1.25). An item with
  none of the used features is refused.
- **Outside the envelope.** A used feature outside its training [min, max], or a joint Mahalanobis score above the
  training threshold, gives ``out_of_distribution`` with the features at fault; the prediction then comes from the
  part that does not extrapolate (trees as they are, linear and kernel members on inputs clipped to the envelope) and the
  band is twice as wide.
- **Fade bound.** When the slope and intercept of the discharge capacity over cycles 91–100 are given and the
  capacity is falling, the prediction is at most the cycle at which that line reaches the end-of-life capacity
  (``fade_bound``; fade accelerates towards the knee, so the cell is not expected to outlive it). Without them the
  bound is not applied (they are not imputed).
- **Plausible range.** Centre and band are kept within the artefact's plausible range (100…5000 cycles: features
  on cycles 1–100 mean the cell has lived 100 cycles).
- **Interval.** Split-conformal on the grouped-CV out-of-fold log10 residuals (80 %), symmetric in log space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

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
OMIT_HINT = "omit the key when the value is unknown"
JOINT = "joint"  # names the joint (Mahalanobis) check among the features at fault


def _as_log10(value: float, target: str) -> float:
    """A member's output on the log10 scale (a member trained on cycles: at least one cycle)."""
    return math.log10(max(value, 1.0)) if target == "cycles" else value


@dataclass(frozen=True)
class _Linear:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    target: str = "log10"

    def predict(self, x: dict[str, float], envelope: dict | None = None) -> float:
        total = self.intercept
        for f, mu, sd, c in zip(self.features, self.mean, self.scale, self.coefficients, strict=True):
            value = x[f]
            if envelope is not None:  # no extrapolation: clip to what training saw
                value = min(max(value, envelope[f]["min"]), envelope[f]["max"])
            total += c * (value - mu) / sd
        return _as_log10(total, self.target)


@dataclass(frozen=True)
class _Trees:
    features: tuple[str, ...]
    offset: float
    weight: float
    trees: tuple[dict, ...]
    target: str = "log10"

    def predict(self, x: dict[str, float], envelope: dict | None = None) -> float:
        row = [x[f] for f in self.features]
        total = 0.0
        for t in self.trees:
            node = 0
            while t["left"][node] != -1:
                node = (
                    t["left"][node] if row[t["feature"][node]] <= t["threshold"][node] else t["right"][node]
                )
            total += t["value"][node]
        return _as_log10(self.offset + self.weight * total, self.target)


@dataclass(frozen=True)
class _Kernel:
    """Gaussian-process mean: ``offset + Σ dual_i · k(z, z_i)`` on standardised inputs, with k a scaled RBF
    (one length per feature) plus, optionally, a scaled linear kernel (σ₀² + z·z_i)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    support: tuple[tuple[float, ...], ...]
    dual: tuple[float, ...]
    offset: float
    rbf_variance: float
    length_scales: tuple[float, ...]
    linear_variance: float = 0.0
    sigma0: float = 0.0
    target: str = "log10"

    def predict(self, x: dict[str, float], envelope: dict | None = None) -> float:
        z = []
        for f, mu, sd in zip(self.features, self.mean, self.scale, strict=True):
            value = x[f]
            if envelope is not None:  # the linear part of the kernel extrapolates: clip as linear members do
                value = min(max(value, envelope[f]["min"]), envelope[f]["max"])
            z.append((value - mu) / sd)
        total = self.offset
        for zi, a in zip(self.support, self.dual, strict=True):
            d2 = sum(((u - v) / ell) ** 2 for u, v, ell in zip(z, zi, self.length_scales, strict=True))
            k = self.rbf_variance * math.exp(-0.5 * d2)
            if self.linear_variance:
                k += self.linear_variance * (self.sigma0**2 + sum(u * v for u, v in zip(z, zi, strict=True)))
            total += a * k
        return _as_log10(total, self.target)


def _member(data: dict):
    features = tuple(data["features"])
    target = data.get("target", "log10")
    if target not in ("log10", "cycles"):
        raise ValueError(f"unknown member target {target!r}")
    if data["kind"] == "linear":
        if not len(features) == len(data["mean"]) == len(data["scale"]) == len(data["coefficients"]):
            raise ValueError("artefact is inconsistent: features, scaler and coefficients differ in length")
        return _Linear(
            features,
            tuple(map(float, data["mean"])),
            tuple(float(s) or 1.0 for s in data["scale"]),
            tuple(map(float, data["coefficients"])),
            float(data["intercept"]),
            target,
        )
    if data["kind"] == "trees":
        for t in data["trees"]:
            if max(t["feature"]) >= len(features):
                raise ValueError("artefact is inconsistent: a tree splits on an unknown feature")
        return _Trees(features, float(data["offset"]), float(data["weight"]), tuple(data["trees"]), target)
    if data["kind"] == "kernel":
        support = tuple(tuple(map(float, row)) for row in data["support"])
        lengths = tuple(map(float, data["length_scales"]))
        if not (
            len(features) == len(data["mean"]) == len(data["scale"]) == len(lengths)
            and len(support) == len(data["dual"])
            and all(len(row) == len(features) for row in support)
        ):
            raise ValueError(
                "artefact is inconsistent: kernel features, support and weights differ in length"
            )
        return _Kernel(
            features,
            tuple(map(float, data["mean"])),
            tuple(float(s) or 1.0 for s in data["scale"]),
            support,
            tuple(map(float, data["dual"])),
            float(data["offset"]),
            float(data["rbf_variance"]),
            lengths,
            float(data.get("linear_variance", 0.0)),
            float(data.get("sigma0", 0.0)),
            target,
        )
    raise ValueError(f"unknown model member {data['kind']!r}")


@dataclass(frozen=True)
class Prediction:
    cycle_life: float
    interval: tuple[float, float]
    level: float
    model_version: str
    out_of_distribution: bool = False
    out_of_distribution_features: list[str] = field(default_factory=list)
    joint_score: float = 0.0
    imputed: list[str] = field(default_factory=list)
    clipped_to_plausible_range: bool = False
    fade_bound: float | None = None
    limited_by_fade_bound: bool = False

    def to_dict(self) -> dict:
        return {
            "predicted_cycle_life": round(self.cycle_life, 1),
            "interval": [round(self.interval[0], 1), round(self.interval[1], 1)],
            "interval_level": self.level,
            "out_of_distribution": self.out_of_distribution,
            "out_of_distribution_features": list(self.out_of_distribution_features),
            "imputed": list(self.imputed),
            "clipped_to_plausible_range": self.clipped_to_plausible_range,
            "fade_bound": None if self.fade_bound is None else round(self.fade_bound, 1),
            "limited_by_fade_bound": self.limited_by_fade_bound,
            "model_version": self.model_version,
        }


@dataclass(frozen=True)
class CycleLifeModel:
    version: str
    features: tuple[str, ...]  # used by the model: the only ones read from a request
    members: tuple
    envelope: dict
    joint: dict
    half_width: float
    level: float
    widen_ood: float
    widen_imputed: float
    plausible: tuple[float, float]
    raw: dict
    fade: dict | None = None  # slope and intercept features, end-of-life capacity (Ah)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every feature read from a request: the used ones, then those of the fade bound."""
        extra = (self.fade["slope"], self.fade["intercept"]) if self.fade else ()
        return self.features + tuple(f for f in extra if f not in self.features)

    @classmethod
    def from_dict(cls, data: dict) -> CycleLifeModel:
        if data.get("target") != "log10_cycle_life":
            raise ValueError(f"unsupported target {data.get('target')!r}")
        if data.get("schema") != 2:
            raise ValueError(f"unsupported artefact schema {data.get('schema')!r}")
        members = tuple(_member(m) for m in data["model"]["members"])
        if not members:
            raise ValueError("artefact has no model members")
        envelope = data["envelope"]
        features = tuple(data["features"])
        fade = data.get("fade_bound")
        if fade is not None:
            fade = {
                "slope": str(fade["slope"]),
                "intercept": str(fade["intercept"]),
                "eol": float(fade["end_of_life_capacity_ah"]),
            }
        needed = {f for m in members for f in m.features} | set(features)
        if fade:
            needed |= {fade["slope"], fade["intercept"]}
        if missing := needed - set(envelope):
            raise ValueError(f"artefact is inconsistent: no envelope for {sorted(missing)}")
        joint = data["joint"]
        if list(joint["features"]) != list(features) or len(joint["precision"]) != len(features):
            raise ValueError("artefact is inconsistent: joint envelope and features differ")
        iv = data["interval"]
        low, high = (float(v) for v in data["plausible_range"])
        return cls(
            version=str(data["version"]),
            features=features,
            members=members,
            envelope=envelope,
            joint=joint,
            half_width=float(iv["half_width_log10"]),
            level=float(iv["level"]),
            widen_ood=float(iv["widen_out_of_distribution"]),
            widen_imputed=float(iv["widen_imputed"]),
            plausible=(low, high),
            raw=data,
            fade=fade,
        )

    # -- pieces --------------------------------------------------------------------------------------------

    def _complete(self, values: dict[str, float]) -> tuple[dict[str, float], list[str]]:
        """Every member feature filled: given values, else the training median (imputed if the model uses it)."""
        full, imputed = {}, []
        for f in self.envelope:
            if f in values:
                full[f] = values[f]
            else:
                full[f] = float(self.envelope[f]["median"])
                if f in self.features:
                    imputed.append(f)
        return full, imputed

    def _centre(self, x: dict[str, float], clip: bool, bound: float = math.inf) -> float:
        """Mean of the members on the log10 scale, at most ``bound`` (log10 of the fade bound)."""
        envelope = self.envelope if clip else None
        return min(sum(m.predict(x, envelope) for m in self.members) / len(self.members), bound)

    def fade_bound(self, values: dict[str, float]) -> float | None:
        """Cycle at which the given fade line of cycles 91–100 reaches the end-of-life capacity; None when the
        bound does not apply (no bound in the artefact, a value not given, capacity not falling)."""
        if not self.fade:
            return None
        slope, intercept = values.get(self.fade["slope"]), values.get(self.fade["intercept"])
        if slope is None or intercept is None or not slope < 0:
            return None
        bound = (self.fade["eol"] - intercept) / slope
        return bound if math.isfinite(bound) else None  # a slope next to zero: the line never gets there

    def joint_score(self, x: dict[str, float]) -> tuple[float, list[float]]:
        """Squared Mahalanobis distance of the used features, and each feature's share of it."""
        j = self.joint
        z = [(x[f] - mu) / sd for f, mu, sd in zip(j["features"], j["mean"], j["scale"], strict=True)]
        pz = [sum(p * v for p, v in zip(row, z, strict=True)) for row in j["precision"]]
        shares = [a * b for a, b in zip(z, pz, strict=True)]
        return sum(shares), shares

    def outside(self, x: dict[str, float], given: set[str]) -> tuple[list[str], float]:
        """Used features outside their training [min, max], plus ``joint`` when the joint score is too high."""
        at_fault = [
            f
            for f in self.inputs
            if f in given and not self.envelope[f]["min"] <= x[f] <= self.envelope[f]["max"]
        ]
        score, shares = self.joint_score(x)
        if not math.isfinite(score):  # values so large that the score overflows are as far out as it gets
            score, shares = math.inf, [0.0 for _ in shares]
        if score > float(self.joint["threshold"]):
            if not at_fault:  # name the features that drive the joint score
                ranked = sorted(zip(shares, self.features, strict=True), reverse=True)
                at_fault = [f for share, f in ranked[:2] if share > 0]
            at_fault.append(JOINT)
        return at_fault, score

    # -- the answer ----------------------------------------------------------------------------------------

    def predict_log10(self, values: dict[str, float]) -> float:
        """The members' mean on the log10 scale as fitted: no clipping, no bound, no plausible range."""
        x, _ = self._complete(values)
        return self._centre(x, clip=False)

    def predict(self, values: dict[str, float]) -> Prediction:
        """An answer for any finite values of the used features (missing ones imputed); never refuses."""
        x, imputed = self._complete(values)
        at_fault, score = self.outside(x, set(values))
        ood = bool(at_fault)
        bound = self.fade_bound(values)
        bound_log10 = math.log10(max(bound, 1.0)) if bound is not None else math.inf
        unbounded = self._centre(x, clip=ood)
        centre = min(unbounded, bound_log10)
        floor, ceiling = (math.log10(v) for v in self.plausible)
        clipped = not floor <= centre <= ceiling  # the band is built around the centre kept in range
        centre = min(max(centre, floor), ceiling)
        half = self.half_width * (self.widen_ood if ood else 1.0)
        low, high = centre - half, centre + half
        if imputed:
            low, high = centre - half * self.widen_imputed, centre + half * self.widen_imputed
            for f in imputed:  # the band spans what the missing value plausibly was
                swept = [
                    self._centre({**x, f: float(self.envelope[f][q])}, clip=ood, bound=bound_log10)
                    for q in ("p10", "p90")
                ]
                low -= max(0.0, centre - min(swept))
                high += max(0.0, max(swept) - centre)
        clipped = clipped or low < floor or high > ceiling
        low, high = (min(max(v, floor), ceiling) for v in (low, high))
        return Prediction(
            cycle_life=10**centre,
            interval=(10**low, 10**high),
            level=self.level,
            model_version=self.version,
            out_of_distribution=ood,
            out_of_distribution_features=at_fault,
            joint_score=round(score, 3),
            imputed=imputed,
            clipped_to_plausible_range=clipped,
            fade_bound=bound,
            limited_by_fade_bound=unbounded > bound_log10,
        )


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
    """The used features' values from one request item, and the errors per field (empty when usable).

    An absent used feature is not an error (it is imputed); a present one must be a finite number, and so must the
    features of the fade bound when present. Keys the model does not use are ignored whatever they hold.
    """
    if not isinstance(item, dict):
        return {}, {"non_field_errors": ["each item must be an object of feature name → number"]}
    errors: dict[str, list[str]] = {}
    values: dict[str, float] = {}
    for name in model.inputs:
        if name not in item:
            continue
        number = _as_number(item[name])
        if number is None:
            errors[name] = [f"must be a finite number, got {item[name]!r}; {OMIT_HINT}"]
        else:
            values[name] = number
    if not errors and not any(f in values for f in model.features):
        errors["non_field_errors"] = [
            "none of the features the model uses is given: " + ", ".join(model.features)
        ]
    return values, errors
