"""Grade boundaries and scenarios from the shipped grade table (domain.md §6)."""

import pytest

from valuation import datafiles
from valuation.core.grading import GradeTable, grade_for


@pytest.fixture(scope="module")
def table():
    return datafiles.grade_table()


@pytest.mark.parametrize(
    ("soh", "grade"),
    [
        (1.0, "A"), (0.80, "A"), (0.7999, "B"), (0.70, "B"), (0.6999, "C"), (0.60, "C"),
        (0.5999, "D"), (0.50, "D"), (0.4999, "R"), (0.0, "R"), (1 - 0.2, "A"), (0.1 * 7, "B"),
    ],
)  # fmt: skip
def test_band_lower_bounds_are_inclusive(table, soh, grade):
    assert grade_for(table, soh, safety_passed=True).grade.code == grade


def test_scenarios_follow_the_band(table):
    assert grade_for(table, 0.75, safety_passed=True).grade.scenarios == ("telecom_backup", "grid_storage")
    assert "home_storage" in grade_for(table, 0.65, safety_passed=True).grade.scenarios
    assert grade_for(table, 0.55, safety_passed=True).grade.scenarios[0] == "street_light"


def test_failed_safety_sends_any_pack_to_regeneration(table):
    result = grade_for(table, 0.95, safety_passed=False)
    assert result.grade.code == "R" and result.grade.route == "regeneration"
    assert "safety" in result.reason


def test_missing_safety_assessment_is_said(table):
    assert "safety assessment" in grade_for(table, 0.75, safety_passed=None).reason


def test_impossible_soh_is_refused(table):
    with pytest.raises(ValueError):
        grade_for(table, -0.1, safety_passed=True)


def test_a_table_must_cover_zero_and_name_its_failure_grade():
    with pytest.raises(ValueError):
        GradeTable.from_dict({"version": "x", "failed_safety_grade": "A",
                              "grades": [{"code": "A", "min_soh": 0.5, "route": "cascade"}]})  # fmt: skip
    with pytest.raises(ValueError):
        GradeTable.from_dict({"version": "x", "failed_safety_grade": "Z",
                              "grades": [{"code": "A", "min_soh": 0, "route": "cascade"}]})  # fmt: skip
