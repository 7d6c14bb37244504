"""Transfers under manifests: dispatch, partial arrival, missing in transit, hand-over out of the network."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from recycling_network.models import NetworkAlert, NetworkParameter, StockEntry, Transfer, TransferItem
from recycling_network.services import intake_record, transfer_dispatch, transit_missing_flag
from recycling_network.tasks import flag_missing_in_transit
from regeneration.models import WasteCategory
from regeneration.services import licence_register
from tests.factories import OrganisationFactory, UserFactory
from traceability.models import LifecycleEvent

from .factories import make_pack, make_point


@pytest.fixture
def hub(db):
    org = OrganisationFactory(kinds=["service_operator", "logistics"], region="TJ")
    return make_point(operator=org, region="TJ", kind="hub")


@pytest.fixture
def hub_user(hub):
    return UserFactory(organisation=hub.operator)


@pytest.fixture
def stocked(point, operator_user):
    """Three packs in stock at ``point``, one of them damaged."""
    packs = [make_pack(mass_kg=300) for _ in range(3)]
    for i, pack in enumerate(packs):
        intake_record(
            point=point,
            actor=operator_user,
            code=pack.code,
            source_kind="owner",
            condition="damaged" if i == 2 else "intact",
            received_at=timezone.now() - timedelta(days=2),
            mass_kg=300,
        )
    return packs


def dispatch(client, point, codes, **extra):
    body = {
        "from_point": point.pk,
        "codes": codes,
        "carrier_name": "京津冀危险货物运输有限公司",
        "vehicle_plate": "京A·12345",
        "departed_at": (timezone.now() - timedelta(hours=30)).isoformat(),
        **extra,
    }
    return client.post("/api/v1/transfers/", body, format="json")


@pytest.mark.django_db
def test_dispatch_writes_a_manifest_and_keeps_custody_with_the_sender(
    client_for, point, operator_user, hub, stocked
):
    response = dispatch(client_for(operator_user), point, [p.code for p in stocked], to_point=hub.pk)
    assert response.status_code == 201, response.json()
    manifest = response.json()
    assert manifest["dangerous_goods"] == "UN3171"  # one damaged pack
    assert manifest["total_mass_kg"] == "900.00"
    assert manifest["receiver"]["uscc"] == hub.operator.uscc
    for pack in stocked:
        pack.refresh_from_db()
        assert pack.state == "in_transit" and pack.custodian_id == point.operator_id
        assert LifecycleEvent.objects.filter(battery=pack, kind="dispatched").exists()
    assert not StockEntry.objects.filter(point=point).exists()


@pytest.mark.django_db
def test_intact_packs_travel_as_un3480(client_for, point, operator_user, hub, stocked):
    response = dispatch(client_for(operator_user), point, [stocked[0].code], to_point=hub.pk)
    assert response.json()["dangerous_goods"] == "UN3480"


@pytest.mark.django_db
def test_packs_not_in_stock_are_refused(client_for, point, operator_user, hub, stocked):
    response = dispatch(
        client_for(operator_user), point, [stocked[0].code, make_pack().code], to_point=hub.pk
    )
    assert response.status_code == 400
    assert "not in stock" in response.json()["error"]["message"]
    stocked[0].refresh_from_db()
    assert stocked[0].state == "at_service_point"


@pytest.mark.django_db
def test_only_the_operator_dispatches_from_a_point(client_for, point, hub, hub_user, stocked):
    response = dispatch(client_for(hub_user), point, [stocked[0].code], to_point=hub.pk)
    assert response.status_code == 403


@pytest.mark.django_db
def test_partial_arrival_moves_only_the_arrived_packs_and_the_rest_goes_missing(
    client_for, point, operator_user, hub, hub_user, stocked
):
    manifest = dispatch(client_for(operator_user), point, [p.code for p in stocked], to_point=hub.pk).json()
    arrived, missing = stocked[:2], stocked[2]
    response = client_for(hub_user).post(
        f"/api/v1/transfers/{manifest['id']}/receive/", {"codes": [p.code for p in arrived]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "partial"
    for pack in arrived:
        pack.refresh_from_db()
        assert pack.custodian_id == hub.operator_id and pack.state == "at_service_point"
        assert StockEntry.objects.get(battery=pack).point == hub
        event = LifecycleEvent.objects.filter(battery=pack).order_by("-id").first()
        assert (event.kind, event.place_ref) == ("received", f"sp:{hub.pk}")
    missing.refresh_from_db()
    assert missing.custodian_id == point.operator_id and missing.state == "in_transit"

    # Departed 30 h ago: not yet overdue with the 72 h default, overdue with 24 h.
    assert transit_missing_flag() == 0
    assert transit_missing_flag(hours=24) == 1
    missing.refresh_from_db()
    # Reported lost, still in the sender's custody; the open release lets the receiver confirm it later.
    assert missing.custodian_id == point.operator_id and missing.state == "lost"
    alert = NetworkAlert.objects.get(kind="missing_in_transit", battery=missing)
    assert alert.resolved_at is None and manifest["number"] in alert.message
    assert LifecycleEvent.objects.filter(battery=missing, kind="lost").count() == 1
    assert TransferItem.objects.get(battery=missing).status == "missing"
    assert transit_missing_flag(hours=24) == 0  # flagged once


@pytest.mark.django_db
def test_a_late_arrival_resolves_the_alert(client_for, point, operator_user, hub, hub_user, stocked):
    manifest = dispatch(client_for(operator_user), point, [stocked[0].code], to_point=hub.pk).json()
    transit_missing_flag(hours=1)
    response = client_for(hub_user).post(
        f"/api/v1/transfers/{manifest['id']}/receive/", {"codes": [stocked[0].code]}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "received"
    assert NetworkAlert.objects.get(battery=stocked[0]).resolved_at is not None


@pytest.mark.django_db
def test_closing_a_manifest_reports_unconfirmed_packs_missing(
    client_for, point, operator_user, hub, hub_user, stocked
):
    manifest = dispatch(client_for(operator_user), point, [p.code for p in stocked], to_point=hub.pk).json()
    response = client_for(hub_user).post(
        f"/api/v1/transfers/{manifest['id']}/receive/",
        {"codes": [stocked[0].code], "close": True},
        format="json",
    )
    assert response.json()["status"] == "closed_short"
    assert NetworkAlert.objects.filter(kind="missing_in_transit").count() == 2


@pytest.mark.django_db
def test_beat_task_flags_overdue_packs(client_for, point, operator_user, hub, stocked):
    NetworkParameter.objects.filter(key="transit_missing_hours").update(value=12)
    dispatch(client_for(operator_user), point, [stocked[0].code], to_point=hub.pk)
    assert flag_missing_in_transit.delay().get() == 1


@pytest.mark.django_db
def test_only_the_receiver_confirms(client_for, point, operator_user, hub, stocked):
    manifest = dispatch(client_for(operator_user), point, [stocked[0].code], to_point=hub.pk).json()
    response = client_for(operator_user).post(
        f"/api/v1/transfers/{manifest['id']}/receive/", {"codes": [stocked[0].code]}, format="json"
    )
    assert response.status_code == 403
    stranger = UserFactory(organisation=OrganisationFactory(kinds=["service_operator"]))
    response = client_for(stranger).post(
        f"/api/v1/transfers/{manifest['id']}/receive/", {"codes": [stocked[0].code]}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_codes_not_on_the_manifest_are_refused(client_for, point, operator_user, hub, hub_user, stocked):
    manifest = dispatch(client_for(operator_user), point, [stocked[0].code], to_point=hub.pk).json()
    response = client_for(hub_user).post(
        f"/api/v1/transfers/{manifest['id']}/receive/", {"codes": [stocked[1].code]}, format="json"
    )
    assert response.status_code == 400
    assert "not on manifest" in response.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "event_kind", "state", "answer"), [
    ("regeneration", "regeneration_received", "at_regeneration", 200),
    # The pack's maker is unknown, so no maker's authorisation covers a second life: refused by the guard.
    ("cascade_use", "cascade_received", "cascade_use", 409),
])  # fmt: skip
def test_hand_over_to_a_cascade_use_or_regeneration_enterprise(
    client_for, point, operator_user, stocked, kind, event_kind, state, answer
):
    enterprise = OrganisationFactory(kinds=[kind], region="HB")
    if kind == "regeneration":
        _licence(enterprise)
    manifest = dispatch(client_for(operator_user), point, [stocked[0].code], receiver=enterprise.uscc)
    assert manifest.status_code == 201, manifest.json()
    response = client_for(UserFactory(organisation=enterprise)).post(
        f"/api/v1/transfers/{manifest.json()['id']}/receive/", {"codes": [stocked[0].code]}, format="json"
    )
    assert response.status_code == answer
    if answer != 200:
        assert response.json()["error"]["code"] == "cascade_use.maker_unknown"
        stocked[0].refresh_from_db()
        assert stocked[0].state == "in_transit" and stocked[0].custodian_id == point.operator_id
        return
    stocked[0].refresh_from_db()
    assert stocked[0].state == state and stocked[0].custodian_id == enterprise.pk
    assert LifecycleEvent.objects.filter(battery=stocked[0], kind=event_kind).exists()


def _licence(enterprise, *, scale_t="100", expired=False):
    today = timezone.localdate()
    end = today - timedelta(days=10) if expired else today + timedelta(days=365)
    return licence_register(
        enterprise=enterprise, number=f"HW-{enterprise.pk}", issuing_authority="生态环境局",
        categories=list(WasteCategory.objects.values_list("code", flat=True)),
        annual_scale_t=Decimal(scale_t), valid_from=today - timedelta(days=400), valid_to=end, actor=platform_actor(enterprise),
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("licence", "message"), [
    (None, "holds no hazardous-waste business licence"),
    ({"expired": True}, "expired on"),
    ({"scale_t": "0.1"}, "annual scale"),
])  # fmt: skip
def test_regeneration_receiver_needs_a_licence_that_covers_the_load(
    client_for, point, operator_user, stocked, licence, message
):
    enterprise = OrganisationFactory(kinds=["regeneration"], region="HB")
    if licence is not None:
        _licence(enterprise, **licence)
    response = dispatch(client_for(operator_user), point, [stocked[0].code], receiver=enterprise.uscc)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert not Transfer.objects.exists()
    assert StockEntry.objects.filter(battery=stocked[0], point=point).exists()


@pytest.mark.django_db
def test_leaving_the_network_only_to_cascade_use_or_regeneration(client_for, point, operator_user, stocked):
    somebody = OrganisationFactory(kinds=["after_sales"])
    response = dispatch(client_for(operator_user), point, [stocked[0].code], receiver=somebody.uscc)
    assert response.status_code == 400


@pytest.mark.django_db
def test_transfer_lists_are_scoped_to_parties(client_for, point, operator_user, hub, hub_user, stocked):
    dispatch(client_for(operator_user), point, [stocked[0].code], to_point=hub.pk)
    stranger = UserFactory(organisation=OrganisationFactory(kinds=["service_operator"]))
    assert client_for(hub_user).get("/api/v1/transfers/").json()["count"] == 1
    assert client_for(stranger).get("/api/v1/transfers/").json()["count"] == 0
    assert Transfer.objects.count() == 1


@pytest.mark.django_db
def test_intake_of_a_pack_in_transit_is_a_conflict(client_for, point, operator_user, hub, hub_user, stocked):
    manifest = dispatch(client_for(operator_user), point, [stocked[0].code], to_point=hub.pk).json()
    response = client_for(hub_user).post(
        "/api/v1/intakes/",
        {"point": hub.pk, "code": stocked[0].code, "source_kind": "service_point"},
        format="json",
    )
    assert response.status_code == 409
    assert manifest["number"] in response.json()["error"]["message"]


@pytest.mark.django_db
def test_receiver_confirms_on_the_manifest_page(client, point, operator_user, hub, hub_user, stocked):
    transfer = transfer_dispatch(
        actor=operator_user,
        from_point=point,
        codes=[stocked[0].code],
        carrier_name="c",
        vehicle_plate="p",
        to_point=hub,
    )
    client.force_login(hub_user)
    page = client.get(f"/network/transfers/{transfer.pk}/")
    assert page.status_code == 200 and stocked[0].code in page.content.decode()
    client.post(f"/network/transfers/{transfer.pk}/", {"codes": [stocked[0].code]})
    stocked[0].refresh_from_db()
    assert stocked[0].custodian_id == hub.operator_id
