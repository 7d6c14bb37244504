"""The pure assessment on synthetic histories: SOH source, RUL, value, reasons and reproducibility."""

import json

import pytest

from valuation import datafiles
from valuation.core.assess import AssessmentError, AssessmentInput, assess

PRICES = json.loads(datafiles.INITIAL_PRICES_FILE.read_text())["prices"]


def run(**kw):
    base = {"valuation_date": "2026-01-01", "chemistry": "B", "rated_energy_kwh": 50.0, "mass_kg": 400.0,
            "rated_capacity_ah": 150.0, "production_date": "2018-01-01", "vehicle_use": "taxi",
            "in_vehicle_from": "2018-03-01", "in_vehicle_until": "2025-06-01"}  # fmt: skip
    base.update(kw)
    return assess(
        AssessmentInput(**base), params=datafiles.parameters(), grades=datafiles.grade_table(), prices=PRICES
    )


def test_a_capacity_test_on_the_day_is_the_soh():
    result = run(capacity_test_date="2026-01-01", capacity_test_soh=0.75, safety_passed=True)
    assert result.soh == 0.75
    assert result.soh_source.startswith("capacity test")
    assert result.grade == "B" and result.route == "cascade"
    assert result.scenarios == ["telecom_backup", "grid_storage"]
    # 50 kWh × 0.75 × 380 CNY/kWh (grade B, LFP)
    assert result.value_cny == pytest.approx(14250.0)
    assert result.eol_soh == 0.5 and result.rul_years > 0
    assert result.rul_low_years < result.rul_years < result.rul_high_years
    assert any("380" in r for r in result.reasons)


def test_without_a_test_the_model_gives_the_soh_and_taxis_age_faster():
    taxi = run()
    private = run(vehicle_use="private")
    assert taxi.soh_source == "degradation model"
    assert taxi.soh < private.soh < 1.0


def test_reported_cycles_override_the_use_profile():
    few = run(reported_efc=100)
    many = run(reported_efc=3000)
    assert many.soh < few.soh
    assert any("3000 equivalent full cycles reported" in r for r in many.reasons)


def test_failed_safety_values_the_metals():
    result = run(capacity_test_soh=0.9, capacity_test_date="2026-01-01", safety_passed=False)
    assert result.grade == "R" and result.value_route == "regeneration"
    assert result.value_cny == pytest.approx(result.value_detail["regeneration"]["value"])


def test_missing_energy_leaves_value_unknown_with_a_reason():
    result = run(rated_energy_kwh=None, mass_kg=None, capacity_test_soh=0.75, capacity_test_date="2026-01-01")
    assert result.value_cny is None
    assert any("value unknown" in r for r in result.reasons)


def test_history_too_thin_is_an_error():
    with pytest.raises(AssessmentError) as err:
        run(production_date=None, in_vehicle_from=None)
    assert err.value.field == "production_date"
    with pytest.raises(AssessmentError):
        run(capacity_test_soh=1.7)


def test_the_same_inputs_give_the_same_result_after_a_json_round_trip():
    inp = AssessmentInput(valuation_date="2026-01-01", chemistry="E", rated_energy_kwh=60.0,
                          production_date="2019-05-01", vehicle_use="bus", in_vehicle_from="2019-06-01",
                          capacity_test_date="2025-01-01", capacity_test_soh=0.71)  # fmt: skip
    params, grades = datafiles.parameters(), datafiles.grade_table()
    first = assess(inp, params=params, grades=grades, prices=PRICES).to_dict()
    stored = json.loads(json.dumps({"inputs": inp.to_dict(), "prices": PRICES, "params": params}))
    again = assess(
        AssessmentInput.from_dict(stored["inputs"]),
        params=stored["params"],
        grades=grades,
        prices=stored["prices"],
    ).to_dict()
    assert json.loads(json.dumps(first)) == json.loads(json.dumps(again))
