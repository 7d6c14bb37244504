"""The battery page in a real browser: the degradation curve is drawn and the assessment shown."""

import csv

import pytest

from tests.valuation.factories import lab_tested_pack
from valuation import datafiles
from valuation.services import valuation_assess

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_battery_page_draws_the_curve(page, login, live_server, screenshot, holder, retired_pack):
    valuation_assess(battery=retired_pack, actor=holder)
    login(holder.username)
    page.goto(f"{live_server.url}/valuation/batteries/{retired_pack.code}/")
    page.wait_for_selector("#curve canvas")
    assert page.inner_text("#grade") == "B"
    screenshot("valuation-battery")


def test_cycle_life_flags_are_shown_and_fit_a_phone_and_a_laptop(page, login, live_server, holder, make_org):

    model = datafiles.cycle_life_model()
    row = next(csv.DictReader(datafiles.CELLS_CSV.read_text().splitlines()))
    early = {f: float(row[f]) for f in model.features[1:]}  # the first used feature is missing: imputed
    early["abs_min_discharge_capacity_difference_cycles_2:100"] = 3.0  # far outside the envelope
    pack = lab_tested_pack(holder, make_org, early)
    valuation_assess(battery=pack, actor=holder)
    login(holder.username)
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/valuation/batteries/{pack.code}/")
        assert page.is_visible("#cycle-life-ood") and page.is_visible("#cycle-life-imputed")
        assert "abs_min_discharge_capacity_difference_cycles_2:100" in page.inner_text("#cycle-life-ood")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
