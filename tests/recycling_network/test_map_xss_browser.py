"""Stored script on the public map (R-PUBLIC): a point's name and address are enterprise input and must reach
every visitor's browser as text, never as markup; the Content-Security-Policy refuses inline scripts besides."""

import pytest

from tests.factories import OrganisationFactory

from .factories import make_point

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NAME = '<img src=x onerror="window.__xss = (window.__xss || 0) + 1">'
ADDRESS = '<script>window.__xss = 99</script><b id="bold-address">路</b>'

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def test_a_point_named_with_a_script_shows_as_text_and_runs_nothing(page, live_server):
    automaker = OrganisationFactory(kinds=["automaker"], region="BJ")
    point = make_point(automakers=[automaker], region="BJ", name_zh=NAME, name_en=NAME, address=ADDRESS)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(WATCH)
    page.goto(f"{live_server.url}/service-points/")
    page.wait_for_selector("#sp-map[data-ready='1']", timeout=20000)

    # The table is rendered by Django with autoescaping: the payload is the link's text.
    assert page.locator("#sp-table tbody tr a").first.inner_text() == NAME
    # Open the point's tooltip where a visitor's pointer would: over the point on the canvas.
    xy = page.evaluate(
        """([lon, lat]) => {
            const el = document.getElementById("sp-map");
            const chart = echarts.getInstanceByDom(el);
            const [x, y] = chart.convertToPixel({geoIndex: 0}, [lon, lat]);
            const box = el.getBoundingClientRect();
            return [box.left + x, box.top + y];
        }""",
        [round(point.lon, 6), round(point.lat, 6)],
    )
    page.mouse.move(xy[0] - 30, xy[1] - 30)
    page.mouse.move(xy[0], xy[1], steps=5)
    tooltip = page.locator("#sp-map div").filter(has_text="路").first
    tooltip.wait_for(state="visible", timeout=5000)
    assert NAME in tooltip.inner_text()
    assert ADDRESS in tooltip.inner_text()
    assert page.locator("#sp-map img").count() == 0
    assert page.locator("#bold-address").count() == 0
    page.wait_for_timeout(300)  # an injected image would have failed to load and fired its handler by now
    assert page.evaluate("window.__xss") is None
    assert errors == []
    assert page.evaluate("window.__csp") == []


def test_an_inline_script_is_refused_by_the_policy(page, live_server):
    """The header itself: an inline script slipped into a page does not run, and the browser reports it."""
    page.add_init_script(WATCH)
    page.goto(f"{live_server.url}/service-points/")
    page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.__inline = 1";
            document.body.appendChild(s);
        }"""
    )
    page.wait_for_timeout(100)
    assert page.evaluate("window.__inline") is None
    assert any(v.startswith("script-src") for v in page.evaluate("window.__csp"))
