"""Public disclosure: open API (JSON/CSV), list and detail pages, guide; nothing but published points."""

import pytest

from recycling_network.models import GuideSection
from tests.factories import OrganisationFactory

from .factories import make_point

API = "/api/v1/public/service-points/"


@pytest.fixture
def points(db):
    baic = OrganisationFactory(kinds=["automaker"], region="BJ")
    geely = OrganisationFactory(kinds=["automaker"], region="HB")
    return {
        "bj": make_point(automakers=[baic], region="BJ", district="110105", contact_phone="010-12345678"),
        "shared": make_point(
            automakers=[baic, geely],
            region="TJ",
            district="120116",
            contact_phone="022-5555",
            phone_public=True,
        ),
        "hb": make_point(automakers=[geely], region="HB", district="130600", kind="mobile"),
        "draft": make_point(automakers=[baic], region="BJ", status="draft"),
        "suspended": make_point(automakers=[baic], region="BJ", status="suspended"),
        "baic": baic,
        "geely": geely,
    }


@pytest.mark.django_db
def test_public_api_lists_only_published_points_without_login(api_client, points):
    response = api_client.get(API)
    assert response.status_code == 200
    codes = {r["code"] for r in response.json()["results"]}
    assert codes == {points["bj"].code, points["shared"].code, points["hb"].code}


@pytest.mark.django_db
def test_contact_phone_only_when_published_by_choice(api_client, points):
    rows = {r["code"]: r for r in api_client.get(API).json()["results"]}
    assert rows[points["bj"].code]["contact_phone"] is None
    assert rows[points["shared"].code]["contact_phone"] == "022-5555"
    assert "010-12345678" not in api_client.get(API).content.decode()
    csv_text = b"".join(api_client.get(API + "?format=csv").streaming_content).decode("utf-8-sig")
    assert "010-12345678" not in csv_text and "022-5555" in csv_text
    detail = api_client.get(f"{API}{points['bj'].code}/").json()
    assert detail["contact_phone"] is None and "contact_name" not in detail


@pytest.mark.django_db
def test_filters_by_automaker_uscc_region_and_kind(api_client, points):
    by_automaker = api_client.get(API, {"automaker": points["geely"].uscc}).json()["results"]
    assert {r["code"] for r in by_automaker} == {points["shared"].code, points["hb"].code}
    shared = next(r for r in by_automaker if r["code"] == points["shared"].code)
    assert shared["co_built"] is True and len(shared["automakers"]) == 2
    by_region = api_client.get(API, {"region": "BJ"}).json()["results"]
    assert [r["code"] for r in by_region] == [points["bj"].code]
    assert api_client.get(API, {"kind": "mobile"}).json()["count"] == 1
    assert api_client.get(API, {"region": "XX"}).status_code == 400


@pytest.mark.django_db
def test_near_sorts_by_distance(api_client, points):
    # Baoding city centre: the Hebei point first, then Beijing, then Tianjin Binhai.
    rows = api_client.get(API, {"near": "38.87,115.48"}).json()["results"]
    assert [r["code"] for r in rows] == [points["hb"].code, points["bj"].code, points["shared"].code]
    assert rows[0]["distance_km"] < rows[1]["distance_km"] < rows[2]["distance_km"]
    by_district = api_client.get(API, {"near_district": "120116"}).json()["results"]
    assert by_district[0]["code"] == points["shared"].code
    bad = api_client.get(API, {"near": "north"})
    assert bad.status_code == 400 and "near" in bad.json()["error"]["fields"]


@pytest.mark.django_db
def test_csv_and_xlsx_exports(api_client, points):
    response = api_client.get(API, {"format": "csv", "near": "39.9,116.4", "automaker": points["baic"].uscc})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("code,name_zh") and len(lines) == 3
    assert lines[1].startswith(points["bj"].code)
    xlsx = api_client.get(API, {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


@pytest.mark.django_db
def test_unpublished_point_has_no_public_page(client, points):
    assert client.get(f"/service-points/{points['draft'].code}/").status_code == 404
    assert client.get(f"{API}{points['suspended'].code}/").status_code == 404


@pytest.mark.django_db
def test_public_pages_render_without_login(client, points):
    page = client.get("/service-points/", {"region": "TJ"})
    assert page.status_code == 200
    text = page.content.decode()
    table = text.split('id="sp-table"')[1]
    assert points["shared"].code in table and points["bj"].code not in table
    assert 'data-geo-base="/static/vendor/geo/"' in text and "vendor/echarts/echarts.min.js" in text
    assert "010-12345678" not in text
    detail = client.get(f"/service-points/{points['shared'].code}/")
    assert detail.status_code == 200 and "022-5555" in detail.content.decode()
    near = client.get("/service-points/", {"near": "39.0,117.6"})
    assert "Distance (km)" in near.content.decode() or "距离" in near.content.decode()
    export = client.get("/service-points/", {"export": "csv"})
    assert export["Content-Type"].startswith("text/csv")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "phrase"), [("en", "Why never to a scrap dealer"), ("zh-hans", "为什么不能卖给废品收购站")]
)
def test_recycling_guide_in_both_languages(client, lang, phrase):
    response = client.get("/recycling-guide/", headers={"accept-language": lang})
    assert response.status_code == 200
    assert phrase in response.content.decode()
    assert ("换一收一" in response.content.decode()) or lang == "en"


@pytest.mark.django_db
def test_guide_text_is_data(client):
    GuideSection.objects.filter(key="trade_in_subsidy").update(body_en="Scheme 2026: bring your certificate.")
    response = client.get("/recycling-guide/", headers={"accept-language": "en"})
    assert "Scheme 2026: bring your certificate." in response.content.decode()
