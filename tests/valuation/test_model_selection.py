"""Model selection by repeated grouped CV on synthetic cells whose right answer is known (R-VALUE)."""

import random

import pytest

from valuation.core import training
from valuation.core.cycle_life import KNOWN_FEATURES, CycleLifeModel

SIGNAL, NOISE = KNOWN_FEATURES[7], KNOWN_FEATURES[0]
LINEAR = training.Candidate("linear-signal", "", (training.Member("ridge", (SIGNAL,)),))
WRONG = training.Candidate("linear-noise", "", (training.Member("ridge", (NOISE,)),))
TREES = training.Candidate("trees-signal", "", (training.Member("gbr", (SIGNAL,)),))


def synthetic(law, n=40, seed=1):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {f: rng.gauss(0, 1) for f in KNOWN_FEATURES}
        row[SIGNAL] = rng.uniform(-2, 2)
        row[training.FADE_SLOPE], row[training.FADE_INTERCEPT] = 1e-5, 1.08  # capacity not falling: no bound
        life = 10 ** (law(row[SIGNAL]) + rng.gauss(0, 0.03))
        rows.append({"cell": f"c{i}", "cycle_life": str(life), **{k: str(v) for k, v in row.items()}})
    return training.dataset_from_rows(rows)


def table_for(data, candidates):
    table, _ = training.evaluate(data, candidates, repeats=2)
    return {row["name"]: row for row in table}


def test_a_log_linear_law_picks_the_linear_model_on_the_right_feature():
    table = table_for(synthetic(lambda s: 2.9 - 0.25 * s), (WRONG, TREES, LINEAR))
    assert table["linear-signal"]["chosen"] and not table["linear-noise"]["chosen"]
    assert table["linear-signal"]["mape_pct"]["mean"] < 10 < table["linear-noise"]["mape_pct"]["mean"]
    assert 60 <= table["linear-signal"]["interval_coverage_pct"] <= 95


def test_a_step_law_picks_the_trees():
    table = table_for(synthetic(lambda s: 3.2 if s > 0.3 else 2.6), (LINEAR, TREES))
    assert table["trees-signal"]["chosen"]
    assert table["trees-signal"]["mape_pct"]["mean"] < table["linear-signal"]["mape_pct"]["mean"]


def test_ties_go_to_the_lower_worst_cell_error():
    rows = [
        {"name": "a", "mape_pct": {"mean": 10.0}, "worst_cell_ape_pct": 40.0},
        {"name": "b", "mape_pct": {"mean": 10.0}, "worst_cell_ape_pct": 30.0},
        {"name": "c", "mape_pct": {"mean": 11.0}, "worst_cell_ape_pct": 5.0},
    ]
    assert training.choose(rows)["name"] == "b"


def test_a_trained_artefact_serves_what_scikit_learn_predicts(tmp_path):
    data = synthetic(lambda s: 2.9 - 0.25 * s, n=30)
    path = tmp_path / "cells.csv"
    header = ["cell", "cycle_life", *KNOWN_FEATURES]
    lines = [",".join(header)] + [
        ",".join([c, str(y), *(str(r[f]) for f in KNOWN_FEATURES)])
        for c, y, r in zip(data.cells, data.y, data.rows, strict=True)
    ]
    path.write_text("\n".join(lines))
    ensemble = training.Candidate(
        "mix", "", (training.Member("elastic_net", (SIGNAL, NOISE)), training.Member("gbr", (SIGNAL,)))
    )
    artefact = training.train(path, repeats=1, candidates=(ensemble,))
    model = CycleLifeModel.from_dict(artefact)
    fitted = training._fit_candidate(ensemble, data, list(range(30)))
    expected = training._predict_log10(fitted, data, list(range(30)))
    for row, want in zip(data.rows, expected, strict=True):
        assert model.predict_log10({f: row[f] for f in model.features}) == pytest.approx(want, abs=1e-9)


def test_the_fade_bound_limits_predictions_beyond_it_and_is_scored_with_and_without():
    data = synthetic(lambda s: 2.9 - 0.25 * s)
    fast = [i for i, y in enumerate(data.y) if y < 700][:3]
    for i in fast:  # a line through 1.08 Ah falling to 0.88 Ah at half the cell's life
        data.rows[i][training.FADE_SLOPE] = -0.2 / (data.y[i] / 2)
    table, preds = training.evaluate(data, (LINEAR,), repeats=1)
    row = table[0]
    bound = training.fade_bound_log10(data)
    assert all(preds["linear-signal"][0, i] == pytest.approx(bound[i]) for i in fast)
    assert row["limited_by_fade_bound_pct"] == pytest.approx(100 * len(fast) / len(data.y), abs=0.1)
    # bounding at half the life costs accuracy here, and the table says so next to the unbounded figure
    assert row["mape_pct"]["mean"] > row["without_fade_bound"]["mape_pct"]["mean"]


def test_fade_bound_is_where_the_line_reaches_the_end_of_life_capacity():
    assert training.fade_bound(-0.001, 1.08) == pytest.approx(200.0)
    assert training.fade_bound(0.0, 1.08) is None and training.fade_bound(1e-6, 1.08) is None
    assert (
        training.fade_bound(float("nan"), 1.08) is None and training.fade_bound(-0.001, float("nan")) is None
    )
