"""The cycle-life artefact, input checks and the grouped cross-validation against the baseline."""

import csv
import math

import pytest

from valuation import datafiles
from valuation.core import training
from valuation.core.cycle_life import CycleLifeModel, validate_features


@pytest.fixture(scope="module")
def model():
    return datafiles.cycle_life_model()


@pytest.fixture(scope="module")
def rows():
    return list(csv.DictReader(datafiles.CELLS_CSV.read_text().splitlines()))


def test_artefact_names_its_version_features_and_figures(model):
    raw = model.raw
    assert model.version.startswith("severson-discharge-elasticnet-")
    assert set(model.features) <= set(raw["features"]) and len(model.coefficients) == len(model.features)
    metrics = raw["metrics"]
    assert metrics["rmse"]["mean"] < metrics["baseline_rmse"]["mean"]
    assert metrics["mape_pct"]["mean"] < metrics["baseline_mape_pct"]["mean"]
    assert metrics["severson_test_error_pct"] == 9.1


def test_prediction_has_an_interval_around_it(model, rows):
    values, errors = validate_features(rows[0], model)
    assert not errors
    p = model.predict(values)
    assert p.interval[0] < p.cycle_life < p.interval[1]
    assert 50 < p.cycle_life < 5000


@pytest.mark.parametrize("bad", [None, "NaN", "nan", float("nan"), "inf", float("-inf"), "abc", True, [1]])
def test_non_finite_or_non_numeric_values_are_refused(model, rows, bad):
    item = dict(rows[0])
    item[model.features[0]] = bad
    values, errors = validate_features(item, model)
    assert model.features[0] in errors


def test_nan_in_a_known_feature_the_model_does_not_use_is_refused_too(model, rows):
    unused = next(f for f in training.FEATURES + ("max_temperature_cycles_1:100",) if f not in model.features)
    item = dict(rows[0], **{unused: "NaN"})
    _, errors = validate_features(item, model)
    assert unused in errors


def test_missing_model_features_are_named(model):
    _, errors = validate_features({"cell": "x"}, model)
    assert set(errors) == set(model.features)
    _, errors = validate_features(["not", "an", "object"], model)
    assert "non_field_errors" in errors


def test_inconsistent_artefact_is_refused(model):
    broken = dict(model.raw, features=model.raw["features"][:-1])
    with pytest.raises(ValueError):
        CycleLifeModel.from_dict(broken)


def test_grouped_cross_validation_beats_the_mean_baseline():
    data = training.load_dataset(datafiles.CELLS_CSV)
    assert data.duplicates_dropped == 1 and len(set(data.cells)) == 47
    metrics = training.cross_validate(data, repeats=1)
    assert metrics["rmse"]["mean"] < 0.7 * metrics["baseline_rmse"]["mean"]
    assert metrics["mape_pct"]["mean"] < 0.5 * metrics["baseline_mape_pct"]["mean"]
    low, high = metrics["interval_log10"]
    assert low < 0 < high and math.isfinite(high)
