"""POST /api/v1/valuation/cycle-life/: per-item predictions and per-item errors (NaN refused)."""

import csv
import json

import pytest

from valuation import datafiles

URL = "/api/v1/valuation/cycle-life/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    rows = list(csv.DictReader(datafiles.CELLS_CSV.read_text().splitlines()))
    return [{k: v for k, v in r.items() if k != "integrated_time_temperature_cycles_1:100"} for r in rows]


@pytest.fixture
def api(make_user, client_for):
    return client_for(make_user(kinds=("cascade_use",)))


def features(row):
    model = datafiles.cycle_life_model()
    return {f: float(row[f]) for f in model.features}


def test_predicts_per_item_with_interval_and_version(api, rows):
    response = api.post(URL, {"items": [features(rows[0]), rows[1]]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == {"total": 2, "ok": 2, "error": 0}
    first = body["results"][0]
    assert first["status"] == "ok"
    low, high = first["interval"]
    assert low < first["predicted_cycle_life"] < high
    assert first["model_version"] == datafiles.cycle_life_model().version


def test_bad_items_get_their_own_errors_and_good_ones_are_answered(api, rows):
    nan_item = dict(features(rows[0]), discharge_capacity_cycle_2="NaN")
    null_item = {**features(rows[0]), "abs_min_discharge_capacity_difference_cycles_2:100": None}
    missing = {k: v for k, v in features(rows[0]).items() if k != "max_discharge_capacity_difference"}
    response = api.post(URL, {"items": [nan_item, features(rows[2]), null_item, missing]}, format="json")
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["error", "ok", "error", "error"]
    assert "discharge_capacity_cycle_2" in results[0]["errors"]
    assert "finite" in results[0]["errors"]["discharge_capacity_cycle_2"][0]
    assert "abs_min_discharge_capacity_difference_cycles_2:100" in results[2]["errors"]
    assert "missing" in results[3]["errors"]["max_discharge_capacity_difference"][0]


def test_a_bare_nan_literal_is_a_per_item_error_not_a_parse_failure(api, rows):
    item = features(rows[0])
    item["abs_variance_discharge_capacity_difference_cycles_2:100"] = float("nan")
    raw = json.dumps({"items": [item, features(rows[1])]})  # Python writes a bare NaN
    assert "NaN" in raw
    response = api.post(URL, raw, content_type="application/json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["status"] == "error" and results[1]["status"] == "ok"


def test_malformed_envelopes_and_anonymous_callers_are_refused(api, api_client):
    assert api.post(URL, {"rows": []}, format="json").status_code == 400
    assert api.post(URL, {"items": []}, format="json").status_code == 400
    assert api_client.post(URL, {"items": [{}]}, format="json").status_code in (401, 403)
