"""Pure rules of the alliance market (R-ALLIANCE, R-CASCADE, R-REGEN). No Django imports.

- Buyer qualification: a cascade-use enterprise needs the original battery maker's authorisation for every
  maker in the lot (seed 四(一)2); a regeneration enterprise needs a hazardous-waste licence in force that
  lists the lot's waste category and has annual scale left for the lot's mass (seed 四(一)3).
- The guidance in force on a date: the latest published issue whose ``effective_from`` is on or before it.
- Outliers: a trade whose price per kWh deviates from the guidance by more than the tolerance.
- Statements: a member's share of a co-built point's collected mass and running cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CASCADE_USE, REGENERATION = "cascade_use", "regeneration"


@dataclass(frozen=True)
class Authorisation:
    """A battery maker's authorisation of a cascade-use enterprise, as the cascade-use app records it."""

    maker_id: int
    valid_from: date | None = None
    valid_to: date | None = None
    chemistries: frozenset[str] = frozenset()  # empty: every chemistry
    levels: frozenset[str] = frozenset()  # P, M, C; empty: every level

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )

    def covers(self, chemistry: str, level: str) -> bool:
        return (not self.chemistries or chemistry in self.chemistries) and (
            not self.levels or level in self.levels
        )


@dataclass(frozen=True)
class Licence:
    """A hazardous-waste business licence (危险废物经营许可证), as the regeneration app records it."""

    number: str
    categories: frozenset[str]
    annual_scale_t: Decimal
    used_t: Decimal
    valid_from: date | None = None
    valid_to: date | None = None

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )

    @property
    def scale_left_t(self) -> Decimal:
        return self.annual_scale_t - self.used_t


@dataclass(frozen=True)
class LotFacts:
    """What qualification needs of a lot: per battery maker, the (chemistry, level) pairs it holds."""

    items_by_maker: dict[int, frozenset[tuple[str, str]]]
    maker_names: dict[int, str]
    mass_t: Decimal
    categories: frozenset[str]  # waste categories of its batteries, as the regeneration app classes them


@dataclass
class Qualification:
    ok: bool
    reasons: list[str] = field(default_factory=list)


def qualify(
    *,
    buyer_kinds: Sequence[str],
    is_member: bool,
    lot: LotFacts,
    on: date,
    authorisations: Iterable[Authorisation] = (),
    licences: Iterable[Licence] = (),
) -> Qualification:
    """Whether a buyer may bid on a lot, and if not, every reason why.

    A buyer that is both a cascade-use and a regeneration enterprise qualifies through either route.
    """
    if not is_member:
        return Qualification(False, ["the buyer is not an approved alliance member"])
    routes: list[list[str]] = []
    if CASCADE_USE in buyer_kinds:
        routes.append(_cascade_reasons(lot, on, list(authorisations)))
    if REGENERATION in buyer_kinds:
        routes.append(_regeneration_reasons(lot, on, list(licences)))
    if not routes:
        return Qualification(
            False, ["only cascade-use or regeneration enterprises may buy retired batteries"]
        )
    if any(not reasons for reasons in routes):
        return Qualification(True, [])
    return Qualification(False, [reason for reasons in routes for reason in reasons])


def _cascade_reasons(lot: LotFacts, on: date, authorisations: list[Authorisation]) -> list[str]:
    reasons = []
    for maker_id, kinds in sorted(lot.items_by_maker.items()):
        name = lot.maker_names.get(maker_id, f"#{maker_id}")
        mine = [a for a in authorisations if a.maker_id == maker_id]
        current = [a for a in mine if a.in_force(on)]
        if not mine:
            reasons.append(f"no cascade-use authorisation from battery maker {name}")
        elif not current:
            reasons.append(f"the cascade-use authorisation from battery maker {name} is not in force on {on}")
        else:
            uncovered = sorted(k for k in kinds if not any(a.covers(*k) for a in current))
            if uncovered:
                what = ", ".join(f"chemistry {c} level {lv}" for c, lv in uncovered)
                reasons.append(f"the authorisation from battery maker {name} does not cover {what}")
    return reasons


def _regeneration_reasons(lot: LotFacts, on: date, licences: list[Licence]) -> list[str]:
    if not licences:
        return ["no hazardous-waste business licence on record"]
    in_force = [lic for lic in licences if lic.in_force(on)]
    if not in_force:
        numbers = ", ".join(lic.number for lic in licences)
        return [f"the hazardous-waste licence ({numbers}) has expired or is not yet in force on {on}"]
    covering = [lic for lic in in_force if lot.categories <= lic.categories]
    if not covering:
        missing = sorted(lot.categories - frozenset().union(*(lic.categories for lic in in_force)))
        needed = ", ".join(missing or sorted(lot.categories))
        return [f"no licence in force covers waste category {needed}"]
    if any(lic.scale_left_t >= lot.mass_t for lic in covering):
        return []
    best = max(covering, key=lambda lic: lic.scale_left_t)
    left = max(best.scale_left_t, Decimal(0))
    return [
        f"licence {best.number}: annual scale exhausted ({left:.3f} t left of {best.annual_scale_t:.3f} t, "
        f"the lot weighs {lot.mass_t:.3f} t)"
    ]


# --- guidance -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """A guidance issue reduced to what selection needs."""

    id: int
    effective_from: date
    published_at_key: float  # later publication wins a tie on the same day


def in_force(issues: Iterable[Issue], on: date) -> Issue | None:
    """The issue in force on ``on``: the latest ``effective_from`` not after it, ties to the later publication."""
    eligible = [i for i in issues if i.effective_from <= on]
    if not eligible:
        return None
    return max(eligible, key=lambda i: (i.effective_from, i.published_at_key, i.id))


def deviation(price: Decimal, reference: Decimal | None) -> Decimal | None:
    if reference is None or reference == 0:
        return None
    return ((price - reference) / reference).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def is_outlier(dev: Decimal | None, tolerance: Decimal) -> bool:
    return dev is not None and abs(dev) > tolerance


def grade_for_soh(soh: Decimal, table: Sequence[tuple[Decimal, str]]) -> str:
    """The grade whose minimum SOH ``soh`` reaches (table sorted from the highest minimum)."""
    for minimum, grade in table:
        if soh >= minimum:
            return grade
    return table[-1][1]


# --- statements ---------------------------------------------------------------------------------------------

CENT = Decimal("0.01")


def share_of(total: Decimal, fraction: Decimal) -> Decimal:
    return (total * fraction).quantize(CENT, rounding=ROUND_HALF_UP)


def shares_valid(pairs: Sequence[tuple[Decimal, Decimal]]) -> list[str]:
    """Cost shares and mass shares of one point must each add up to 1."""
    errors = []
    if pairs and sum((c for c, _ in pairs), Decimal(0)) != 1:
        errors.append("cost shares must add up to 1")
    if pairs and sum((m for _, m in pairs), Decimal(0)) != 1:
        errors.append("mass shares must add up to 1")
    return errors
