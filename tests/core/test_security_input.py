"""Out-of-range input is a 400 naming the field, never a server error (R-API): the filter layer, the
serializers and the models' bounds each refuse what the database column cannot hold."""

import pytest
from django.core.exceptions import ValidationError

from recycling_network.models import ServicePoint
from tests.factories import RegulatorFactory, UserFactory
from tests.recycling_network.factories import make_point

pytestmark = pytest.mark.django_db

BEYOND_OFFSET = "2026-01-01T00:00:00+16:00"


@pytest.fixture
def regulator_api(client_for):
    return client_for(UserFactory(organisation=RegulatorFactory(region="BJ")))


def _assert_field_error(response, field):
    assert response.status_code == 400, response.content
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert field in body["fields"], body


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/regeneration/batches/?year=0", "year"),
        ("/api/v1/regeneration/batches/?year=10000", "year"),
        (f"/api/v1/alliance/lots/?deadline_before={BEYOND_OFFSET}", "deadline_before"),
        (f"/api/v1/intakes/?received_after={BEYOND_OFFSET}", "received_after"),
        ("/api/v1/intakes/?received_before=0001-01-01T00:00:00%2B08:00", "received_before"),
        ("/api/v1/intakes/?point=99999999999999999999999", "point"),
    ],
)
def test_out_of_range_filters_are_a_400_naming_the_field(regulator_api, url, field):
    _assert_field_error(regulator_api.get(url.replace("+", "%2B")), field)


def test_in_range_filters_still_filter(regulator_api):
    assert regulator_api.get("/api/v1/regeneration/batches/?year=2026").status_code == 200
    ok = regulator_api.get("/api/v1/intakes/?received_after=2026-01-01T00:00:00%2B14:00")
    assert ok.status_code == 200, ok.content


def test_capacity_beyond_the_column_is_a_400(client_for):
    point = make_point(status="draft")
    owner = client_for(UserFactory(organisation=point.operator))
    response = owner.patch(
        f"/api/v1/service-points/{point.pk}/", {"capacity_kg": 3_000_000_000}, format="json"
    )
    _assert_field_error(response, "capacity_kg")
    point.refresh_from_db()
    assert point.capacity_kg != 3_000_000_000


def test_model_bounds_match_the_column():
    point = make_point(status="draft")
    point.capacity_kg = 3_000_000_000
    with pytest.raises(ValidationError) as exc:
        point.full_clean()
    assert "capacity_kg" in exc.value.message_dict
    assert ServicePoint._meta.get_field("capacity_kg").validators


@pytest.mark.parametrize("year", ["0", "296244903", "twenty"])
def test_a_year_parameter_outside_the_calendar_is_a_400(regulator_api, year):
    _assert_field_error(regulator_api.get(f"/api/v1/regeneration/balance/?year={year}"), "year")


@pytest.mark.parametrize(
    "url",
    [
        "/regeneration/batches/?year=0",
        "/regeneration/balance/?year=0",
        "/regeneration/balance/?year=abc",
        "/dashboards/compliance/?year=99999999999",
        "/dashboards/rows/events/?year=0",
        "/dashboards/rows/events/?year=9999",
        "/dashboards/rows/events/?year=-1",
        "/dashboards/rows/events/?year=99999999999999999999",
        "/audit/?created_after=0001-01-01",
    ],
)
def test_pages_ignore_out_of_range_filters(client, url):
    """Pages share the FilterSets: an invalid value is dropped from the query, never a server error."""
    client.force_login(UserFactory(organisation=RegulatorFactory(region="BJ")))
    response = client.get(url)
    assert response.status_code in (200, 403), (url, response.status_code)


def test_an_enterprise_page_ignores_an_offset_beyond_the_column(client):
    client.force_login(UserFactory(organisation=make_point().operator))
    response = client.get("/network/intake/?received_after=2026-01-01T00:00:00%2B16:00")
    assert response.status_code == 200
