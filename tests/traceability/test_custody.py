"""Custody and lifecycle integrity (R-LIFE): each attack an outside enterprise tried is refused with the rule's
name, and the battery's custodian and state stay as they were. Then the two-party flow over REST."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.actors import platform_actor
from recycling_network.models import ScrapCertificate
from tests.cascade_use.factories import authorise, licence
from traceability import services
from traceability.models import Battery, Binding, CustodyClaim

from .factories import CHAIN, at, make_vin, move, pack_in_vehicle, parties, refused

pytestmark = pytest.mark.django_db


def _unchanged(pack, custodian, state):
    fresh = Battery.objects.get(pk=pack.pk)
    assert (fresh.custodian_id, fresh.state) == (custodian.pk if custodian else None, state)


@pytest.fixture
def world(make_org, make_user):
    return parties(make_org, make_user, **CHAIN, logistics="logistics")


def _in_vehicle(world):
    return pack_in_vehicle(world["maker"], world["automaker"])


def _retired_at_point(world):
    pack = _in_vehicle(world)
    services.event_record(
        battery=pack, kind="removed", actor=platform_actor(world["automaker"]), occurred_at=at(2025, 1, 2)
    )
    move(pack, world["point"], at_=at(2025, 1, 3))
    return pack


# --- the attacks ---------------------------------------------------------------------------------------------


def test_a_maker_cannot_take_an_automakers_pack_out_of_its_vehicle(world, client_for):
    pack = _in_vehicle(world)
    refused("custody.removal_by_vehicle_party", services.event_record, battery=pack, kind="removed",
             actor=platform_actor(world["maker"]), occurred_at=at(2025, 1, 2))  # fmt: skip
    r = (
        client_for(world["users"]["maker"])
        .post(
            "/api/v1/events/",
            {"items": [{"battery_code": pack.code, "kind": "removed", "occurred_at": "2025-01-02"}]},
            format="json",
        )
        .json()
    )
    assert r["results"][0]["rule"] == "custody.removal_by_vehicle_party"
    _unchanged(pack, world["automaker"], "in_vehicle")
    assert Binding.objects.filter(pack=pack, unbound_at__isnull=True).exists()
    assert client_for(world["users"]["automaker"]).get(f"/api/v1/batteries/{pack.code}/").status_code == 200


def test_a_read_only_account_records_nothing_whoever_calls(world, make_user, client_for):
    pack = _retired_at_point(world)
    viewer = make_user(world["point"], role="viewer")
    refused("actor.read_only", services.release_record, battery=pack, actor=viewer, receiver=world["cascade"],
             occurred_at=at(2025, 1, 4))  # fmt: skip
    r = client_for(viewer).post(
        "/api/v1/custody/releases/",
        {"battery_code": pack.code, "to_uscc": world["cascade"].uscc, "occurred_at": "2025-01-04"},
        format="json",
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "actor.read_only"
    _unchanged(pack, world["point"], "at_service_point")
    # The operator's own account releases the same pack.
    services.release_record(battery=pack, actor=world["users"]["point"], receiver=world["cascade"],
                            occurred_at=at(2025, 1, 4))  # fmt: skip


def test_a_cascade_user_without_authorisation_cannot_receive_nor_repurpose(world, client_for):
    pack = _retired_at_point(world)
    # No release: the receipt is refused before any other rule.
    refused("custody.receipt_without_release", services.event_record, battery=pack, kind="cascade_received",
             actor=platform_actor(world["cascade"]), occurred_at=at(2025, 1, 4))  # fmt: skip
    # Released to it, but no authorisation from the pack's maker.
    services.release_record(
        battery=pack,
        actor=platform_actor(world["point"]),
        receiver=world["cascade"],
        occurred_at=at(2025, 1, 4),
    )
    refused("cascade_use.authorisation_missing", services.receipt_confirm, battery=pack, actor=platform_actor(world["cascade"]),
             occurred_at=at(2025, 1, 5))  # fmt: skip
    refused("lifecycle.cascade_repurposed", services.event_record, battery=pack, kind="cascade_repurposed",
             actor=platform_actor(world["cascade"]), occurred_at=at(2025, 1, 5))  # fmt: skip
    _unchanged(pack, world["point"], "at_service_point")


def test_a_repurposing_needs_a_passed_assessment(world):
    pack = _retired_at_point(world)
    authorise(world["maker"], world["cascade"], valid_from=date(2024, 1, 1), valid_to=date(2030, 1, 1))
    move(pack, world["cascade"], at_=at(2025, 1, 4))
    refused("cascade_use.assessment_missing", services.event_record, battery=pack, kind="cascade_repurposed",
             actor=platform_actor(world["cascade"]), occurred_at=at(2025, 1, 5))  # fmt: skip
    _unchanged(pack, world["cascade"], "cascade_use")


def test_a_logistics_firm_cannot_record_a_cascade_receipt(world, client_for):
    pack = _retired_at_point(world)
    services.release_record(battery=pack, actor=platform_actor(world["point"]), receiver=world["logistics"],
                            occurred_at=at(2025, 1, 4), kind="dispatched")  # fmt: skip
    r = client_for(world["users"]["logistics"]).post(
        "/api/v1/events/",
        {"items": [{"battery_code": pack.code, "kind": "cascade_received", "occurred_at": "2025-01-05"}]},
        format="json",
    )
    assert r.json()["results"][0]["rule"] == "cascade_received.actor_kind"
    _unchanged(pack, world["point"], "in_transit")


def test_a_regenerator_without_licence_cannot_receive(world):
    pack = _retired_at_point(world)
    services.release_record(
        battery=pack,
        actor=platform_actor(world["point"]),
        receiver=world["regen"],
        occurred_at=at(2025, 1, 4),
    )
    refused("regeneration.licence_missing", services.receipt_confirm, battery=pack, actor=platform_actor(world["regen"]),
             occurred_at=at(2025, 1, 5), payload={"mass_kg": "300"})  # fmt: skip
    _unchanged(pack, world["point"], "at_service_point")


def test_a_pack_back_from_regeneration_never_enters_a_vehicle_again(world):
    licence(world["regen"])
    pack = _retired_at_point(world)
    move(pack, world["regen"], at_=at(2025, 1, 4), kind="regeneration_received")
    services.release_record(battery=pack, actor=platform_actor(world["regen"]), receiver=world["automaker"],
                            occurred_at=at(2025, 1, 5), kind="dispatched")  # fmt: skip
    services.receipt_confirm(
        battery=pack, actor=platform_actor(world["automaker"]), occurred_at=at(2025, 1, 6)
    )
    pack.refresh_from_db()
    assert (pack.custodian_id, pack.state, pack.vehicle_use_ended) == (
        world["automaker"].pk,
        "at_service_point",
        True,
    )
    result = services.bindings_upload(items=[{"vin": make_vin(), "pack_code": pack.code, "sold_at": "2025-01-07"}],
                                      actor=platform_actor(world["automaker"]))  # fmt: skip
    assert result[0]["status"] == "error" and result[0]["rule"] == "lifecycle.no_return_to_vehicle"
    _unchanged(pack, world["automaker"], "at_service_point")


def test_to_uscc_does_not_hand_a_battery_to_anyone(world, client_for):
    pack = _retired_at_point(world)
    client = client_for(world["users"]["point"])
    r = client.post("/api/v1/events/", {"items": [
        {"battery_code": pack.code, "kind": "stored", "occurred_at": "2025-01-05", "to_uscc": world["logistics"].uscc},
    ]}, format="json").json()  # fmt: skip
    assert r["results"][0]["rule"] == "custody.moves_by_release"
    stranger = client_for(world["users"]["logistics"])
    r = stranger.post("/api/v1/events/", {"items": [
        {"battery_code": pack.code, "kind": "handed_over", "occurred_at": "2025-01-05",
         "to_uscc": world["logistics"].uscc}]}, format="json").json()  # fmt: skip
    assert r["results"][0]["rule"] == "custody.holder_only"
    _unchanged(pack, world["point"], "at_service_point")


def test_dismantling_happens_only_at_a_regeneration_enterprise(world):
    pack = _retired_at_point(world)
    refused("lifecycle.dismantled", services.event_record, battery=pack, kind="dismantled", actor=platform_actor(world["point"]),
             occurred_at=at(2025, 1, 5))  # fmt: skip
    _unchanged(pack, world["point"], "at_service_point")


def test_a_dismantler_removes_only_with_a_scrap_certificate_for_the_vin(world, make_org, make_user):
    dismantler = make_org(kinds=["dismantler"])
    clerk = make_user(dismantler)
    pack = _in_vehicle(world)
    refused("custody.removal_by_vehicle_party", services.event_record, battery=pack, kind="removed",
             actor=platform_actor(dismantler), occurred_at=at(2025, 1, 2))  # fmt: skip
    vehicle = Binding.objects.get(pack=pack).vehicle
    ScrapCertificate.objects.create(number="BF-9", dismantler=dismantler, vehicle=vehicle, vin=vehicle.vin,
                                    issued_at=at(2025, 1, 1), region="BJ", recorded_by=clerk)  # fmt: skip
    services.event_record(
        battery=pack, kind="removed", actor=platform_actor(dismantler), occurred_at=at(2025, 1, 2)
    )
    _unchanged(pack, dismantler, "removed")


# --- two parties ---------------------------------------------------------------------------------------------


def test_release_confirm_and_cancel_over_rest(world, client_for):
    pack = _retired_at_point(world)
    holder, receiver = client_for(world["users"]["point"]), client_for(world["users"]["automaker"])
    r = holder.post(
        "/api/v1/custody/releases/",
        {
            "battery_code": pack.code,
            "to_uscc": world["automaker"].uscc,
            "kind": "handed_over",
            "manifest": "HO-1",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    release = r.json()["id"]
    assert receiver.get("/api/v1/custody/releases/").json()["results"][0]["id"] == release
    # A second release of the same battery while the first is open is a conflict.
    again = holder.post("/api/v1/custody/releases/", {"battery_code": pack.code, "to_uscc": world["cascade"].uscc},
                        format="json")  # fmt: skip
    assert again.status_code == 409 and again.json()["error"]["code"] == "custody.release_open"
    # Only the holder cancels.
    assert receiver.post(f"/api/v1/custody/releases/{release}/cancel/").status_code == 403
    assert holder.post(f"/api/v1/custody/releases/{release}/cancel/", {"reason": "wrong truck"},
                       format="json").status_code == 201  # fmt: skip
    _unchanged(pack, world["point"], "at_service_point")
    late = receiver.post(f"/api/v1/custody/releases/{release}/confirm/")
    assert late.status_code == 409 and late.json()["error"]["code"] == "custody.receipt_without_release"
    # A cancelled dispatch returns the pack to its state before it left.
    r = holder.post("/api/v1/custody/releases/", {"battery_code": pack.code, "to_uscc": world["automaker"].uscc,
                                                 "kind": "dispatched"}, format="json").json()  # fmt: skip
    _unchanged(pack, world["point"], "in_transit")
    assert holder.post(f"/api/v1/custody/releases/{r['id']}/cancel/").status_code == 201
    _unchanged(pack, world["point"], "at_service_point")
    # Released again, and confirmed: the receiver is the custodian.
    r = holder.post("/api/v1/custody/releases/", {"battery_code": pack.code, "to_uscc": world["automaker"].uscc},
                    format="json").json()  # fmt: skip
    assert receiver.post(f"/api/v1/custody/releases/{r['id']}/confirm/").status_code == 201
    _unchanged(pack, world["automaker"], "at_service_point")


def test_an_orphan_is_claimed_and_moves_only_on_the_regulators_approval(world, client_for, make_regulator):
    pack = _retired_at_point(world)
    finder = world["users"]["automaker"]
    r = client_for(finder).post(
        "/api/v1/custody/claims/",
        {"battery_code": pack.code, "reason": "left by a repairer", "found_at": "2025-02-01"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    claim = r.json()["id"]
    _unchanged(pack, world["point"], "at_service_point")
    elsewhere = make_regulator(region="TJ")
    denied = client_for(elsewhere).post(f"/api/v1/custody/claims/{claim}/review/", {"decision": "approve"},
                                        format="json")  # fmt: skip
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "custody.claim_reviewer"
    assert client_for(finder).post(f"/api/v1/custody/claims/{claim}/review/", {"decision": "approve"},
                                          format="json").status_code == 403  # fmt: skip
    regulator = make_regulator(region="BJ")
    queue = client_for(regulator).get("/api/v1/custody/claims/?status=pending").json()["results"]
    assert [c["id"] for c in queue] == [claim]
    ok = client_for(regulator).post(
        f"/api/v1/custody/claims/{claim}/review/", {"decision": "approve"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    _unchanged(pack, world["automaker"], "at_service_point")
    assert CustodyClaim.objects.get(pk=claim).event.payload["claim"] == claim


def test_a_rejected_claim_moves_nothing_and_a_lost_pack_is_found_through_a_claim(world, make_regulator):
    pack = _retired_at_point(world)
    services.event_record(
        battery=pack, kind="lost", actor=platform_actor(world["point"]), occurred_at=at(2025, 1, 9)
    )
    claim = services.claim_record(battery=pack, actor=platform_actor(world["automaker"]), reason="found in a car park",
                                  found_at=at(2025, 2, 1))  # fmt: skip
    reviewer = make_regulator(region="BJ").organisation
    services.claim_review(claim=claim, actor=platform_actor(reviewer), approve=False, note="no evidence")
    _unchanged(pack, world["point"], "lost")
    refused(
        "custody.claim_closed",
        services.claim_review,
        claim=claim,
        actor=platform_actor(reviewer),
        approve=True,
    )
    again = services.claim_record(battery=pack, actor=platform_actor(world["automaker"]), reason="found in a car park, photo",
                                  found_at=at(2025, 2, 2))  # fmt: skip
    services.claim_review(claim=again, actor=platform_actor(reviewer), approve=True)
    _unchanged(pack, world["automaker"], "at_service_point")


def test_a_logistics_firm_cannot_claim(world):
    pack = _retired_at_point(world)
    refused("received.actor_kind", services.claim_record, battery=pack, actor=platform_actor(world["logistics"]),
             reason="found", found_at=timezone.now() - timedelta(hours=1))  # fmt: skip
    assert not CustodyClaim.objects.exists()


def test_the_review_queue_page(world, make_regulator, client):
    pack = _retired_at_point(world)
    services.claim_record(
        battery=pack,
        actor=platform_actor(world["automaker"]),
        reason="left by a repairer",
        found_at=at(2025, 2, 1),
    )
    client.force_login(make_regulator(region="BJ"))
    page = client.get(reverse("traceability:custody"))
    assert page.status_code == 200 and pack.code in page.content.decode()
