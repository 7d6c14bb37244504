"""Scrapped vehicles (R-SCRAP): certificate, removal, fleet-owned packs, battery-recycled certificate, the dated
rules of ``recycling_network/data/scrap_rules.json`` and the dashboards' alert for a scrapped vehicle whose pack
is still recorded in it. Every refusal names its rule and leaves everything as it was."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.actors import platform_actor
from dashboards import selectors as dash
from dashboards.services import materialised_views_refresh
from recycling_network.models import BatteryRecycledCertificate, NetworkAlert, ScrapCertificate
from recycling_network.services import intake_record
from tests.factories import OrganisationFactory, RegulatorFactory, UserFactory
from traceability.models import Binding, LifecycleEvent, Vehicle
from traceability.services import event_record, release_record

from .factories import make_point, make_vehicle_with_pack


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h))


BEFORE_TOGETHER = at(2025, 6, 1)  # between the 2018 and the 2026-04-01 rules
TOGETHER = at(2026, 4, 2)


@pytest.fixture
def dismantler_user(db):
    return UserFactory(organisation=OrganisationFactory(kinds=["dismantler"], region="BJ"))


@pytest.fixture
def automaker(db):
    return OrganisationFactory(kinds=["automaker"], region="BJ")


def certify(client, vin, number="BF-0001", issued_at=BEFORE_TOGETHER, **extra):
    when = issued_at.isoformat() if isinstance(issued_at, datetime) else issued_at
    body = {"vin": vin, "number": number, "issued_at": when, **extra}
    return client.post("/api/v1/scrap-certificates/", body, format="json")


def snapshot(vehicle, pack):
    vehicle.refresh_from_db()
    pack.refresh_from_db()
    return (
        vehicle.scrapped_at,
        pack.state,
        pack.custodian_id,
        ScrapCertificate.objects.count(),
        LifecycleEvent.objects.filter(battery=pack).count(),
        Binding.objects.filter(pack=pack, unbound_at__isnull=True).count(),
        BatteryRecycledCertificate.objects.count(),
        NetworkAlert.objects.count(),
    )


def refused(response, status, rule, field=None):
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["code"] == rule, error
    if field:
        # The field at fault is named beside the message, not inside it (the platform's one body shape).
        assert error["field"] == field and not error["message"].startswith(f"{field}:"), error


def retire_to_point(pack, automaker, days_ago=30):
    """The automaker takes the pack out (maintenance) and a service point takes it in."""
    point = make_point()
    event_record(battery=pack, kind="removed", actor=platform_actor(automaker),
                 occurred_at=timezone.now() - timedelta(days=days_ago))  # fmt: skip
    release_record(battery=pack, actor=platform_actor(automaker), receiver=point.operator,
                   occurred_at=timezone.now() - timedelta(days=days_ago - 1))  # fmt: skip
    intake_record(
        point=point, actor=UserFactory(organisation=point.operator), code=pack.code, source_kind="dealer"
    )
    return point


# --- before 2026-04-01: certificate first, removal after ------------------------------------------------------


@pytest.mark.django_db
def test_certificate_scraps_the_vehicle_and_the_dismantler_removes_the_pack(
    client_for, dismantler_user, automaker
):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    client = client_for(dismantler_user)
    cert = certify(client, vehicle.vin)
    assert cert.status_code == 201, cert.json()
    vehicle.refresh_from_db()
    assert vehicle.scrapped_at == timezone.localdate(BEFORE_TOGETHER)
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
    release_record(battery=pack, actor=platform_actor(dismantler_user.organisation), receiver=point.operator,
                   occurred_at=timezone.now())  # fmt: skip
    intake_record(
        point=point, actor=UserFactory(organisation=point.operator), code=pack.code, source_kind="dismantler"
    )
    pack.refresh_from_db()
    assert pack.custodian_id == point.operator_id


@pytest.mark.django_db
def test_scrapped_vehicle_with_its_pack_still_in_it_raises_the_regulators_alert(
    client_for, dismantler_user, automaker
):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    client = client_for(dismantler_user)
    cert_id = certify(client, vehicle.vin).json()["id"]
    materialised_views_refresh(concurrently=False)
    assert dash.alert_counts(["BJ"])["scrapped_not_removed"] == 1
    assert dash.alert_counts(["TJ"])["scrapped_not_removed"] == 0
    assert list(dash.alert_queryset("scrapped_not_removed", ["BJ"]).values_list("code", flat=True)) == [
        pack.code
    ]
    page = Client()
    page.force_login(UserFactory(organisation=RegulatorFactory(region="BJ")))
    assert pack.code in page.get("/dashboards/lost/?alert=scrapped_not_removed").content.decode()
    elsewhere = Client()
    elsewhere.force_login(UserFactory(organisation=RegulatorFactory(region="TJ")))
    assert pack.code not in elsewhere.get("/dashboards/lost/?alert=scrapped_not_removed").content.decode()
    # The alert clears once the pack is out.
    client.post(f"/api/v1/scrap-certificates/{cert_id}/removals/", {"code": pack.code}, format="json")
    materialised_views_refresh(concurrently=False)
    assert dash.alert_counts(["BJ"])["scrapped_not_removed"] == 0


@pytest.mark.django_db
def test_an_unscrapped_vehicle_raises_no_alert(automaker):
    make_vehicle_with_pack(automaker=automaker)
    materialised_views_refresh(concurrently=False)
    assert dash.alert_counts(["BJ"])["scrapped_not_removed"] == 0


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


# --- without its pack: the battery-recycled certificate, or the pack's own trace ------------------------------


@pytest.mark.django_db
def test_without_its_pack_needs_the_recycled_certificate(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    # Taken out by the automaker and never seen in the recycling chain.
    event_record(battery=pack, kind="removed", actor=platform_actor(automaker), occurred_at=at(2025, 3, 1))
    client = client_for(dismantler_user)
    before = snapshot(vehicle, pack)
    response = certify(client, vehicle.vin, pack_present=False)
    refused(response, 422, "scrap.recycled_certificate_required", "recycled_certificate")
    assert snapshot(vehicle, pack) == before
    # With the certificate it is recorded, and checked against the trace: the automaker still holds the pack.
    body = {
        "number": "HS-01",
        "battery_code": pack.code,
        "recycled_by": automaker.uscc,
        "issued_at": "2025-05-20",
    }
    response = certify(client, vehicle.vin, pack_present=False, recycled_certificate=body)
    assert response.status_code == 201, response.json()
    record = BatteryRecycledCertificate.objects.get(scrap_certificate_id=response.json()["id"])
    assert record.battery == pack and record.check_result == "consistent"
    vehicle.refresh_from_db()
    assert vehicle.scrapped_at == timezone.localdate(BEFORE_TOGETHER)


@pytest.mark.django_db
def test_without_its_pack_the_trace_at_a_service_point_is_enough(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    retire_to_point(pack, automaker, days_ago=600)
    response = certify(client_for(dismantler_user), vehicle.vin, pack_present=False)
    assert response.status_code == 201, response.json()
    assert response.json()["pack_present"] is False
    assert not BatteryRecycledCertificate.objects.exists()
    # A recycled certificate can still follow and is checked against the trace.
    point_holder = pack.__class__.objects.get(pk=pack.pk).custodian
    url = f"/api/v1/scrap-certificates/{response.json()['id']}/recycled-certificate/"
    body = {
        "number": "HS-01",
        "battery_code": pack.code,
        "recycled_by": point_holder.uscc,
        "issued_at": "2025-05-05",
    }
    later = client_for(dismantler_user).post(url, body, format="json")
    assert later.status_code == 201, later.json()
    assert later.json() == {**later.json(), "check_result": "consistent", "check_notes": []}


@pytest.mark.django_db
def test_declared_missing_while_the_trace_has_it_in_the_vehicle_needs_the_certificate(
    client_for, dismantler_user, automaker
):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    before = snapshot(vehicle, pack)
    refused(certify(client_for(dismantler_user), vehicle.vin, pack_present=False), 422,
            "scrap.recycled_certificate_required", "recycled_certificate")  # fmt: skip
    assert snapshot(vehicle, pack) == before


@pytest.mark.django_db
def test_certificate_that_contradicts_the_trace_raises_an_alert(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    nowhere = OrganisationFactory(kinds=["regeneration"])
    body = {
        "number": "HS-02",
        "battery_code": pack.code,
        "recycled_by": nowhere.uscc,
        "issued_at": "2025-05-05",
    }
    response = certify(
        client_for(dismantler_user), vehicle.vin, pack_present=False, recycled_certificate=body
    )
    assert response.status_code == 201, response.json()
    record = BatteryRecycledCertificate.objects.get(scrap_certificate_id=response.json()["id"])
    assert record.check_result == "mismatch"
    notes = " ".join(record.check_notes)
    assert "custody" in notes and "in_vehicle" in notes
    assert NetworkAlert.objects.filter(kind="certificate_mismatch", battery=pack).exists()


@pytest.mark.django_db
def test_before_the_pilot_plan_nothing_is_asked(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    event_record(battery=pack, kind="removed", actor=platform_actor(automaker), occurred_at=at(2024, 6, 1))
    response = certify(
        client_for(dismantler_user), vehicle.vin, pack_present=False, issued_at=at(2017, 11, 3)
    )
    assert response.status_code == 201, response.json()


# --- from 2026-04-01: vehicle and battery scrapped together ---------------------------------------------------


@pytest.mark.django_db
def test_together_the_certificate_names_the_pack_and_removes_it(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    response = certify(client_for(dismantler_user), vehicle.vin, issued_at=TOGETHER, pack_code=pack.code)
    assert response.status_code == 201, response.json()
    assert response.json()["pack_code"] == pack.code
    event = LifecycleEvent.objects.get(pk=response.json()["removal_event"])
    assert event.kind == "removed" and event.occurred_at == TOGETHER
    assert event.payload == {**event.payload, "scrap_certificate": "BF-0001", "vin": vehicle.vin}
    pack.refresh_from_db()
    vehicle.refresh_from_db()
    assert pack.state == "removed" and pack.custodian_id == dismantler_user.organisation_id
    assert not pack.bindings.filter(unbound_at__isnull=True).exists()
    assert vehicle.scrapped_at == timezone.localdate(TOGETHER)
    materialised_views_refresh(concurrently=False)
    assert dash.alert_counts(["BJ"])["scrapped_not_removed"] == 0


@pytest.mark.django_db
def test_together_a_certificate_without_the_pack_is_refused(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    client = client_for(dismantler_user)
    before = snapshot(vehicle, pack)
    refused(certify(client, vehicle.vin, issued_at=TOGETHER), 422, "scrap.vehicle_and_battery_together",
            "pack_code")  # fmt: skip
    refused(certify(client, vehicle.vin, issued_at=TOGETHER, pack_code=pack.code, pack_present=False), 422,
            "scrap.vehicle_and_battery_together", "pack_present")  # fmt: skip
    assert snapshot(vehicle, pack) == before


@pytest.mark.django_db
def test_together_another_vehicles_pack_is_refused(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    _, other = make_vehicle_with_pack(automaker=automaker)
    client = client_for(dismantler_user)
    before = snapshot(vehicle, pack), snapshot(vehicle, other)
    refused(certify(client, vehicle.vin, issued_at=TOGETHER, pack_code=other.code), 422,
            "scrap.named_pack_not_in_vehicle", "pack_code")  # fmt: skip
    assert (snapshot(vehicle, pack), snapshot(vehicle, other)) == before


@pytest.mark.django_db
def test_together_a_pack_no_longer_in_the_vehicle_must_be_accounted_for(
    client_for, dismantler_user, automaker
):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    _, stranger = make_vehicle_with_pack(automaker=automaker)
    event_record(battery=pack, kind="removed", actor=platform_actor(automaker), occurred_at=at(2026, 1, 5))
    client = client_for(dismantler_user)
    before = snapshot(vehicle, pack)
    refused(certify(client, vehicle.vin, issued_at=TOGETHER, pack_code=pack.code), 422,
            "scrap.pack_not_accounted", "pack_code")  # fmt: skip
    # A pack that was never in this vehicle does not account for it either.
    event_record(
        battery=stranger, kind="removed", actor=platform_actor(automaker), occurred_at=at(2026, 1, 5)
    )
    refused(certify(client, vehicle.vin, issued_at=TOGETHER, pack_code=stranger.code), 422,
            "scrap.pack_not_accounted", "pack_code")  # fmt: skip
    assert snapshot(vehicle, pack) == before


@pytest.mark.django_db
def test_together_a_pack_at_a_service_point_is_accounted_for(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    retire_to_point(pack, automaker, days_ago=30)
    issued = timezone.now() - timedelta(days=1)
    response = certify(client_for(dismantler_user), vehicle.vin, issued_at=issued, pack_code=pack.code)
    assert response.status_code == 201, response.json()
    assert response.json()["pack_present"] is False and response.json()["removal_event"] is None
    assert NetworkAlert.objects.filter(kind="scrap_without_pack", battery=pack, region="BJ").exists()


# --- attacks --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_dismantlers_issue_certificates(client_for, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    rival = OrganisationFactory(kinds=["automaker"], region="BJ")
    before = snapshot(vehicle, pack)
    for org in (automaker, rival, OrganisationFactory(kinds=["battery_maker"])):
        refused(certify(client_for(UserFactory(organisation=org)), vehicle.vin, issued_at=TOGETHER,
                        pack_code=pack.code), 403, "scrap.dismantler_only")  # fmt: skip
    assert snapshot(vehicle, pack) == before


@pytest.mark.django_db
def test_a_dismantler_of_another_region_is_refused(client_for, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    tianjin = UserFactory(organisation=OrganisationFactory(kinds=["dismantler"], region="TJ"))
    before = snapshot(vehicle, pack)
    refused(certify(client_for(tianjin), vehicle.vin, issued_at=TOGETHER, pack_code=pack.code), 403,
            "scrap.dismantler_region", "vin")  # fmt: skip
    assert snapshot(vehicle, pack) == before


@pytest.mark.django_db
def test_a_vehicle_already_scrapped_is_refused(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    client = client_for(dismantler_user)
    assert certify(client, vehicle.vin).status_code == 201
    before = snapshot(vehicle, pack)
    refused(certify(client, vehicle.vin, number="BF-0002"), 409, "scrap.already_scrapped", "vin")
    other = client_for(UserFactory(organisation=OrganisationFactory(kinds=["dismantler"], region="BJ")))
    refused(certify(other, vehicle.vin, number="BF-0003", issued_at=TOGETHER, pack_code=pack.code), 409,
            "scrap.already_scrapped", "vin")  # fmt: skip
    assert snapshot(vehicle, pack) == before
    # Scrapped by another record (no certificate here) counts too.
    second, pack2 = make_vehicle_with_pack(automaker=automaker)
    Vehicle.objects.filter(pk=second.pk).update(scrapped_at=timezone.localdate(BEFORE_TOGETHER))
    refused(certify(client, second.vin, number="BF-0004"), 409, "scrap.already_scrapped", "vin")


@pytest.mark.django_db
def test_forged_dates_and_codes_are_refused(client_for, dismantler_user, automaker):
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    client = client_for(dismantler_user)
    before = snapshot(vehicle, pack)
    refused(certify(client, vehicle.vin, issued_at=timezone.now() + timedelta(days=2), pack_code=pack.code),
            422, "scrap.issued_in_future", "issued_at")  # fmt: skip
    response = certify(client, vehicle.vin, issued_at=TOGETHER, pack_code='=HYPERLINK("x")')
    assert response.status_code == 400 and "pack_code" in response.json()["error"]["fields"]
    assert certify(client, vehicle.vin, issued_at="not a date").status_code == 400
    assert snapshot(vehicle, pack) == before


@pytest.mark.django_db
def test_a_refused_removal_leaves_no_certificate(client_for, dismantler_user, automaker):
    """The removal is part of the certificate's transaction: when the trace refuses it, nothing is kept."""
    vehicle, pack = make_vehicle_with_pack(automaker=automaker)
    # The pack is bound after the certificate's time: it cannot leave the vehicle before it went in.
    Binding.objects.filter(pack=pack).update(bound_at=TOGETHER + timedelta(days=1))
    before = snapshot(vehicle, pack)
    response = certify(client_for(dismantler_user), vehicle.vin, issued_at=TOGETHER, pack_code=pack.code)
    assert response.status_code in (400, 409, 422), response.json()
    assert snapshot(vehicle, pack) == before
