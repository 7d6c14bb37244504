"""The forecast reproduces a synthetic cohort with known Weibull parameters, and reports its fit to the plan."""

import ast
from pathlib import Path

import pytest

from dashboards import forecasting
from dashboards.forecasting import Cohort, Weibull, calibrate, retired_tonnes

TRUE = Weibull(shape=2.6, scale=7.5)
COHORTS = [Cohort("BJ", y, "private", 1000 * (1 + (y - 2008) ** 1.5), 320.0) for y in range(2008, 2021)]
YEARS = list(range(2010, 2031))


def test_share_of_a_cohort_sums_to_one_over_its_life():
    total = sum(TRUE.share_in_year(2010, y) for y in range(2010, 2080))
    assert total == pytest.approx(1.0, abs=1e-9)
    assert TRUE.share_in_year(2010, 2009) == 0.0


def test_retired_tonnes_is_mass_times_share():
    cohort = Cohort("TJ", 2015, "taxi", 100, 500.0)
    got = retired_tonnes([cohort], {"taxi": TRUE}, [2020])
    assert got[("TJ", 2020)] == pytest.approx(50.0 * TRUE.share_in_year(2015, 2020))
    assert retired_tonnes([cohort], {"bus": TRUE}, [2020]) == {}  # no parameters for the use: nothing


def test_calibration_recovers_known_parameters_within_two_percent():
    reference = retired_tonnes(COHORTS, {"private": TRUE}, YEARS)
    fit = calibrate(COHORTS, reference, {"private": Weibull(4.0, 12.0)})
    assert fit.success
    assert fit.params["private"].shape == pytest.approx(TRUE.shape, rel=0.02)
    assert fit.params["private"].scale == pytest.approx(TRUE.scale, rel=0.02)
    assert fit.mape < 0.02


def test_calibration_keeps_other_uses_fixed():
    taxi = Weibull(3.0, 4.0)
    cohorts = COHORTS + [Cohort("BJ", 2015, "taxi", 5000, 400.0)]
    reference = retired_tonnes(cohorts, {"private": TRUE, "taxi": taxi}, YEARS)
    fit = calibrate(cohorts, reference, {"private": Weibull(3.5, 10.0), "taxi": taxi}, fit_uses=["private"])
    assert fit.params["taxi"] == taxi
    assert fit.params["private"].scale == pytest.approx(TRUE.scale, rel=0.02)


def test_forecasting_module_imports_no_django():
    tree = ast.parse(Path(forecasting.__file__).read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith("django") for m in modules)
