"""The public map renders in Debian chromium with every request outside the test server refused."""

import pytest

from tests.factories import OrganisationFactory

from .factories import make_point


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_public_map_renders_offline(page, live_server, screenshot):
    baic = OrganisationFactory(kinds=["automaker"], region="BJ", name_zh="北京新能源汽车股份有限公司")
    gwm = OrganisationFactory(kinds=["automaker"], region="HB", name_zh="长城汽车股份有限公司")
    make_point(automakers=[baic], region="BJ", district="110105", name_zh="北京朝阳回收服务网点")
    make_point(
        automakers=[baic, gwm], region="BJ", district="110112", kind="mobile", name_zh="通州移动回收站"
    )
    make_point(automakers=[gwm], region="HB", district="130600", name_zh="保定回收服务网点")
    make_point(automakers=[baic, gwm], region="TJ", district="120116", kind="hub", name_zh="物流仓储集散中心")
    make_point(
        automakers=[gwm], region="HB", district="130100", kind="comprehensive", name_zh="石家庄综合网点"
    )

    outside = []

    def only_local(route):
        url = route.request.url
        if url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_local)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/service-points/")
    page.wait_for_selector("#sp-map[data-ready='1']", timeout=20000)
    assert page.locator("#sp-map canvas").count() >= 1
    assert page.locator("#sp-table tbody tr").count() == 5
    path = screenshot("service-points-map")
    assert path.exists() and path.stat().st_size > 20000
    assert outside == [] and errors == []

    page.goto(f"{live_server.url}/service-points/?region=HB&near=38.87,115.48")
    page.wait_for_selector("#sp-map[data-ready='1']", timeout=20000)
    rows = page.locator("#sp-table tbody tr")
    assert rows.count() == 2
    assert "保定" in rows.first.inner_text()
    assert outside == [] and errors == []
