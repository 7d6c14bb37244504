"""Co-built points and what reaches the public (R-NET, R-PUBLIC): only the operator changes or closes a
point; the automakers it serves file change requests that the operator or the regional regulator decides;
any change to what the public sees of a published point goes back to review."""

import pytest

from core.models import AuditLog
from recycling_network.models import PointChangeRequest, ServicePoint
from recycling_network.services import point_change_request
from tests.factories import OrganisationFactory, UserFactory

from .factories import make_point

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub(operator, automaker):
    """A published hub that the operator runs for two automakers (the first registered it)."""
    other = OrganisationFactory(kinds=["automaker"], region="TJ")
    return make_point(operator=operator, automakers=[automaker, other], region="BJ", kind="hub")


@pytest.fixture
def other_automaker_user(hub):
    other = hub.automakers.exclude(pk=hub.registered_by_id).get()
    return UserFactory(organisation=other)


def detail(point):
    return f"/api/v1/service-points/{point.pk}/"


# --- public fields back to review ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"name_zh": "新名字"},
        {"name_en": "New name"},
        {"opening_hours": "24h"},
        {"contact_phone": "010-99999999"},
        {"kind": "mobile"},
        {"capacity_kg": 9000},
        {"lat": 39.95, "lon": 116.45},
        {"address": "新地址1号"},
    ],
)
def test_a_change_to_a_public_field_sends_the_published_point_back_to_review(
    client_for, point, operator_user, change
):
    response = client_for(operator_user).patch(detail(point), change, format="json")
    assert response.status_code == 200, response.json()
    point.refresh_from_db()
    assert point.status == "submitted"
    public = client_for(operator_user).get("/api/v1/public/service-points/").json()["results"]
    assert point.code not in [p["code"] for p in public]


def test_an_internal_field_or_no_change_keeps_the_point_published(client_for, point, operator_user):
    client = client_for(operator_user)
    assert client.patch(detail(point), {"contact_name": "王工"}, format="json").status_code == 200
    assert client.patch(detail(point), {"name_zh": point.name_zh}, format="json").status_code == 200
    point.refresh_from_db()
    assert point.status == "published" and point.contact_name == "王工"


def test_the_regulators_own_correction_stays_published(client_for, point, make_regulator):
    response = client_for(make_regulator("BJ")).patch(detail(point), {"name_zh": "更正名"}, format="json")
    assert response.status_code == 200, response.json()
    point.refresh_from_db()
    assert (point.status, point.name_zh) == ("published", "更正名")


# --- only the operator edits or closes ---------------------------------------------------------------------


def test_a_served_automaker_cannot_edit_cut_down_or_close_the_point(client_for, hub, other_automaker_user):
    client = client_for(other_automaker_user)
    me = other_automaker_user.organisation
    assert client.patch(detail(hub), {"name_zh": "我的网点"}, format="json").status_code == 403
    assert client.patch(detail(hub), {"automakers": [me.uscc]}, format="json").status_code == 403
    assert client.post(f"{detail(hub)}review/", {"action": "close"}, format="json").status_code == 403
    hub.refresh_from_db()
    assert hub.status == "published" and hub.name_zh != "我的网点"
    assert hub.automakers.count() == 2
    # The registering automaker is served too, but does not run the point either.
    registrant = UserFactory(organisation=hub.registered_by)
    assert client_for(registrant).patch(detail(hub), {"opening_hours": "x"}, format="json").status_code == 403


def test_the_closing_form_refuses_a_served_automaker(client, hub, other_automaker_user):
    client.force_login(other_automaker_user)
    client.post(f"/network/points/{hub.pk}/review/", {"action": "close"})
    hub.refresh_from_db()
    assert hub.status == "published"


def test_the_operator_edits_and_closes(client_for, hub, operator_user):
    client = client_for(operator_user)
    assert client.patch(detail(hub), {"contact_name": "李工"}, format="json").status_code == 200
    assert client.post(f"{detail(hub)}review/", {"action": "close"}, format="json").status_code == 200
    hub.refresh_from_db()
    assert hub.status == "closed"


# --- change requests -----------------------------------------------------------------------------------------


def request_change(client, point, **body):
    return client.post(f"{detail(point)}change-requests/", body, format="json")


def test_a_served_automaker_asks_and_the_operator_decides(
    client_for, hub, other_automaker_user, operator_user
):
    asker = client_for(other_automaker_user)
    response = request_change(asker, hub, changes={"opening_hours": "08:00-20:00"}, note="longer hours")
    assert response.status_code == 201, response.json()
    change = response.json()
    assert change["status"] == "pending" and change["changes"] == {"opening_hours": "08:00-20:00"}
    hub.refresh_from_db()
    assert hub.opening_hours != "08:00-20:00" and hub.status == "published"  # nothing changes yet
    # The asker cannot approve its own request.
    decide = f"/api/v1/service-point-change-requests/{change['id']}/decide/"
    assert asker.post(decide, {"approve": True}, format="json").status_code == 403
    response = client_for(operator_user).post(decide, {"approve": True, "note": "ok"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    hub.refresh_from_db()
    assert hub.opening_hours == "08:00-20:00" and hub.status == "submitted"  # a public field: re-review
    assert AuditLog.objects.filter(action="service_point.change_request.approved").exists()
    # Decided once.
    again = client_for(operator_user).post(decide, {"approve": False}, format="json")
    assert again.status_code == 400 and "status" in again.json()["error"]["fields"]


def test_cutting_the_hub_down_is_a_request_the_operator_may_reject(
    client_for, hub, other_automaker_user, operator_user
):
    me = other_automaker_user.organisation
    response = request_change(client_for(other_automaker_user), hub, changes={"automakers": [me.uscc]})
    assert response.status_code == 201, response.json()
    decide = f"/api/v1/service-point-change-requests/{response.json()['id']}/decide/"
    assert client_for(operator_user).post(decide, {"approve": False}, format="json").status_code == 200
    assert hub.automakers.count() == 2
    assert PointChangeRequest.objects.get().status == "rejected"


def test_closing_is_asked_for_and_the_regional_regulator_decides(
    client_for, hub, other_automaker_user, make_regulator
):
    response = request_change(client_for(other_automaker_user), hub, kind="close", note="moving out")
    assert response.status_code == 201, response.json()
    decide = f"/api/v1/service-point-change-requests/{response.json()['id']}/decide/"
    assert client_for(make_regulator("TJ")).post(decide, {"approve": True}, format="json").status_code == 403
    assert ServicePoint.objects.get(pk=hub.pk).status == "published"
    assert client_for(make_regulator("BJ")).post(decide, {"approve": True}, format="json").status_code == 200
    assert ServicePoint.objects.get(pk=hub.pk).status == "closed"


def test_outsiders_and_the_operator_do_not_file_requests(client_for, hub, operator_user):
    stranger = UserFactory(organisation=OrganisationFactory(kinds=["automaker"], region="BJ"))
    assert request_change(client_for(stranger), hub, changes={"name_zh": "x"}).status_code == 403
    assert request_change(client_for(operator_user), hub, changes={"name_zh": "x"}).status_code == 403
    draft = make_point(status="draft")
    assert request_change(client_for(stranger), draft, changes={"name_zh": "x"}).status_code == 404
    # Requests are not public either: a stranger lists none.
    assert client_for(stranger).get(f"{detail(hub)}change-requests/").json()["results"] == []


def test_bad_requests_name_the_field(client_for, hub, other_automaker_user):
    client = client_for(other_automaker_user)
    response = request_change(client, hub, changes={"status": "closed"})
    assert response.status_code == 400 and "changes" in response.json()["error"]["fields"]
    response = request_change(client, hub, changes={"capacity_kg": -1})
    assert response.status_code == 400 and "changes" in response.json()["error"]["fields"]
    response = request_change(client, hub, changes={})
    assert response.status_code == 400 and "changes" in response.json()["error"]["fields"]


def test_the_page_files_and_decides_a_request(client, hub, other_automaker_user, operator_user):
    url = f"/network/points/{hub.pk}/requests/"
    client.force_login(other_automaker_user)
    page = client.get(url)
    assert page.status_code == 200 and b'id="change-request-form"' in page.content
    client.post(url, {"kind": "change", "name_zh": "新枢纽", "note": "rename"})
    change = PointChangeRequest.objects.get()
    assert change.changes == {"name_zh": "新枢纽"}
    client.force_login(operator_user)
    page = client.get(url)
    assert b'name="decide"' in page.content and b'id="change-request-form"' not in page.content
    client.post(url, {"decide": change.pk, "approve": "1"})
    hub.refresh_from_db()
    assert hub.name_zh == "新枢纽" and hub.status == "submitted"


# --- the review form's next ------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_the_review_form_does_not_redirect_off_site(client, point, operator_user, target):
    client.force_login(operator_user)
    response = client.post(f"/network/points/{point.pk}/review/", {"action": "submit", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/network/points/"


def test_the_review_form_returns_to_a_local_page(client, point, operator_user):
    client.force_login(operator_user)
    response = client.post(
        f"/network/points/{point.pk}/review/", {"action": "submit", "next": "/network/points/?page=2"}
    )
    assert response["Location"] == "/network/points/?page=2"


# --- the admin ---------------------------------------------------------------------------------------------------


def test_the_admin_does_not_rename_a_published_point_unreviewed(client, hub):
    admin_user = UserFactory(organisation=None, is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    url = f"/admin/recycling_network/servicepoint/{hub.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="name_zh"' not in page.content  # shown read-only
    draft = make_point(status="draft")
    assert (
        b'name="name_zh"' in client.get(f"/admin/recycling_network/servicepoint/{draft.pk}/change/").content
    )


def test_the_admin_decides_through_the_service(client, hub, other_automaker_user, make_regulator):
    change = point_change_request(point=hub, actor=other_automaker_user, opening_hours="09:00-17:00")
    admin_user = UserFactory(organisation=make_regulator("BJ").organisation, is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    response = client.post(
        "/admin/recycling_network/pointchangerequest/",
        {"action": "approve", "_selected_action": [change.pk]},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    hub.refresh_from_db()
    assert change.status == "approved" and hub.opening_hours == "09:00-17:00"
    assert AuditLog.objects.filter(action="service_point.change_request.approved").exists()


def test_the_page_offers_no_form_to_strangers_and_refuses_a_bad_decision(client, hub, operator_user):
    stranger = UserFactory(organisation=OrganisationFactory(kinds=["automaker"], region="BJ"))
    client.force_login(stranger)
    page = client.get(f"/network/points/{hub.pk}/requests/")
    assert page.status_code == 200 and b'id="change-request-form"' not in page.content
    client.force_login(operator_user)
    assert (
        client.post(f"/network/points/{hub.pk}/requests/", {"decide": "abc", "approve": "1"}).status_code
        == 404
    )
