"""Batch sorter and the value functions, with known answers."""

import pytest

from valuation.core.sorting import Unit, batch_sort
from valuation.core.value import PriceMissing, cascade_value, price_per_kwh, regeneration_value


def test_sorter_groups_by_soh_then_resistance():
    units = [
        Unit("a", 0.80, 10.0), Unit("b", 0.81, 10.5), Unit("c", 0.82, 13.0), Unit("d", 0.82, 13.5),
        Unit("e", 0.70, 10.0), Unit("f", 0.71, 10.2), Unit("g", 0.60, 9.0),
    ]  # fmt: skip
    result = batch_sort(units, soh_tolerance=0.03, ir_tolerance=0.10, min_group_size=2)
    groups = sorted(sorted(u.id for u in g) for g in result.groups)
    assert groups == [["a", "b"], ["c", "d"], ["e", "f"]]
    assert [u.id for u in result.unmatched] == ["g"]


def test_sorter_never_mixes_units_beyond_the_tolerances():
    units = [Unit(str(i), 0.6 + 0.01 * (i % 30), 8 + (i * 7) % 5) for i in range(120)]
    for group in batch_sort(units, soh_tolerance=0.02, ir_tolerance=0.05).groups:
        sohs = [u.soh for u in group]
        irs = [u.internal_resistance for u in group]
        assert max(sohs) - min(sohs) <= 0.02 + 1e-9
        assert max(irs) <= min(irs) * 1.05 + 1e-9


def test_sorter_refuses_bad_units():
    with pytest.raises(ValueError):
        batch_sort([Unit("x", 0.8, 0)])


PRICES = {
    "per_kwh": {"B": {"B": 400, "*": 300}},
    "metals_cny_per_kg": {"Li": 400, "Cu": 75},
    "processing_cost_cny_per_kg": {"*": 5},
}


def test_cascade_value_is_usable_energy_times_price():
    assert price_per_kwh(PRICES, "B", "B") == 400
    assert price_per_kwh(PRICES, "B", "E") == 300  # fallback for any chemistry
    assert cascade_value(rated_energy_kwh=50, soh=0.75, unit_price=400) == pytest.approx(15000)
    with pytest.raises(PriceMissing):
        price_per_kwh(PRICES, "C", "B")


def test_regeneration_value_is_metals_less_processing():
    result = regeneration_value(
        mass_kg=100, chemistry="B", composition={"B": {"Li": 0.01, "Cu": 0.1}},
        recovery={"Li": 0.9, "Cu": 1.0}, prices=PRICES,
    )  # fmt: skip
    # Li 0.9 kg × 400 + Cu 10 kg × 75 − 100 kg × 5
    assert result.value == pytest.approx(360 + 750 - 500)
    assert result.metals["Li"]["kg"] == pytest.approx(0.9)
