"""A Beijing regulator walks through every dashboard page in Debian chromium (Playwright)."""

from pathlib import Path

import pytest

from dashboards import services
from tests.dashboards.factories import build_world
from tests.recycling_network.factories import make_point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def live_world(transactional_db, monkeypatch):
    world = build_world(monkeypatch, n=36)
    # Published service points for the map and the coverage columns (the network's own test factory).
    for automaker, district in [
        ("auto_bj", "110105"),
        ("auto_bj", "110108"),
        ("auto_bj", "110112"),
        ("auto_tj", "120116"),
        ("auto_tj", "120101"),
        ("auto_hb", "130600"),
    ]:
        region = {"11": "BJ", "12": "TJ", "13": "HB"}[district[:2]]
        make_point(automakers=[world.orgs[automaker]], region=region, district=district)
    tj = world.users["reg_tj"]
    finding = services.finding_propose(
        actor=tj, enterprise=world.orgs["auto_tj"], rule_code="unregistered_codes", period="2026"
    )
    services.finding_decide(actor=tj, finding=finding, confirm=True)
    return world


def charts_ready(page, n):
    # A locator wait, not wait_for_function: the Content-Security-Policy refuses the string evaluation that
    # the latter relies on.
    page.locator("[data-chart][data-ready]").nth(n - 1).wait_for(state="attached", timeout=15000)


def flows_filtered_from_2000(page, base):
    """The flows page, then its date filter moved back to 2000: htmx swaps the rows and the chart is drawn again."""
    page.goto(f"{base}/dashboards/flows/?region=JJJ&date_from=2024-01-01")
    charts_ready(page, 1)
    page.fill("#id_date_from", "2000-01-01")
    page.dispatch_event("#id_date_from", "change")
    page.wait_for_url("**date_from=2000-01-01**")
    charts_ready(page, 1)


def test_beijing_regulator_walks_the_dashboards(page, login, screenshot, live_server, live_world):
    base = live_server.url
    login("reg_bj")

    page.goto(f"{base}/dashboards/")
    charts_ready(page, 5)
    assert page.locator("#access-badge").get_attribute("data-editable") == "1"
    screenshot("dashboards-overview")
    page.click("#region-switch [data-region=TJ]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#access-badge").get_attribute("data-editable") == "0"
    charts_ready(page, 5)
    screenshot("dashboards-overview-tianjin")

    flows_filtered_from_2000(page, base)
    assert page.locator("#flow-table tbody tr").count() >= 4
    screenshot("dashboards-flows")
    with page.expect_download() as download:
        page.click("[data-export=csv]")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.count("\n") >= 5

    page.goto(f"{base}/dashboards/compliance/?region=JJJ")
    charts_ready(page, 1)
    page.fill("#id_year", "2025")
    page.dispatch_event("#id_year", "change")
    page.wait_for_url("**year=2025**")
    page.fill("#id_year", "2026")
    page.dispatch_event("#id_year", "change")
    page.wait_for_url("**year=2026**")
    charts_ready(page, 1)
    assert page.locator("#compliance-table tbody tr").count() == 3
    assert page.locator("#publish-form").count() == 0  # Jingjinji view: nobody's own region
    screenshot("dashboards-compliance")
    with page.expect_download() as download:
        page.click("[data-export=xlsx]")
    assert download.value.suggested_filename.endswith(".xlsx")

    # A Tianjin automaker's page: visible, with its confirmed finding, but nothing to edit for Beijing.
    page.goto(f"{base}/dashboards/compliance/{live_world.orgs['auto_tj'].pk}/?region=TJ")
    charts_ready(page, 1)
    assert page.locator("#findings tbody tr[data-finding]").count() == 1
    assert page.locator("#propose-form").count() == 0
    assert page.locator("#findings button").count() == 0
    assert page.locator("#read-only-note").is_visible()
    assert page.locator("#access-badge").get_attribute("data-editable") == "0"
    screenshot("dashboards-enterprise")

    page.goto(f"{base}/dashboards/lost/?region=JJJ")
    page.click("#alert-cards a >> nth=3")
    page.wait_for_url("**alert=left_jjj**")
    assert page.locator("#rows-table tbody tr").count() >= 1
    screenshot("dashboards-lost")

    page.goto(f"{base}/dashboards/forecast/")
    charts_ready(page, 2)  # the sourced-cohort forecast with its band, and the platform's own cohorts
    assert page.locator("#outlook-table tbody tr").count() > 0
    width = page.evaluate("document.querySelector('#forecast-outlook').scrollWidth")
    assert width <= page.viewport_size["width"]
    screenshot("dashboards-forecast")

    page.goto(f"{base}/dashboards/search/")
    page.fill("#search-form input[name=q]", live_world.vehicles[2].vin)
    page.click("#search-form button")
    page.wait_for_selector("#search-result")
    assert live_world.packs[2].code in page.inner_text("#search-result")
    screenshot("dashboards-search")

    page.goto(f"{base}/dashboards/rows/batteries/?region=JJJ")
    page.select_option("#id_state", "in_transit")
    page.wait_for_url("**state=in_transit**")
    rows = page.locator("#rows-table tbody tr").count()
    assert rows >= 1
    screenshot("dashboards-batteries")
    with page.expect_download() as download:
        page.click("[data-export=csv]")
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(lines) - 1 == rows
