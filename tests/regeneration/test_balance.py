"""Mass balance and recovery rates against the 2019 and 2024 editions (R-REGEN; domain.md §4)."""

from decimal import Decimal as D

import pytest

from regeneration import balance
from regeneration.balance import BalanceError, Figures, Output, Recovery
from regeneration.models import ThresholdEdition
from regeneration.selectors import edition_thresholds

pytestmark = pytest.mark.django_db


def judge(figures, code):
    edition = ThresholdEdition.objects.get(code=code)
    return balance.evaluate(
        figures, edition_thresholds(edition), unexplained_pct=edition.unexplained_mass_pct
    )


def figures(*recoveries, outputs=None, input_kg=D(1000), **kw):
    outputs = outputs or [Output("black_mass", D(400)), Output("casing", D(590))]
    return Figures(input_kg=input_kg, outputs=outputs, recoveries=list(recoveries), **kw)


def test_outputs_heavier_than_inputs_are_rejected():
    with pytest.raises(BalanceError, match="more than the 1000.00 kg of input packs"):
        balance.check_stage1(
            input_kg=D(1000), outputs=[Output("black_mass", D(600)), Output("casing", D(400.5))]
        )
    balance.check_stage1(input_kg=D(1000), outputs=[Output("black_mass", D(600)), Output("casing", D(400))])


def test_recovered_above_feed_is_rejected():
    with pytest.raises(BalanceError, match="Li \\(wet\\): recovered 12.00 kg is more than the 10.00 kg"):
        balance.check_stage2(stage1_output_kg=D(400), recoveries=[Recovery("Li", "wet", D(10), D(12))])
    with pytest.raises(BalanceError, match="element feed totals 500.00 kg"):
        balance.check_stage2(stage1_output_kg=D(400), recoveries=[Recovery("Ni", "wet", D(500), D(490))])


def test_lithium_at_87_percent_passes_2019_and_falls_short_under_2024():
    f = figures(Recovery("Li", "wet", D(100), D(87)))
    assert not judge(f, "2019").has_shortfall
    flags = judge(f, "2024").flags
    assert [(fl.code, fl.metric) for fl in flags] == [("shortfall", "li")]
    assert "below the required 90.00%" in flags[0].message


def test_shortfalls_are_flagged_under_both_editions():
    f = figures(Recovery("Li", "wet", D(100), D(80)), Recovery("Ni", "wet", D(100), D(96)))
    for code in ("2019", "2024"):
        metrics = {fl.metric for fl in judge(f, code).flags if fl.code == "shortfall"}
        assert metrics == {"li", "ni_co_mn_wet"}, code


def test_material_repair_route_threshold_differs_by_edition():
    f = figures(Recovery("Co", "repair", D(100), D(95)))
    assert not judge(f, "2019").has_shortfall
    assert {fl.metric for fl in judge(f, "2024").flags} == {"material_repair"}


def test_powder_impurity_is_judged_only_by_the_2024_edition():
    outputs = [
        Output("black_mass", D(400), cu_impurity_pct=D("2.0"), al_impurity_pct=D("0.8")),
        Output("casing", D(590)),
    ]
    f = figures(outputs=outputs)
    assert not judge(f, "2019").flags
    assert {fl.metric for fl in judge(f, "2024").flags} == {"powder_cu_impurity"}


def test_unexplained_mass_above_tolerance_is_flagged():
    ok = figures(outputs=[Output("black_mass", D(400)), Output("casing", D(585))])  # 1.5 % missing
    lost = figures(outputs=[Output("black_mass", D(400)), Output("casing", D(560))])  # 4 % missing
    assert not judge(ok, "2024").has_unexplained_mass
    ev = judge(lost, "2024")
    assert ev.has_unexplained_mass and ev.unexplained_kg == D(40)


def test_year_is_the_sum_of_lines_of_the_same_element_and_route():
    f = figures(Recovery("Li", "wet", D(50), D(49)), Recovery("Li", "wet", D(50), D(40)))
    (rate,) = [r for r in judge(f, "2024").rates if r.metric == "li"]
    assert rate.value == D(89) and not rate.ok
