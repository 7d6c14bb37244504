"""The cycle-life artefact and its known limits (R-VALUE): envelope, imputation, plausible range, intervals."""

import csv
import math

import pytest
from django.core.management import CommandError, call_command

from valuation import datafiles
from valuation.core import training
from valuation.core.cycle_life import JOINT, CycleLifeModel, validate_features

UNUSED = "integrated_time_temperature_cycles_1:100"


@pytest.fixture(scope="module")
def model():
    return datafiles.cycle_life_model()


@pytest.fixture(scope="module")
def rows():
    return list(csv.DictReader(datafiles.CELLS_CSV.read_text().splitlines()))


def used_values(model, row):
    return {f: float(row[f]) for f in model.inputs}


def ratio(p):
    return p.interval[1] / p.interval[0]


def test_artefact_names_its_choice_candidates_and_figures(model):
    raw = model.raw
    names = [row["name"] for row in raw["candidates"]]
    assert names == [c.name for c in training.CANDIDATES]
    chosen = [row for row in raw["candidates"] if row["chosen"]]
    assert len(chosen) == 1 and chosen[0]["name"] == raw["chosen"]
    assert model.version.startswith(raw["chosen"] + "-")
    assert chosen[0]["mape_pct"]["mean"] == min(row["mape_pct"]["mean"] for row in raw["candidates"])
    assert chosen[0]["mape_pct"]["mean"] < raw["baseline"]["mape_pct"]["mean"] / 2
    assert 70 <= raw["interval"]["coverage_pct"] <= 90
    assert set(model.features) <= set(model.envelope) and UNUSED not in model.features


def test_training_cells_are_answered_inside_the_envelope(model, rows):
    answers = [model.predict(used_values(model, row)) for row in rows]
    assert len(answers) == 48
    for p in answers:
        assert not p.imputed and p.interval[0] < p.cycle_life < p.interval[1]
        assert p.interval[0] >= 100 and p.interval[1] <= 5000
    assert sum(p.out_of_distribution for p in answers) == 0


def test_the_fade_bound_holds_on_every_training_cell_and_limits_the_fast_faders(model, rows):
    # the premise of the bound: no cell outlives the straight line of its fade over cycles 91-100
    for row in rows:
        bound = model.fade_bound(used_values(model, row))
        assert bound is None or bound >= float(row["cycle_life"])
    fastest = min(rows, key=lambda r: float(r[training.FADE_SLOPE]))
    values = used_values(model, fastest)
    p = model.predict(values)
    assert p.limited_by_fade_bound and p.fade_bound == pytest.approx(model.fade_bound(values))
    assert p.cycle_life == pytest.approx(p.fade_bound) and p.cycle_life < 10 ** model.predict_log10(values)
    assert p.interval[0] < p.cycle_life < p.interval[1] and not p.out_of_distribution
    assert p.to_dict()["limited_by_fade_bound"] is True


def test_without_the_fade_line_the_bound_is_not_applied_and_nothing_is_imputed(model, rows):
    rising = {**used_values(model, rows[0]), training.FADE_SLOPE: 1e-5}  # capacity not falling: no bound
    assert model.fade_bound(rising) is None and not model.predict(rising).limited_by_fade_bound
    fastest = min(rows, key=lambda r: float(r[training.FADE_SLOPE]))
    values = used_values(model, fastest)
    without = {k: v for k, v in values.items() if k not in (training.FADE_SLOPE, training.FADE_INTERCEPT)}
    p = model.predict(without)
    assert p.fade_bound is None and not p.limited_by_fade_bound and p.imputed == []
    assert math.log10(p.cycle_life) == pytest.approx(model.predict_log10(without))
    assert p.cycle_life > model.predict(values).cycle_life


def test_a_fade_line_far_outside_the_envelope_is_flagged_and_kept_plausible(model, rows):
    values = used_values(model, rows[0])
    p = model.predict({**values, training.FADE_SLOPE: -0.05})  # 50 mAh a cycle: dead within a few cycles
    assert p.out_of_distribution and training.FADE_SLOPE in p.out_of_distribution_features
    assert p.limited_by_fade_bound and p.clipped_to_plausible_range
    assert p.cycle_life == pytest.approx(100) and p.interval[0] == pytest.approx(100)
    assert 100 < p.interval[1] <= 5000
    for absurd in (-1e308, -1e-320):
        q = model.predict({**values, training.FADE_SLOPE: absurd})
        assert 100 <= q.interval[0] <= q.cycle_life < q.interval[1] <= 5000
        assert q.fade_bound is None or math.isfinite(q.fade_bound)
    _, errors = validate_features({**values, training.FADE_INTERCEPT: "NaN"}, model)
    assert "omit the key" in errors[training.FADE_INTERCEPT][0]


def test_far_outside_the_envelope_is_flagged_bounded_and_wider(model, rows):
    feature = "abs_min_discharge_capacity_difference_cycles_2:100"  # the strongest single predictor
    assert feature in model.features
    values = used_values(model, rows[0])
    inside = model.predict(values)
    for side, extreme in (
        ("max", model.envelope[feature]["max"] + 5.0),
        ("min", model.envelope[feature]["min"] - 5.0),
    ):
        p = model.predict({**values, feature: extreme})
        assert p.out_of_distribution and feature in p.out_of_distribution_features
        assert 100 <= p.interval[0] < p.cycle_life < p.interval[1] <= 5000
        assert math.log(ratio(p)) > 1.5 * math.log(ratio(inside))
        # no extrapolation: the answer is the one at the edge of the envelope
        edge = model.predict({**values, feature: model.envelope[feature][side]})
        assert p.cycle_life == pytest.approx(edge.cycle_life, rel=1e-9)
    # the raw ensemble would have extrapolated (the case of a 693-cycle cell answered with 58 cycles)
    raw = 10 ** model.predict_log10({**values, feature: model.envelope[feature]["max"] + 5.0})
    assert raw < 0.5 * model.predict({**values, feature: model.envelope[feature]["max"] + 5.0}).cycle_life


@pytest.mark.parametrize("huge", [1e308, -1e308, 1e200])
def test_absurd_magnitudes_are_flagged_on_every_count_and_still_bounded(model, huge):
    p = model.predict(dict.fromkeys(model.features, huge))
    assert p.out_of_distribution and JOINT in p.out_of_distribution_features
    assert set(model.features) <= set(p.out_of_distribution_features)
    assert 100 <= p.interval[0] < p.cycle_life < p.interval[1] <= 5000


def test_a_combination_never_seen_is_flagged_jointly(model, rows):
    # each feature at an edge of its own range, in a direction the training cells never combine
    values = used_values(model, rows[0])
    score, _ = model.joint_score(values)
    assert score <= model.joint["threshold"]
    odd = {f: model.envelope[f]["max" if i % 2 else "min"] for i, f in enumerate(model.features)}
    p = model.predict(odd)
    assert p.out_of_distribution and JOINT in p.out_of_distribution_features


def test_a_missing_unused_feature_changes_nothing(model, rows):
    row = dict(rows[5])
    full, _ = validate_features(row, model)
    without = {k: v for k, v in row.items() if k != UNUSED}
    values, errors = validate_features(without, model)
    assert not errors and values == full
    assert model.predict(values) == model.predict(full)
    garbage, errors = validate_features({**row, UNUSED: "not measured"}, model)
    assert not errors and model.predict(garbage) == model.predict(full)


def test_a_missing_used_feature_is_imputed_flagged_and_wider(model, rows):
    values = used_values(model, rows[5])
    for feature in model.features:
        p = model.predict({k: v for k, v in values.items() if k != feature})
        assert p.imputed == [feature]
        assert ratio(p) > ratio(model.predict(values))
        assert 100 <= p.interval[0] < p.cycle_life < p.interval[1] <= 5000


def test_an_item_with_none_of_the_used_features_is_refused(model):
    _, errors = validate_features({"cell": "x", UNUSED: 1.0}, model)
    assert "non_field_errors" in errors
    _, errors = validate_features(["not", "an", "object"], model)
    assert "non_field_errors" in errors


@pytest.mark.parametrize("bad", [None, "NaN", "nan", float("nan"), "inf", float("-inf"), "abc", True, [1]])
def test_present_used_features_must_be_finite_numbers(model, rows, bad):
    item = dict(rows[0], **{model.features[0]: bad})
    _, errors = validate_features(item, model)
    assert "omit the key" in errors[model.features[0]][0]


def test_inconsistent_artefacts_are_refused(model):
    with pytest.raises(ValueError):
        CycleLifeModel.from_dict(dict(model.raw, features=model.raw["features"][:-1]))
    with pytest.raises(ValueError):
        CycleLifeModel.from_dict(dict(model.raw, schema=1))
    with pytest.raises(ValueError):
        CycleLifeModel.from_dict(dict(model.raw, envelope={}))


def test_conformal_half_width_is_the_finite_sample_quantile():
    assert training.conformal_half_width(range(1, 11), 0.8) == 9  # ⌈11 · 0.8⌉ = 9th of 10
    assert training.conformal_half_width([0.5], 0.8) == 0.5
    with pytest.raises(ValueError):
        training.conformal_half_width([], 0.8)
    assert math.isfinite(training.conformal_half_width([0.1, 0.2, 0.3], 0.99))


def test_the_report_lists_every_candidate_with_and_without_the_fade_bound(model):
    report = training.format_report(model.raw)
    for row in model.raw["candidates"]:
        line = next(line for line in report.splitlines() if line[2:].startswith(row["name"] + " "))
        assert line.startswith("* " if row["chosen"] else "  ")
        assert f"{row['mape_pct']['mean']:.1f} ± " in line
        assert f"{row['without_fade_bound']['mape_pct']['mean']:.1f} ± " in line
    assert "served answers in grouped CV" in report and "limited by the fade bound" in report


def test_the_training_command_refuses_bad_arguments(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("train_cycle_life", data=str(tmp_path / "missing.csv"), dry_run=True)
    with pytest.raises(CommandError, match="at least 1"):
        call_command("train_cycle_life", repeats=0, dry_run=True)
