"""POST /api/v1/valuation/cycle-life/: per-item answers with their flags; invalid JSON refused (R-VALUE)."""

import csv
import json

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from valuation import datafiles

URL = "/api/v1/valuation/cycle-life/"
UNUSED = "integrated_time_temperature_cycles_1:100"
pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    return list(csv.DictReader(datafiles.CELLS_CSV.read_text().splitlines()))


@pytest.fixture
def api(make_user, client_for):
    return client_for(make_user(kinds=("cascade_use",)))


def features(row):
    return {f: float(row[f]) for f in datafiles.cycle_life_model().features}


def test_predicts_per_item_with_interval_flags_and_version(api, rows):
    response = api.post(URL, {"items": [features(rows[0]), rows[1]]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == {"total": 2, "ok": 2, "error": 0}
    first = body["results"][0]
    low, high = first["interval"]
    assert low < first["predicted_cycle_life"] < high and first["interval_level"] == 0.8
    assert first["out_of_distribution"] is False and first["imputed"] == []
    assert first["model_version"] == datafiles.cycle_life_model().version
    assert first["fade_bound"] is None and first["limited_by_fade_bound"] is False  # fade line not sent
    second = body["results"][1]  # the whole table row: the fade line of cycles 91-100 is there
    assert second["fade_bound"] > second["predicted_cycle_life"] or second["limited_by_fade_bound"]


def test_a_cell_without_an_unused_feature_gets_the_same_answer(api, rows):
    row = {k: v for k, v in rows[3].items() if v}
    without = {k: v for k, v in row.items() if k != UNUSED}
    response = api.post(URL, {"items": [row, without]}, format="json")
    first, second = response.json()["results"]
    assert first["status"] == second["status"] == "ok"
    assert first == {**second, "index": 0}


def test_a_missing_used_feature_is_imputed_and_flagged(api, rows):
    feature = "abs_min_discharge_capacity_difference_cycles_2:100"
    item = {k: v for k, v in features(rows[3]).items() if k != feature}
    full, imputed = api.post(URL, {"items": [features(rows[3]), item]}, format="json").json()["results"]
    assert imputed["status"] == "ok" and imputed["imputed"] == [feature]
    assert imputed["interval"][1] / imputed["interval"][0] > full["interval"][1] / full["interval"][0]


def test_far_outside_the_envelope_is_answered_flagged_and_bounded(api, rows):
    feature = "abs_min_discharge_capacity_difference_cycles_2:100"
    item = {**features(rows[0]), feature: 3.0}
    result = api.post(URL, {"items": [item]}, format="json").json()["results"][0]
    assert result["status"] == "ok" and result["out_of_distribution"] is True
    assert feature in result["out_of_distribution_features"]
    assert 100 <= result["interval"][0] < result["predicted_cycle_life"] < result["interval"][1] <= 5000


def test_a_bare_nan_is_invalid_json_naming_the_field(api, rows):
    feature = "abs_variance_discharge_capacity_difference_cycles_2:100"
    for literal in (float("nan"), float("inf"), float("-inf")):
        item = {**features(rows[0]), feature: literal}
        raw = json.dumps({"items": [features(rows[1]), item]})  # Python writes bare NaN / Infinity
        response = api.post(URL, raw, content_type="application/json")
        assert response.status_code == 400
        error = response.json()["error"]
        assert f"items[1].{feature}" in error["fields"]
        assert "omit the key" in error["message"]


def test_bad_values_of_used_features_are_item_errors_and_good_items_are_answered(api, rows):
    feature = "abs_variance_discharge_capacity_difference_cycles_2:100"
    nan_text = {**features(rows[0]), feature: "NaN"}
    null = {**features(rows[0]), feature: None}
    script = {**features(rows[0]), feature: "<script>alert(1)</script>"}
    response = api.post(URL, {"items": [nan_text, features(rows[2]), null, script, {}]}, format="json")
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["error", "ok", "error", "error", "error"]
    for index in (0, 2, 3):
        assert "omit the key" in results[index]["errors"][feature][0]
    assert "non_field_errors" in results[4]["errors"]


def test_malformed_envelopes_and_anonymous_callers_are_refused(api, api_client):
    assert api.post(URL, {"rows": []}, format="json").status_code == 400
    assert api.post(URL, {"items": []}, format="json").status_code == 400
    assert api.post(URL, "{not json", content_type="application/json").status_code == 400
    assert api_client.post(URL, {"items": [{}]}, format="json").status_code in (401, 403)


def test_openapi_documents_the_valuation_bodies(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    for path in ("/api/v1/valuation/cycle-life/", "/api/v1/valuation/assess/", "/api/v1/valuation/sort/"):
        post = paths[path]["post"]
        assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]


def test_the_schema_of_the_valuation_endpoints_has_no_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/valuation/cycle-life/" in schema["paths"]
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    assert not [m for m in messages if "valuation" in m.lower()]


def test_a_number_too_large_for_a_float_is_refused_naming_the_field(api, rows):
    """``1e999`` reads as infinity in Python: refused with the body, as ``Infinity`` itself is."""
    feature = "abs_variance_discharge_capacity_difference_cycles_2:100"
    raw = json.dumps({"items": [features(rows[0]), features(rows[1])]})
    raw = raw.replace(json.dumps(features(rows[1])[feature]), "1e999", 1)
    response = api.post(URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert "beyond the range of a number" in response.json()["error"]["fields"][f"items[1].{feature}"][0]
