"""Service points as the dashboards show them (map, district coverage, the points count and the ≥ 3 rule),
against direct counts of points made through the recycling network's own services and factories."""

from collections import Counter

import pytest
from django.test import Client

from accounts.choices import JJJ_REGIONS
from dashboards import selectors, sources
from recycling_network import services as network
from recycling_network.models import Division, ServicePoint
from tests.factories import OrganisationFactory, UserFactory
from tests.recycling_network.factories import make_point

pytestmark = pytest.mark.django_db

SCOPES = [("BJ",), ("TJ",), ("HB",), JJJ_REGIONS]


def _register(owner, district, automakers=None):
    division = Division.objects.get(code=district)
    return network.service_point_register(
        actor=owner,
        name_zh=f"{division.name_zh}回收服务网点",
        district=district,
        address="测试路1号",
        lat=division.lat,
        lon=division.lon,
        automakers=automakers,
    )


@pytest.fixture
def points(world):
    """Beijing automaker: three points through the workflow (two in Haidian, one co-built with the Tianjin
    automaker), a draft and a point submitted but not yet published. Tianjin automaker: factory points in
    Tianjin and Hebei, one suspended. A point outside JJJ's automakers' reach: none."""
    auto_bj, auto_tj = world.orgs["auto_bj"], world.orgs["auto_tj"]
    owner = UserFactory(organisation=auto_bj)
    regulator = world.users["reg_bj"]
    for district, partners in (("110105", None), ("110108", [auto_tj]), ("110108", None)):
        point = _register(owner, district, partners)
        network.service_point_review(point=point, actor=owner, action="submit")
        network.service_point_review(point=point, actor=regulator, action="publish")
    _register(owner, "110101")  # draft
    network.service_point_review(point=_register(owner, "110102"), actor=owner, action="submit")
    make_point(automakers=[auto_tj], region="TJ")
    make_point(automakers=[auto_tj], region="TJ", district="120101")
    make_point(automakers=[auto_tj], region="HB")
    make_point(automakers=[auto_tj], region="HB", status="suspended")
    make_point(automakers=[OrganisationFactory(kinds=["automaker"], region="HB")], region="HB")
    return ServicePoint.objects.filter(status="published")


@pytest.mark.parametrize("regions", SCOPES)
def test_map_shows_exactly_the_published_points(world, points, regions):
    rows = sources.point_map_rows(regions)
    direct = points.filter(region__in=regions)
    assert direct.exists()
    assert {r["id"] for r in rows} == set(direct.values_list("pk", flat=True))
    assert ServicePoint.objects.exclude(status="published").exists()  # drafts, submitted, suspended left out


@pytest.mark.parametrize("region", ["BJ", "HB", "JJJ"])
def test_overview_map_plots_every_published_point(world, points, region):
    client = Client()
    client.force_login(world.users["reg_bj"])
    response = client.get("/dashboards/", {"region": region})
    plotted = response.context["charts"]["map"]["series"][0]["data"]
    assert len(plotted) == points.filter(region__in=selectors.regions_of(region)).count()


def test_points_per_automaker_match_a_direct_count(world, points):
    counts = sources.points_per_automaker(JJJ_REGIONS)
    scores = {s.org.pk: s for s in selectors.compliance_scores(regions=JJJ_REGIONS, year=None)}
    for org in selectors.automakers():
        mine = points.filter(automakers=org, region__in=JJJ_REGIONS)
        got = counts.get(org.pk, {"points": 0, "districts": 0})
        assert got["points"] == mine.count(), org
        assert got["districts"] == mine.values("district").distinct().count(), org
        assert (scores[org.pk].points, scores[org.pk].districts) == (got["points"], got["districts"])
    assert counts[world.orgs["auto_bj"].pk]["points"] == 3
    assert counts[world.orgs["auto_tj"].pk]["points"] == 4  # the co-built Beijing point counts for both
    assert counts[world.orgs["auto_tj"].pk]["co_built"] == 1


def test_service_point_rule_follows_the_count(world, points):
    scores = {s.org.pk: s for s in selectors.compliance_scores(regions=JJJ_REGIONS, year=None)}
    rule = lambda org: next(r for r in scores[org.pk].results if r.code == "service_points")  # noqa: E731
    assert rule(world.orgs["auto_bj"]).passed and rule(world.orgs["auto_tj"]).passed
    assert rule(world.orgs["auto_hb"]).measured == 0 and not rule(world.orgs["auto_hb"]).passed


@pytest.mark.parametrize("automaker", ["auto_bj", "auto_tj", "auto_hb"])
def test_district_coverage_matches_a_direct_count(world, points, automaker):
    org = world.orgs[automaker]
    coverage = {c["district_id"]: c["points"] for c in sources.district_coverage(org.pk, JJJ_REGIONS)}
    assert coverage == dict(Counter(points.filter(automakers=org).values_list("district_id", flat=True)))
    client = Client()
    client.force_login(world.users["reg_bj"])
    page = client.get(f"/dashboards/compliance/{org.pk}/", {"region": "JJJ"})
    assert {c["district_id"]: c["points"] for c in page.context["coverage"]} == coverage
    assert page.context["score"].districts == len(coverage)


def test_unregistered_intakes_are_shown_for_the_automakers_a_point_serves(world, points):
    auto_tj = world.orgs["auto_tj"]
    point = points.filter(region="TJ", automakers=auto_tj).first()
    operator_user = UserFactory(organisation=point.operator)
    for n in range(2):
        result = network.intake_record(
            point=point, actor=operator_user, code=f"ZZZPE01UNKNOWND11{n:07d}", source_kind="owner"
        )
        assert result.unregistered
    rows = sources.unregistered_intakes(auto_tj.pk)
    assert [(r["point_id"], r["count"]) for r in rows] == [(point.pk, 2)]
    assert sources.unregistered_intakes(world.orgs["auto_bj"].pk) == []
    client = Client()
    client.force_login(world.users["reg_bj"])
    page = client.get(f"/dashboards/compliance/{auto_tj.pk}/", {"region": "JJJ"})
    assert b"unregistered-intakes" in page.content and point.code.encode() in page.content
