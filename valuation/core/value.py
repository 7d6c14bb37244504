"""Residual value in CNY (R-VALUE, R-ALLIANCE).

Two routes, both from dated price data (the alliance's price guidance updates it):

- cascade use (and packs still fit for vehicles): usable energy × price per kWh for the grade and chemistry,
  where usable energy = rated energy × SOH;
- regeneration: Σ recoverable metal mass × metal price − processing cost × pack mass, where recoverable mass =
  pack mass × mass fraction of the metal for the chemistry × recovery rate (comprehensive-use conditions, domain.md
  §4). A negative result is kept: it is what a holder pays to have the pack processed.

A price table may give a chemistry key or ``"*"`` (any chemistry) as a fallback.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANY = "*"


class PriceMissing(LookupError):
    pass


def _lookup(table: dict, chemistry: str, what: str) -> float:
    if chemistry in table:
        return float(table[chemistry])
    if ANY in table:
        return float(table[ANY])
    raise PriceMissing(f"no {what} for chemistry {chemistry!r}")


def price_per_kwh(prices: dict, grade: str, chemistry: str) -> float:
    by_grade = prices.get("per_kwh", {}).get(grade)
    if by_grade is None:
        raise PriceMissing(f"no price per kWh for grade {grade!r}")
    return _lookup(by_grade, chemistry, f"grade {grade} price per kWh")


def cascade_value(*, rated_energy_kwh: float, soh: float, unit_price: float) -> float:
    return rated_energy_kwh * soh * unit_price


@dataclass(frozen=True)
class RegenerationValue:
    value: float
    metals: dict[str, dict] = field(default_factory=dict)  # metal -> {"kg", "price", "value"}
    processing_cost: float = 0.0


def regeneration_value(
    *, mass_kg: float, chemistry: str, composition: dict, recovery: dict, prices: dict
) -> RegenerationValue:
    """Value of the recoverable metals less the processing cost, for a pack of ``mass_kg``."""
    fractions = composition.get(chemistry) or composition.get(ANY)
    if fractions is None:
        raise PriceMissing(f"no material composition for chemistry {chemistry!r}")
    metal_prices = prices.get("metals_cny_per_kg", {})
    metals: dict[str, dict] = {}
    total = 0.0
    for metal, fraction in sorted(fractions.items()):
        if metal not in metal_prices:
            raise PriceMissing(f"no price for metal {metal}")
        kg = mass_kg * float(fraction) * float(recovery.get(metal, 0.0))
        worth = kg * float(metal_prices[metal])
        metals[metal] = {"kg": round(kg, 3), "price": float(metal_prices[metal]), "value": round(worth, 2)}
        total += worth
    cost = mass_kg * _lookup(prices.get("processing_cost_cny_per_kg", {}), chemistry, "processing cost")
    return RegenerationValue(value=total - cost, metals=metals, processing_cost=cost)
