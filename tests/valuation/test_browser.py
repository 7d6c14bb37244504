"""The battery page in a real browser: the degradation curve is drawn and the assessment shown."""

import pytest

from valuation.services import valuation_assess

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_battery_page_draws_the_curve(page, login, live_server, screenshot, holder, retired_pack):
    valuation_assess(battery=retired_pack, actor=holder)
    login(holder.username)
    page.goto(f"{live_server.url}/valuation/batteries/{retired_pack.code}/")
    page.wait_for_selector("#curve canvas")
    assert page.inner_text("#grade") == "B"
    screenshot("valuation-battery")
