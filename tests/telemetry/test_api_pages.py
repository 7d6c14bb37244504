"""The telemetry API and pages: a vehicle's samples for those who may read it; 400 naming the field; 404 for
another tenant's VIN; charts without inline scripts; gateway status in /metrics."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import redis

from telemetry import conf, storage
from tests.telemetry.factories import make_vehicle, report_item
from tests.valuation.factories import BatteryFactory, bind

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 2, 1, 8, tzinfo=UTC)


@pytest.fixture
def fleet(make_user):
    owner = make_user(kinds=("automaker",))
    stranger = make_user(kinds=("automaker",))
    vehicle = make_vehicle(automaker=owner.organisation)
    pack = BatteryFactory(custodian=owner.organisation)
    bind(pack, vehicle, start=date(2025, 1, 1))
    storage.SampleWriter().flush(
        [report_item(vehicle.vin, T0 + timedelta(seconds=10 * i), soc=40 + i) for i in range(60)]
    )
    return owner, stranger, vehicle, pack


def test_owner_reads_samples_in_a_window_page_by_page(fleet, client_for):
    owner, _, vehicle, pack = fleet
    url = f"/api/v1/vehicles/{vehicle.vin}/telemetry/"
    body = (
        client_for(owner)
        .get(url, {"since": (T0 + timedelta(seconds=100)).isoformat(), "page_size": 20})
        .json()
    )
    assert body["count"] == 50
    samples = body["results"]["samples"]
    assert [s["soc_pct"] for s in samples] == list(range(50, 70))
    assert samples[0]["battery_id"] == pack.pk
    until = (T0 + timedelta(seconds=50)).isoformat()
    assert client_for(owner).get(url, {"until": until}).json()["count"] == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01"}, "until"),
        ({"since": "2026-03-01T00:00Z", "until": "2026-02-01T00:00Z"}, "until"),
    ],
)
def test_bad_window_is_400_naming_the_field(fleet, client_for, params, field):
    owner, _, vehicle, _ = fleet
    response = client_for(owner).get(f"/api/v1/vehicles/{vehicle.vin}/telemetry/", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_another_tenant_and_unknown_vins_are_404(fleet, client_for, api_client):
    _, stranger, vehicle, _ = fleet
    assert client_for(stranger).get(f"/api/v1/vehicles/{vehicle.vin}/telemetry/").status_code == 404
    assert client_for(stranger).get("/api/v1/vehicles/LNOSUCHVIN0000000/telemetry/").status_code == 404
    assert api_client.get(f"/api/v1/vehicles/{vehicle.vin}/telemetry/").status_code == 401


def test_pages_for_the_entitled_only(fleet, client):
    owner, stranger, vehicle, pack = fleet
    client.force_login(owner)
    page = client.get(f"/telemetry/vehicles/{vehicle.vin}/")
    assert page.status_code == 200
    html = page.content.decode()
    data = json.loads(html.split('id="telemetry-data" type="application/json">')[1].split("</script>")[0])
    assert len(data["series"]) == 60 and data["series"][0]["soc_pct"] == 40
    assert "telemetry/charts.js" in html
    scripts = [chunk.split(">")[0] for chunk in html.split("<script")[1:]]
    assert all("src=" in s or 'type="application/json"' in s for s in scripts)  # no inline code
    assert client.get(f"/telemetry/batteries/{pack.code}/").status_code == 200
    client.force_login(stranger)
    assert client.get(f"/telemetry/vehicles/{vehicle.vin}/").status_code == 404
    assert client.get(f"/telemetry/batteries/{pack.code}/").status_code == 404


def test_vehicle_and_battery_pages_link_their_telemetry_for_the_entitled_only(fleet, client):
    owner, stranger, vehicle, pack = fleet
    client.force_login(owner)
    links = {
        f"/vehicles/{vehicle.vin}/": f'id="telemetry-link" href="/telemetry/vehicles/{vehicle.vin}/"',
        f"/batteries/{pack.code}/": f'id="telemetry-link" href="/telemetry/batteries/{pack.code}/"',
    }
    for page, link in links.items():
        response = client.get(page)
        assert response.status_code == 200 and link in response.content.decode(), page
        target = link.split('href="')[1].rstrip('"')
        assert client.get(target).status_code == 200
    # a module is not a pack: no vehicle telemetry is keyed to it
    module = BatteryFactory(custodian=owner.organisation, level="M", parent=pack)
    response = client.get(f"/batteries/{module.code}/")
    assert response.status_code == 200 and "telemetry-link" not in response.content.decode()
    client.force_login(stranger)
    for page in links:
        response = client.get(page)
        assert response.status_code == 404 and b"telemetry-link" not in response.content


def test_gateway_status_in_metrics_and_page(client, django_user_model, settings):
    r = redis.Redis.from_url(settings.REDIS_URL)
    key = conf.STATUS_KEY_PREFIX + "127.0.0.1:39999"
    r.set(
        key,
        json.dumps(
            {
                "connections": 3,
                "frames_per_second": 12.5,
                "frames": {"02": 40},
                "errors": {"bcc": 2},
                "samples": 40,
            }
        ),
        ex=30,
    )
    try:
        body = client.get("/metrics").content.decode()
        assert 'jjj_telemetry_connections{gateway="127.0.0.1:39999"} 3.0' in body
        assert 'jjj_telemetry_errors_total{gateway="127.0.0.1:39999",kind="bcc"} 2.0' in body
        admin = django_user_model.objects.create_superuser("ops-admin", "ops@example.com", "pw-123456789")
        client.force_login(admin)
        assert "127.0.0.1:39999" in client.get("/telemetry/gateway/").content.decode()
    finally:
        r.delete(key)
