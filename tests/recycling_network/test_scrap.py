"""Scrapped vehicles (R-SCRAP): certificate, removal, fleet-owned packs, battery-recycled certificate."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recycling_network.models import NetworkAlert
from recycling_network.services import intake_record
from tests.factories import OrganisationFactory, UserFactory
from traceability.models import LifecycleEvent
from traceability.services import release_record

from .factories import make_point, make_vehicle_with_pack


@pytest.fixture
def dismantler_user(db):
    return UserFactory(organisation=OrganisationFactory(kinds=["dismantler"], region="BJ"))


@pytest.fixture
def automaker(db):
    return OrganisationFactory(kinds=["automaker"], region="BJ")


def certify(client, vin, number="BF-0001", pack_present=True, days_ago=3):
    body = {
        "vin": vin,
        "number": number,
        "issued_at": (timezone.now() - timedelta(days=days_ago)).isoformat(),
        "pack_present": pack_present,
    }
    return client.post("/api/v1/scrap-certificates/", body, format="json")


@pytest.mark.django_db
def test_dismantler_records_certificate_and_removal(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    client = client_for(dismantler_user)
    cert = certify(client, vehicle.vin)
    assert cert.status_code == 201, cert.json()
    removal = client.post(
        f"/api/v1/scrap-certificates/{cert.json()['id']}/removals/", {"code": pack.code}, format="json"
    )
    assert removal.status_code == 201, removal.json()
    pack.refresh_from_db()
    assert pack.state == "removed" and pack.custodian_id == dismantler_user.organisation_id
    event = LifecycleEvent.objects.get(pk=removal.json()["event"])
    assert event.kind == "removed" and event.payload["scrap_certificate"] == "BF-0001"
    assert not pack.bindings.filter(unbound_at__isnull=True).exists()
    # The dismantler releases it to a service point, which takes it in.
    point = make_point()
    release_record(battery=pack, actor=dismantler_user.organisation, receiver=point.operator,
                   occurred_at=timezone.now())  # fmt: skip
    intake_record(
        point=point, actor=UserFactory(organisation=point.operator), code=pack.code, source_kind="dismantler"
    )
    pack.refresh_from_db()
    assert pack.custodian_id == point.operator_id


@pytest.mark.django_db
def test_fleet_owned_pack_stays_with_the_fleet(client_for, dismantler_user, automaker):
    fleet = OrganisationFactory(kinds=["fleet_operator"], region="BJ")
    vehicle, pack = make_vehicle_with_pack(automaker=automaker, fleet_owner=fleet, use="bus")
    client = client_for(dismantler_user)
    cert_id = certify(client, vehicle.vin).json()["id"]
    response = client.post(
        f"/api/v1/scrap-certificates/{cert_id}/removals/", {"code": pack.code}, format="json"
    )
    assert response.status_code == 201
    pack.refresh_from_db()
    assert pack.custodian_id == fleet.pk and pack.state == "removed"


@pytest.mark.django_db
def test_wrong_pack_and_other_dismantler_are_refused(client_for, dismantler_user, automaker):
    vehicle, _ = make_vehicle_with_pack(automaker=automaker)
    _, other_pack = make_vehicle_with_pack(automaker=automaker)
    client = client_for(dismantler_user)
    cert_id = certify(client, vehicle.vin).json()["id"]
    wrong = client.post(
        f"/api/v1/scrap-certificates/{cert_id}/removals/", {"code": other_pack.code}, format="json"
    )
    assert wrong.status_code == 400
    other = client_for(UserFactory(organisation=OrganisationFactory(kinds=["dismantler"])))
    response = other.post(
        f"/api/v1/scrap-certificates/{cert_id}/removals/", {"code": other_pack.code}, format="json"
    )
    assert response.status_code == 404
    assert certify(client, vehicle.vin, number="BF-0002").status_code == 409


@pytest.mark.django_db
def test_only_dismantlers_issue_certificates(client_for, automaker):
    vehicle, _ = make_vehicle_with_pack(automaker=automaker)
    assert certify(client_for(UserFactory(organisation=automaker)), vehicle.vin).status_code == 403


@pytest.mark.django_db
def test_vehicle_without_pack_needs_a_certificate_checked_against_the_trace(
    client_for, dismantler_user, automaker
):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    # The pack was replaced earlier and went to a service point.
    from traceability.services import event_record

    point = make_point()
    event_record(
        battery=pack, kind="removed", actor=automaker, occurred_at=timezone.now() - timedelta(days=30)
    )
    release_record(battery=pack, actor=automaker, receiver=point.operator,
                   occurred_at=timezone.now() - timedelta(days=29))  # fmt: skip
    intake_record(
        point=point, actor=UserFactory(organisation=point.operator), code=pack.code, source_kind="dealer"
    )
    client = client_for(dismantler_user)
    cert = certify(client, vehicle.vin, pack_present=False, days_ago=1)
    assert NetworkAlert.objects.filter(kind="scrap_without_pack").exists() == (
        timezone.localdate() >= timezone.datetime(2026, 4, 1).date()
    )
    url = f"/api/v1/scrap-certificates/{cert.json()['id']}/recycled-certificate/"
    body = {
        "number": "HS-01",
        "battery_code": pack.code,
        "recycled_by": point.operator.uscc,
        "issued_at": "2026-01-05",
    }
    response = client.post(url, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {**response.json(), "check_result": "consistent", "check_notes": []}


@pytest.mark.django_db
def test_certificate_that_contradicts_the_trace_raises_an_alert(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    nowhere = OrganisationFactory(kinds=["regeneration"])
    client = client_for(dismantler_user)
    cert_id = certify(client, vehicle.vin, pack_present=False).json()["id"]
    body = {
        "number": "HS-02",
        "battery_code": pack.code,
        "recycled_by": nowhere.uscc,
        "issued_at": "2026-01-05",
    }
    response = client.post(f"/api/v1/scrap-certificates/{cert_id}/recycled-certificate/", body, format="json")
    assert response.json()["check_result"] == "mismatch"
    notes = " ".join(response.json()["check_notes"])
    assert "custody" in notes and "in_vehicle" in notes
    assert NetworkAlert.objects.filter(kind="certificate_mismatch", battery=pack).exists()
