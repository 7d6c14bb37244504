"""Service-point registration and the review workflow (draft → submitted → published ↔ suspended → closed)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.models import AuditLog
from recycling_network.geo import gcj02_to_wgs84
from recycling_network.models import PointReview, ServicePoint
from recycling_network.workflow import ACTIONS, IllegalReview, review_step
from tests.factories import OrganisationFactory, UserFactory

from .factories import make_point


def register(client, **extra):
    body = {
        "name_zh": "朝阳回收服务网点",
        "district": "110105",
        "address": "朝阳路1号",
        "lat": 39.92,
        "lon": 116.49,
        "contact_phone": "010-1234",
        **extra,
    }
    return client.post("/api/v1/service-points/", body, format="json")


@pytest.fixture
def automaker_user(db):
    return UserFactory(organisation=OrganisationFactory(kinds=["automaker"], region="BJ"))


@pytest.mark.django_db
def test_automaker_registers_a_co_built_point_from_gcj02(client_for, automaker_user):
    partner = OrganisationFactory(kinds=["automaker"], region="HB")
    response = register(client_for(automaker_user), automakers=[partner.uscc], coordinate_system="gcj02")
    assert response.status_code == 201, response.json()
    point = ServicePoint.objects.get(pk=response.json()["id"])
    assert point.status == "draft" and point.region == "BJ" and point.code == "SP-BJ-0001"
    assert set(point.automakers.all()) == {automaker_user.organisation, partner}
    assert (point.lat, point.lon) == pytest.approx(gcj02_to_wgs84(39.92, 116.49))
    assert abs(point.lat - 39.92) > 1e-4  # actually converted
    assert AuditLog.objects.filter(action="service_point.register", object_id=str(point.pk)).exists()


@pytest.mark.django_db
def test_only_automakers_register_points(client_for):
    operator = UserFactory(organisation=OrganisationFactory(kinds=["service_operator"]))
    assert register(client_for(operator)).status_code == 403


@pytest.mark.django_db
def test_bad_district_is_refused(client_for, automaker_user):
    response = register(client_for(automaker_user), district="440300")
    assert response.status_code == 400 and "district" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_review_workflow_with_regulator_of_the_region(client_for, automaker_user, make_regulator):
    point_id = register(client_for(automaker_user)).json()["id"]
    owner = client_for(automaker_user)

    def review(client, action):
        return client.post(
            f"/api/v1/service-points/{point_id}/review/", {"action": action, "note": "ok"}, format="json"
        )

    assert review(owner, "publish").status_code == 400  # only a regulator publishes
    assert review(owner, "submit").json()["status"] == "submitted"
    tianjin = client_for(make_regulator(region="TJ"))
    assert review(tianjin, "publish").status_code == 403  # another region reads only
    beijing = client_for(make_regulator(region="BJ"))
    assert review(beijing, "publish").json()["status"] == "published"
    assert review(beijing, "suspend").json()["status"] == "suspended"
    assert review(beijing, "reinstate").json()["status"] == "published"
    assert review(owner, "close").json()["status"] == "closed"
    assert review(owner, "submit").status_code == 400
    steps = list(
        PointReview.objects.filter(point_id=point_id).order_by("id").values_list("action", flat=True)
    )
    assert steps == ["submit", "publish", "suspend", "reinstate", "close"]
    assert AuditLog.objects.filter(action="service_point.publish", object_id=str(point_id)).count() == 1


@pytest.mark.django_db
def test_another_tenant_cannot_see_or_review_a_draft(client_for, automaker_user):
    point_id = register(client_for(automaker_user)).json()["id"]
    stranger = client_for(UserFactory(organisation=OrganisationFactory(kinds=["automaker"])))
    assert stranger.get(f"/api/v1/service-points/{point_id}/").status_code == 404
    response = stranger.post(
        f"/api/v1/service-points/{point_id}/review/", {"action": "submit"}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_moving_a_published_point_sends_it_back_to_review(client_for, make_regulator):
    point = make_point()
    owner = client_for(UserFactory(organisation=point.registered_by))
    response = owner.patch(f"/api/v1/service-points/{point.pk}/", {"address": "新地址9号"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    response = owner.patch(f"/api/v1/service-points/{point.pk}/", {"opening_hours": "9-17"}, format="json")
    assert response.json()["status"] == "submitted"


@pytest.mark.django_db
def test_regulator_pages_show_review_actions(client, make_regulator):
    point = make_point(status="submitted")
    client.force_login(make_regulator(region="BJ"))
    page = client.get("/network/points/")
    assert page.status_code == 200 and b'value="publish"' in page.content
    client.post(f"/network/points/{point.pk}/review/", {"action": "publish"})
    point.refresh_from_db()
    assert point.status == "published"


@pytest.mark.django_db
def test_register_page_saves_a_draft(client, automaker_user):
    client.force_login(automaker_user)
    assert client.get("/network/points/new/").status_code == 200
    form = {
        "name_zh": "海淀网点",
        "kind": "fixed",
        "district": "110108",
        "address": "海淀路2号",
        "lat": "39.96",
        "lon": "116.31",
        "coordinate_system": "wgs84",
        "capacity_packs": "10",
        "capacity_kg": "3000",
    }
    assert client.post("/network/points/new/", form).status_code == 302
    assert ServicePoint.objects.get(name_zh="海淀网点").status == "draft"
    form["lat"] = "north"
    assert "lat" in client.post("/network/points/new/", form).context["form"].errors


@given(
    st.sampled_from(["draft", "submitted", "published", "suspended", "closed"]),
    st.sampled_from(list(ACTIONS)),
)
def test_workflow_never_leaves_the_known_statuses(status, action):
    for role in ("owner", "regulator"):
        try:
            after = review_step(status, action, role)
        except IllegalReview:
            continue
        assert after in {"draft", "submitted", "published", "suspended", "closed"}
        assert status != "closed"
