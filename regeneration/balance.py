"""Mass balance and recovery rates of regeneration batches (R-REGEN; domain.md §4). Pure module: no Django.

Stage 1 (harmless dismantling and discharge, GB/T 33598, 33598.3) turns input packs into modules, cells,
casings, black mass / electrode powder and residues; stage 2 (material recovery, GB/T 33598.2) recovers
elements by a wet, fire or material-repair route. The thresholds (2019 or 2024 edition of the industry
standard conditions) are data handed in; nothing here knows their values.

- Outputs heavier than inputs are impossible: :func:`check_stage1` / :func:`check_stage2` raise.
- Mass that disappears beyond ``unexplained_pct`` of the input is flagged ``unexplained_mass``.
- Each recovery line is judged by the first threshold whose elements and routes match it (``applies_to``
  ``recovery``); powder recovery, powder impurities, energy use and water recycling by their own rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
POWDER_KINDS = frozenset({"black_mass", "electrode_powder"})


class BalanceError(ValueError):
    def __init__(self, message: str, *, field: str = "outputs"):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Threshold:
    metric: str
    label: str
    applies_to: str
    elements: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    min_pct: Decimal | None = None
    max_pct: Decimal | None = None
    max_value: Decimal | None = None

    def matches(self, element: str, route: str) -> bool:
        return (not self.elements or element in self.elements) and (not self.routes or route in self.routes)


@dataclass(frozen=True)
class Output:
    kind: str
    mass_kg: Decimal
    cu_impurity_pct: Decimal | None = None
    al_impurity_pct: Decimal | None = None


@dataclass(frozen=True)
class Recovery:
    element: str
    route: str
    feed_kg: Decimal
    recovered_kg: Decimal

    @property
    def rate_pct(self) -> Decimal | None:
        return None if not self.feed_kg else (self.recovered_kg / self.feed_kg * HUNDRED)


@dataclass
class Figures:
    """What one batch (or one enterprise-year, summed) puts in and gets out."""

    input_kg: Decimal
    outputs: Sequence[Output] = ()
    recoveries: Sequence[Recovery] = ()
    powder_content_kg: Decimal | None = None
    energy_kgce_per_t: Decimal | None = None
    water_recycled_pct: Decimal | None = None

    @property
    def output_kg(self) -> Decimal:
        return sum((o.mass_kg for o in self.outputs), ZERO)

    @property
    def powder_kg(self) -> Decimal:
        return sum((o.mass_kg for o in self.outputs if o.kind in POWDER_KINDS), ZERO)


@dataclass(frozen=True)
class Flag:
    code: str  # shortfall | unexplained_mass
    metric: str
    message: str
    value: Decimal
    limit: Decimal

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "metric": self.metric,
            "message": self.message,
            "value": str(round(self.value, 2)),
            "limit": str(self.limit),
        }


@dataclass(frozen=True)
class Rate:
    metric: str
    label: str
    subject: str  # "Li (wet)", "black mass", ...
    value: Decimal
    limit: Decimal | None
    kind: str  # min or max
    ok: bool


@dataclass
class Evaluation:
    input_kg: Decimal
    output_kg: Decimal
    unexplained_kg: Decimal
    unexplained_pct: Decimal
    rates: list[Rate] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def has_shortfall(self) -> bool:
        return any(f.code == "shortfall" for f in self.flags)

    @property
    def has_unexplained_mass(self) -> bool:
        return any(f.code == "unexplained_mass" for f in self.flags)


def check_stage1(*, input_kg: Decimal, outputs: Iterable[Output]) -> None:
    """Refuse stage-1 outputs heavier than the input packs (mass cannot appear from nowhere)."""
    outputs = list(outputs)
    for o in outputs:
        if o.mass_kg < 0:
            raise BalanceError(f"{o.kind}: a mass cannot be negative")
    total = sum((o.mass_kg for o in outputs), ZERO)
    if total > input_kg:
        raise BalanceError(
            f"outputs weigh {total:.2f} kg, more than the {input_kg:.2f} kg of input packs: "
            "check the weighings (mass cannot appear from nowhere)"
        )


def check_stage2(*, stage1_output_kg: Decimal, recoveries: Iterable[Recovery]) -> None:
    """Refuse recovered masses above their feed, and feed above what stage 1 produced."""
    recoveries = list(recoveries)
    for r in recoveries:
        if r.feed_kg < 0 or r.recovered_kg < 0:
            raise BalanceError(f"{r.element}: a mass cannot be negative", field="recoveries")
        if r.recovered_kg > r.feed_kg:
            raise BalanceError(
                f"{r.element} ({r.route}): recovered {r.recovered_kg:.2f} kg is more than the "
                f"{r.feed_kg:.2f} kg contained in the feed",
                field="recoveries",
            )
    feed = sum((r.feed_kg for r in recoveries), ZERO)
    if feed > stage1_output_kg:
        raise BalanceError(
            f"element feed totals {feed:.2f} kg, more than the {stage1_output_kg:.2f} kg of stage-1 outputs",
            field="recoveries",
        )


def evaluate(figures: Figures, thresholds: Sequence[Threshold], *, unexplained_pct: Decimal) -> Evaluation:
    """Mass balance and every applicable rate of ``figures`` against ``thresholds`` (one edition)."""
    output_kg = figures.output_kg
    unexplained = figures.input_kg - output_kg if figures.outputs else ZERO
    share = unexplained / figures.input_kg * HUNDRED if figures.input_kg else ZERO
    ev = Evaluation(figures.input_kg, output_kg, unexplained, share)
    if figures.outputs and share > unexplained_pct:
        ev.flags.append(
            Flag(
                "unexplained_mass",
                "mass_balance",
                f"{unexplained:.2f} kg ({share:.2f}%) of the input is not accounted for by the outputs; "
                f"more than {unexplained_pct}% allowed",
                share,
                unexplained_pct,
            )
        )
    recovery_rules = [t for t in thresholds if t.applies_to == "recovery"]
    for line in _merge(figures.recoveries):
        rule = next((t for t in recovery_rules if t.matches(line.element, line.route)), None)
        rate = line.rate_pct
        if rule is None or rate is None:
            continue
        _judge(ev, rule, f"{line.element} ({line.route})", rate)
    by_kind = {t.applies_to: t for t in thresholds}
    powder = [o for o in figures.outputs if o.kind in POWDER_KINDS]
    if "powder_recovery" in by_kind and figures.powder_content_kg and powder:
        _judge(
            ev,
            by_kind["powder_recovery"],
            "electrode powder",
            figures.powder_kg / figures.powder_content_kg * HUNDRED,
        )
    for key, attr in (("powder_cu", "cu_impurity_pct"), ("powder_al", "al_impurity_pct")):
        values = [(o.mass_kg, getattr(o, attr)) for o in powder if getattr(o, attr) is not None]
        mass = sum((m for m, _ in values), ZERO)
        if key in by_kind and values and mass:
            _judge(ev, by_kind[key], "electrode powder", sum((m * v for m, v in values), ZERO) / mass)
    if "li2co3_energy" in by_kind and figures.energy_kgce_per_t is not None:
        _judge(ev, by_kind["li2co3_energy"], "Li2CO3", figures.energy_kgce_per_t)
    if "water_recycled" in by_kind and figures.water_recycled_pct is not None:
        _judge(ev, by_kind["water_recycled"], "process water", figures.water_recycled_pct)
    return ev


def _merge(recoveries: Iterable[Recovery]) -> list[Recovery]:
    """Sum lines of the same element and route (an enterprise-year is the sum of its batches)."""
    merged: dict[tuple[str, str], list[Decimal]] = {}
    for r in recoveries:
        acc = merged.setdefault((r.element, r.route), [ZERO, ZERO])
        acc[0] += r.feed_kg
        acc[1] += r.recovered_kg
    return [Recovery(e, route, feed, rec) for (e, route), (feed, rec) in sorted(merged.items())]


def _judge(ev: Evaluation, rule: Threshold, subject: str, value: Decimal) -> None:
    if rule.min_pct is not None:
        ok, limit, kind = value >= rule.min_pct, rule.min_pct, "min"
        message = f"{rule.label}: {subject} {value:.2f}% is below the required {rule.min_pct}%"
    elif rule.max_pct is not None:
        ok, limit, kind = value < rule.max_pct, rule.max_pct, "max"
        message = f"{rule.label}: {subject} {value:.2f}% is not below the allowed {rule.max_pct}%"
    elif rule.max_value is not None:
        ok, limit, kind = value < rule.max_value, rule.max_value, "max"
        message = f"{rule.label}: {subject} {value:.0f} is not below the allowed {rule.max_value}"
    else:
        return
    ev.rates.append(Rate(rule.metric, rule.label, subject, value, limit, kind, ok))
    if not ok:
        ev.flags.append(Flag("shortfall", rule.metric, message, value, limit))
