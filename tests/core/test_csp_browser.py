"""The main pages under the Content-Security-Policy in Debian chromium: charts, the map, htmx filters and the
admin all work, and the browser reports no violation (a blocked script would show up here first)."""

import pytest

from tests.dashboards.factories import build_world
from tests.dashboards.test_browser import charts_ready, flows_filtered_from_2000
from tests.recycling_network.factories import make_point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + location.pathname);
});
"""


def test_main_pages_run_without_a_policy_violation(page, login, live_server, transactional_db, monkeypatch):
    world = build_world(monkeypatch, n=12)
    point = make_point(automakers=[world.orgs["auto_bj"]], region="BJ", district="110105")
    base = live_server.url
    errors, violations = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.add_init_script(WATCH)

    def collect():
        violations.extend(page.evaluate("window.__csp"))

    page.goto(f"{base}/service-points/")
    page.wait_for_selector("#sp-map[data-ready='1']", timeout=20000)
    collect()
    page.goto(f"{base}/service-points/{point.code}/")
    page.wait_for_selector("#sp-map[data-ready='1']", timeout=20000)
    collect()
    for path in ("/recycling-guide/", "/admin/login/"):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        collect()
    # The API docs: Swagger UI from the bundled distribution reads the schema and lists the operations.
    page.goto(f"{base}/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=30000)
    collect()

    login("reg_bj")
    page.goto(f"{base}/dashboards/")
    charts_ready(page, 3)
    collect()
    # An htmx filter swap re-draws the charts through the static script.
    flows_filtered_from_2000(page, base)
    collect()
    # The price-guidance chart of the alliance, drawn by its static script.
    page.goto(f"{base}/alliance/guidance/")
    page.locator("#price-chart canvas").first.wait_for(timeout=20000)
    collect()
    # The navbar's dropdown needs Bootstrap's script.
    page.locator("#mainnav .dropdown-toggle").first.click()
    assert page.locator("#mainnav .dropdown-menu.show").count() == 1
    collect()
    assert errors == []
    assert violations == []
