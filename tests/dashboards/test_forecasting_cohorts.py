"""Sourced cohorts, the Stanford model on them, its calibration to the pilot plan's figures, the band and the
forecast API (R-FORECAST; pilot plan 一(二)2)."""

import ast
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from dashboards import stanford_model as sm
from dashboards.forecasting import Cohort
from dashboards.models import ForecastCalibration, ForecastReference, WeibullParameter

PLAN = {
    ("BJ", 2018): 2220, ("TJ", 2018): 1200, ("HB", 2018): 46,
    ("BJ", 2019): 2703, ("TJ", 2019): 1970, ("HB", 2019): 1810,
    ("BJ", 2020): 5058, ("TJ", 2020): 2974, ("HB", 2020): 2414,
}  # fmt: skip
USES = ("bus", "taxi", "logistics", "private", "other")


@pytest.fixture(scope="module")
def dataset():
    return sm.load()


# --- the data file -----------------------------------------------------------------------------------------


def test_every_cohort_row_carries_a_mark_and_a_known_source(dataset):
    assert len(dataset.cohorts) > 100
    for row in dataset.cohorts:
        assert row.mark in sm.MARKS, row
        ids = row.source.split(";")
        assert ids and all(i in dataset.sources for i in ids), row
        assert row.region in ("BJ", "TJ", "HB") and row.use in USES and 2009 <= row.year <= 2020
        assert row.powertrain in sm.POWERTRAINS, row
        assert row.vehicles > 0
        if row.mark == "U":
            assert row.derivation.strip(), f"a derived figure says how: {row}"


def test_every_pack_row_carries_a_mark_and_covers_each_cohort(dataset):
    for pack in dataset.packs:
        assert pack.mark in sm.MARKS and all(i in dataset.sources for i in pack.source.split(";"))
        assert sum(pack.chemistry.values()) == pytest.approx(1.0)
        assert 100 <= pack.avg_pack_kg <= 4000
    assert {
        dataset.pack_for(c.use, c.year, c.powertrain).avg_pack_kg for c in dataset.cohorts
    }  # raises on a gap


def test_a_hybrid_bus_pack_weighs_a_fraction_of_a_battery_electric_one(dataset):
    hybrid, electric = dataset.pack_for("bus", 2015, "hybrid"), dataset.pack_for("bus", 2015, "bev")
    assert hybrid.avg_pack_kg < 0.5 * electric.avg_pack_kg
    with pytest.raises(KeyError):
        dataset.pack_for("private", 2015, "hybrid")  # no hybrid car packs are tabled
    with pytest.raises(KeyError):
        dataset.pack_for("bus", 2015, "diesel")


def test_hebeis_early_buses_are_the_counts_its_transport_department_published(dataset):
    """52 buses in late 2013 (HB-TS13, HB-HD, HB-ZJK), 1,027 NEV buses bought in 2014, 3,397 in
    January-October 2015 (HB-BUS15): the 2013 and 2014 rows add up to the counts, the 2015 one extrapolates
    the ten months and says so."""

    def buses(year):
        return sum(c.vehicles for c in dataset.cohorts if (c.region, c.year, c.use) == ("HB", year, "bus"))

    assert buses(2014) == 1027
    assert 3397 < buses(2015) <= 3397 * 12 / 10
    assert buses(2013) == 20 + 20 + 12  # Tangshan, Handan (battery-electric), Xuanhua (hybrid), late 2013
    rows_2013 = [c for c in dataset.cohorts if (c.region, c.year, c.use) == ("HB", 2013, "bus")]
    assert {c.powertrain for c in rows_2013} == {"bev", "hybrid"} and all(c.mark == "S2" for c in rows_2013)
    rows_2015 = [c for c in dataset.cohorts if (c.region, c.year, c.use) == ("HB", 2015, "bus")]
    assert all("HB-BUS15" in c.source.split(";") and "12/10" in c.derivation for c in rows_2015)


def test_cohorts_come_within_ten_percent_of_the_plans_326000_at_end_2017(dataset):
    """The plan's anchor is an incomplete count; the regions' own counts sum to a little less."""
    tabled = sum(c.vehicles for c in dataset.cohorts if c.year <= 2017)
    assert 0.9 * 326_000 <= tabled <= 326_000


def test_regions_grow_differently_in_the_cohorts(dataset):
    """The demo cohorts grew every region alike; the sourced ones do not (Hebei is bus-heavy and late)."""

    def bus_share(region):
        rows = [c for c in dataset.cohorts if c.region == region and c.year <= 2016]
        return sum(c.vehicles for c in rows if c.use == "bus") / sum(c.vehicles for c in rows)

    assert bus_share("HB") > 2 * bus_share("BJ")


def test_a_malformed_mark_is_refused_by_the_firmness_table(dataset):
    with pytest.raises(KeyError):
        dataset.firmness_sd("maybe")


# --- the model ---------------------------------------------------------------------------------------------

TRUE = {"bus": sm.Lifetime(5.0, 5.0), "private": sm.Lifetime(3.0, 7.0)}
BOUNDS = sm.Bounds(shape=(1.5, 12.0), mean={"bus": (4.0, 6.0), "private": (5.0, 8.0)})


def synthetic_cohorts():
    """Three regions that differ only by their cohorts (Hebei starts late and is all buses)."""
    out = []
    for year in range(2009, 2021):
        out.append(Cohort("BJ", year, "bus", 300 + 80 * (year - 2009), 1500.0))
        out.append(Cohort("BJ", year, "private", 500 * 1.5 ** (year - 2009), 300.0))
        out.append(Cohort("TJ", year, "private", 800 * 1.3 ** (year - 2009), 280.0))
        if year >= 2014:
            out.append(Cohort("HB", year, "bus", 2000 * (year - 2013), 1800.0))
    return out


def test_model_recovers_known_lifetimes_from_synthetic_cohorts():
    cohorts = synthetic_cohorts()
    keys = [(r, y) for r in ("BJ", "TJ", "HB") for y in range(2014, 2024)]
    truth = sm.retirements(cohorts, TRUE, range(2014, 2024), ["BJ", "TJ", "HB"])
    reference = {k: truth[k] for k in keys}
    start = {"bus": sm.Lifetime(2.0, 4.2), "private": sm.Lifetime(8.0, 5.5)}
    fit = sm.calibrate(cohorts, reference, start, BOUNDS)
    for use, lt in TRUE.items():
        assert fit.lifetimes[use].shape == pytest.approx(lt.shape, rel=0.02), use
        assert fit.lifetimes[use].mean == pytest.approx(lt.mean, rel=0.01), use
    assert fit.mape < 0.02 and not fit.at_bounds


def test_lifetimes_stay_within_their_documented_bounds():
    cohorts = synthetic_cohorts()
    too_long = {"bus": sm.Lifetime(4.0, 9.0), "private": sm.Lifetime(3.0, 12.0)}
    truth = sm.retirements(cohorts, too_long, range(2014, 2024), ["BJ", "TJ", "HB"])
    fit = sm.calibrate(cohorts, truth, TRUE, BOUNDS)
    assert fit.lifetimes["bus"].mean <= 6.0 + 1e-9 and fit.lifetimes["private"].mean <= 8.0 + 1e-9
    assert "bus.mean" in fit.at_bounds and "private.mean" in fit.at_bounds


def test_retired_mass_over_a_cohorts_life_is_its_mass():
    cohort = Cohort("HB", 2015, "bus", 100, 2000.0)
    series = sm.retirements([cohort], TRUE, range(2015, 2060), ["HB"])
    assert sum(series.values()) == pytest.approx(cohort.mass_tonnes, rel=1e-6)
    assert series[("HB", 2015)] < 1e-4 * cohort.mass_tonnes  # a bus half a year old hardly retires


def test_cascade_delay_moves_retirements_later_and_keeps_the_mass():
    cohort = Cohort("BJ", 2014, "bus", 100, 2000.0)
    years = range(2014, 2060)
    plain = sm.retirements([cohort], TRUE, years, ["BJ"])
    delayed = sm.retirements([cohort], TRUE, years, ["BJ"], sm.CascadeDelay(share=0.5, years=3.0))
    assert sum(delayed.values()) == pytest.approx(sum(plain.values()), rel=1e-6)
    assert delayed[("BJ", 2019)] < plain[("BJ", 2019)] and delayed[("BJ", 2023)] > plain[("BJ", 2023)]


def test_stanford_model_imports_no_django():
    tree = ast.parse(Path(sm.__file__).read_text())
    modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith("django") for m in modules)


# --- calibration to the plan -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_fit(dataset):
    return sm.calibrate(dataset.model_cohorts(), PLAN, dataset.start(), sm.bounds_of(dataset))


def test_calibration_shares_one_lifetime_per_use_within_bounds(dataset, plan_fit):
    assert set(plan_fit.lifetimes) == set(USES)
    for use, lt in plan_fit.lifetimes.items():
        lo, hi = dataset.mean_bounds(use)
        assert lo - 1e-9 <= lt.mean <= hi + 1e-9
        assert dataset.shape_bounds[0] - 1e-9 <= lt.shape <= dataset.shape_bounds[1] + 1e-9
    assert set(plan_fit.fitted) == set(PLAN)


@pytest.mark.xfail(
    strict=True,
    reason="not reachable from the sourced cohorts with lifetimes shared by the regions and kept in their "
    "documented bounds: with Hebei 2018 met (56 t) its 2019 falls to 510 t against 1,810, and no cohorts at "
    "all meet Hebei's three figures within 13% with lifetimes of four years or more "
    "(docs/dashboards.md, retirement forecast)",
)
def test_calibration_reproduces_the_plans_nine_figures_within_the_bound(plan_fit):
    assert plan_fit.mape <= 0.10


def test_the_other_eight_figures_are_met_and_put_hebei_2018_far_above_the_plan(dataset):
    """The one figure the sourced cohorts cannot meet: without Hebei 2018 the fit is within the goal, and
    the lifetimes it finds retire several times the plan's 46 t from Hebei's packs sold by 2015."""
    eight = {k: v for k, v in PLAN.items() if k != ("HB", 2018)}
    cohorts = dataset.model_cohorts()
    fit = sm.calibrate(cohorts, eight, dataset.start(), sm.bounds_of(dataset))
    assert fit.mape <= 0.10
    hebei_2018 = sm.retirements(cohorts, fit.lifetimes, [2018], ["HB"])[("HB", 2018)]
    assert hebei_2018 > 4 * PLAN[("HB", 2018)]


@pytest.mark.xfail(
    strict=True,
    reason="the fit on 2018-2019 bends to Hebei's 46 t -> 1,810 t step and overshoots 2020 in every region "
    "(32.4%; docs/dashboards.md, retirement forecast)",
)
def test_2020_predicted_from_2018_2019_alone_is_within_the_goal(dataset):
    _, predicted, mape = sm.holdout(
        dataset.model_cohorts(),
        PLAN,
        dataset.start(),
        sm.bounds_of(dataset),
        fit_years=[2018, 2019],
        check_year=2020,
    )
    assert set(predicted) == {("BJ", 2020), ("TJ", 2020), ("HB", 2020)}
    assert mape <= 0.25


def test_attainable_bound_is_zero_for_figures_the_lifetimes_can_make():
    cohorts = synthetic_cohorts()
    truth = sm.retirements(cohorts, TRUE, [2018, 2019, 2020], ["HB"])
    reference = {y: truth[("HB", y)] for y in (2018, 2019, 2020)}
    assert sm.best_attainable_mape(reference, [TRUE["bus"]], range(2009, 2021)) == pytest.approx(0, abs=1e-6)
    # a step no cohort sold by 2016 can make with a wide lifetime: nothing in 2018, a lot in 2019
    assert sm.best_attainable_mape({2018: 1, 2019: 1000}, [sm.Lifetime(1.5, 6.0)], range(2009, 2017)) > 0.2


def test_no_cohorts_meet_hebeis_three_figures_with_lifetimes_of_four_years_or_more():
    """Whatever the cohort table said, packs that last four years or more on average (every documented use
    but taxis) cannot retire Hebei's 46 t, 1,810 t and 2,414 t within the goal: the 46 -> 1,810 step needs
    a sharper or a shorter life than the bounds allow. A 3.5-year life (taxis) could, had Hebei had the taxis."""
    hebei = {y: PLAN[("HB", y)] for y in (2018, 2019, 2020)}
    documented = [sm.Lifetime(k, m) for k in (1.5, 3.0, 6.0, 9.0, 12.0) for m in np.arange(4.0, 8.01, 0.25)]
    assert sm.best_attainable_mape(hebei, documented, range(2005, 2021)) > 0.12
    taxi_like = [sm.Lifetime(12.0, 3.5)]
    assert sm.best_attainable_mape(hebei, taxi_like, range(2005, 2021)) < 0.01


def test_a_fixed_average_life_meets_hebei_2018_from_its_2013_buses_but_not_its_later_years(dataset):
    """The plan's reading of the model ("动力蓄电池的平均运行寿命"): every pack retires at one average age. With
    five years, Hebei's 52 buses of late 2013 retire about the plan's 46 t in 2018; the same life retires the
    2015 cohort in 2020 at well over twice the plan's 2,414 t, and no other whole-year life meets 2018 at all."""
    cohorts = dataset.model_cohorts()

    def hebei(years_of_life):
        fixed = {u: sm.Lifetime(200.0, float(years_of_life)) for u in USES}  # k 200: all at one age
        return sm.retirements(cohorts, fixed, [2018, 2019, 2020], ["HB"])

    five = hebei(5)
    assert five[("HB", 2018)] == pytest.approx(PLAN[("HB", 2018)], rel=0.15)
    assert five[("HB", 2020)] > 2 * PLAN[("HB", 2020)]
    for other in (4, 6, 7, 8):
        assert abs(hebei(other)[("HB", 2018)] / PLAN[("HB", 2018)] - 1) > 0.5, other


def test_holdout_does_not_see_the_year_it_predicts(dataset):
    cohorts, start, bounds = dataset.model_cohorts(), dataset.start(), sm.bounds_of(dataset)
    _, predicted, mape = sm.holdout(cohorts, PLAN, start, bounds, fit_years=[2018, 2019], check_year=2020)
    other = {k: (v * 3 if k[1] == 2020 else v) for k, v in PLAN.items()}
    _, predicted_other, mape_other = sm.holdout(
        cohorts, other, start, bounds, fit_years=[2018, 2019], check_year=2020
    )
    assert predicted == pytest.approx(predicted_other)
    assert mape != pytest.approx(mape_other)
    expected = np.mean([abs(predicted[k] - PLAN[k]) / PLAN[k] for k in predicted])
    assert mape == pytest.approx(expected)


# --- the band ----------------------------------------------------------------------------------------------


def test_band_contains_the_forecast_and_widens_with_unsure_figures(dataset, plan_fit):
    years = list(range(2016, 2031))
    band = sm.bootstrap(dataset, PLAN, plan_fit, years, ["BJ", "TJ", "HB"], draws=12, seed=1)
    assert set(band.central) == {(r, y) for r in ("BJ", "TJ", "HB", sm.TOTAL) for y in years}
    for key in band.central:
        assert band.low[key] <= band.high[key]
    assert sum(band.high[k] - band.low[k] for k in band.central) > 0
    sure = sm.Dataset(
        cohorts=dataset.cohorts,
        packs=dataset.packs,
        config={**dataset.config, "firmness_sd": {"S": 0.0, "S2": 0.0, "U": 0.0}},
        sources=dataset.sources,
    )
    tight = sm.bootstrap(sure, {}, sm.Calibration(plan_fit.lifetimes, {}, {}), years, ["BJ"], draws=4, seed=1)
    for key, value in tight.central.items():
        assert tight.low[key] == pytest.approx(value) and tight.high[key] == pytest.approx(value)


# --- command, page and API ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_calibrate_forecast_prints_each_region_year_and_ends_with_the_errors(capsys):
    assert ForecastReference.objects.count() == 9
    call_command("calibrate_forecast")
    lines = capsys.readouterr().out.strip().splitlines()
    for (region, year), tonnes in PLAN.items():
        assert any(line.startswith(f"{year} {region:<3} reference {tonnes:6.0f} t") for line in lines), (
            region,
            year,
        )
    assert lines[-2].startswith("RMSE ") and lines[-2].endswith("%") and ", MAPE " in lines[-2]
    assert lines[-1].startswith("holdout 2020 MAPE ") and lines[-1].endswith("%")
    assert not ForecastCalibration.objects.exists()  # nothing stored without --save


@pytest.mark.django_db
def test_calibrate_forecast_save_stores_the_fit_and_the_band(capsys):
    call_command("calibrate_forecast", "--save", "--draws", "3")
    out = capsys.readouterr().out
    calibration = ForecastCalibration.objects.get()
    assert calibration.draws == 3 and f"MAPE {100 * calibration.mape:.1f}%" in out
    assert {r["region"] for r in calibration.band} == {"BJ", "TJ", "HB", "JJJ"}
    assert len(calibration.fitted) == 9
    bus = WeibullParameter.objects.get(use="bus")
    assert bus.scale == pytest.approx(calibration.lifetimes["bus"]["scale"])


def _api(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_forecast_api_answers_with_the_band_and_observed_retirements(world, capsys):
    call_command("calibrate_forecast", "--save", "--draws", "3")
    response = _api(world.users["reg_bj"]).get("/api/v1/dashboards/forecast/", {"region": "JJJ"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["calibrated"] and body["region"] == "JJJ" and body["last_data_year"] == 2020
    rows = {r["year"]: r for r in body["rows"]}
    assert rows[2019]["reference"] == 2703 + 1970 + 1810 and rows[2019]["kind"] == "fit"
    assert rows[2022]["kind"] == "projection" and rows[2022]["reference"] is None
    assert body["covered_until"] == 2023  # cohorts end in 2020; later vehicles retire from 2020 + 3 years
    assert rows[2023]["kind"] == "projection" and rows[2024]["kind"] == "uncovered"
    for row in body["rows"]:
        if row["kind"] == "uncovered":  # after 2023 the tabled cohorts no longer count: observed only
            assert row["year"] > 2023 and row["forecast"] is None and row["low"] is None
        else:
            assert row["low"] is not None and row["low"] <= row["high"] and row["forecast"] is not None
    observed = sum(r["observed_packs"] for r in body["rows"])
    assert observed > 0  # the world's removal events
    one = _api(world.users["reg_bj"]).get("/api/v1/dashboards/forecast/", {"region": "HB"}).json()
    assert one["region"] == "HB" and {r["year"]: r for r in one["rows"]}[2018]["reference"] == 46


def test_forecast_api_refuses_enterprises_and_anonymous(world):
    url = "/api/v1/dashboards/forecast/"
    assert _api(world.users["auto_tj"]).get(url).status_code == 403
    assert _api().get(url).status_code in (401, 403)


@pytest.mark.parametrize("region", ["<script>alert(1)</script>", "=HYPERLINK(1)", "OUT", "bj", "X" * 5000])
def test_forecast_api_falls_back_to_the_home_region_on_a_forged_region(world, region):
    response = _api(world.users["reg_tj"]).get("/api/v1/dashboards/forecast/", {"region": region})
    assert response.status_code == 200
    assert response.json()["region"] == "TJ"


def test_forecast_page_shows_band_projection_and_observed(world):
    call_command("calibrate_forecast", "--save", "--draws", "3")
    page = _api(world.users["reg_bj"]).get(reverse("dashboards:forecast"), {"region": "BJ"})
    assert page.status_code == 200
    outlook = page.context["outlook"]
    assert outlook["calibrated"] and outlook["region"] == "BJ"
    html = page.content.decode()
    assert 'id="outlook-table"' in html and "chart-outlook" in html
    kinds = {r["kind"] for r in outlook["rows"]}
    assert {"fit", "projection"} <= kinds
    observed = [r for r in outlook["rows"] if r["observed_packs"]]
    assert observed and all(r["observed_tonnes"] > 0 for r in observed)


def test_forecast_page_without_calibration_says_so(world):
    page = _api(world.users["reg_bj"]).get(reverse("dashboards:forecast"), {"region": "TJ"})
    assert page.status_code == 200 and not page.context["outlook"]["calibrated"]
    assert all(r["low"] is None for r in page.context["outlook"]["rows"])
