"""Corrections without rewriting (R-LIFE; EPCIS 2.0 errorDeclaration): a wrong event is declared, corrected by a
``corrected`` event and corrective events, and both stay in the trace and the ledger. Each attack is refused with
the rule's name and leaves the battery, its events and its declarations as they were."""

import pytest
from django.db import connection
from django.urls import reverse

import accounts.demo
import traceability.demo
from accounts.actors import platform_actor
from core.demo import DemoWorld
from dashboards.services import materialised_views_refresh
from traceability import ledger_store, selectors, services
from traceability.models import Battery, Binding, CustodyRelease, ErrorDeclaration, LifecycleEvent

from .factories import at, move, pack_in_vehicle, parties, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_org, make_user, make_regulator):
    orgs = parties(
        make_org, make_user, maker="battery_maker", automaker="automaker", point="service_operator",
        other_point="service_operator", cascade="cascade_use",
    )  # fmt: skip
    orgs["regulator"] = make_regulator(region="BJ")
    orgs["tj_regulator"] = make_regulator(region="TJ")
    return orgs


def _state(pack):
    b = Battery.objects.get(pk=pack.pk)
    return b.custodian_id, b.state, LifecycleEvent.objects.filter(battery=pack).count()


def _in_vehicle(world):
    return pack_in_vehicle(world["maker"], world["automaker"])


def _received_at_point(world):
    """A retired pack handed over by the automaker and received by the point; returns (pack, receipt)."""
    pack = _in_vehicle(world)
    services.event_record(
        battery=pack, kind="removed", actor=platform_actor(world["automaker"]), occurred_at=at(2025, 1, 2)
    )
    receipt = move(pack, world["point"], at_=at(2025, 1, 3))
    return pack, receipt


def _declare(world, who, event, **kw):
    org = world.get(who, who)
    org = getattr(org, "organisation", org)
    kw.setdefault("reason", "incorrect_data")
    return services.error_declare(
        actor=world["users"].get(who) or platform_actor(org), event_id=event.pk, **kw
    )


# --- what a correction does -------------------------------------------------------------------------------


def test_a_receipt_with_a_wrong_place_is_corrected_at_once_and_both_stay_in_trace_and_ledger(world):
    pack, receipt = _received_at_point(world)
    declaration = _declare(
        world,
        "point",
        receipt,
        note="scanned at the wrong counter",
        corrective=[
            {"kind": "received", "occurred_at": "2025-01-03T15:00:00+08:00", "place": "Haidian point, bay 2"}
        ],
    )
    assert declaration.status == "effective" and not declaration.moves_custody
    b = Battery.objects.get(pk=pack.pk)
    assert (b.custodian_id, b.state) == (world["point"].pk, "at_service_point")
    corrected = declaration.correction_event
    assert (corrected.kind, corrected.state_before, corrected.state_after) == (
        "corrected",
        "at_service_point",
        "removed",
    )
    assert (corrected.custodian_before_id, corrected.custodian_after_id) == (
        world["point"].pk,
        world["automaker"].pk,
    )
    assert corrected.payload["corrects"] == receipt.pk and corrected.payload["reason"] == "incorrect_data"
    [fixed] = declaration.corrective_events.all()
    assert fixed.place == "Haidian point, bay 2" and fixed.payload["corrective_of"] == receipt.pk
    # The release the wrong receipt confirmed was open again for a moment and is now confirmed by the right one.
    release = CustodyRelease.objects.get(battery=pack)
    assert (release.status, release.closing_event_id) == ("confirmed", fixed.pk)
    trace = {e["id"]: e for e in selectors.battery_trace(battery=b)["events"]}
    assert trace[receipt.pk]["declared_erroneous"] is True
    assert trace[receipt.pk]["error_declaration"]["reason"] == "incorrect_data"
    assert trace[fixed.pk]["corrective_of"] == receipt.pk and trace[fixed.pk]["declared_erroneous"] is False
    assert trace[corrected.pk]["corrects"] == receipt.pk
    assert all(e["ledger_index"] is not None for e in trace.values())
    report = ledger_store.verify()
    assert report.ok, report.problems


def test_a_wrong_removal_is_undone_and_the_pack_is_back_in_its_vehicle(world):
    pack = _in_vehicle(world)
    removal = services.event_record(
        battery=pack, kind="removed", actor=platform_actor(world["automaker"]), occurred_at=at(2025, 1, 2)
    )
    assert not Binding.objects.filter(pack=pack, unbound_at__isnull=True).exists()
    declaration = _declare(world, "automaker", removal, reason="did_not_occur")
    # The automaker was and stays the custodian: nothing for the regulator to approve.
    assert declaration.status == "effective"
    assert _state(pack)[:2] == (world["automaker"].pk, "in_vehicle")
    assert Binding.objects.filter(pack=pack, unbound_at__isnull=True).exists()


# --- the attacks ----------------------------------------------------------------------------------------


def test_another_enterprise_cannot_declare_someone_elses_event(world):
    pack, receipt = _received_at_point(world)
    before = _state(pack)
    for who in ("other_point", "automaker", "tj_regulator"):
        refused("correction.not_original_actor", _declare, world, who, receipt, reason="did_not_occur")
    assert _state(pack) == before and not ErrorDeclaration.objects.exists()


def test_a_correction_that_moves_custody_waits_for_the_regions_regulator(world):
    pack, receipt = _received_at_point(world)
    before = _state(pack)
    declaration = _declare(world, "point", receipt, reason="did_not_occur")
    assert (declaration.status, declaration.moves_custody, declaration.correction_event) == (
        "pending",
        True,
        None,
    )
    assert _state(pack) == before  # nothing changes until approval
    assert CustodyRelease.objects.get(battery=pack).status == "confirmed"
    # Not the declarant, nor the regulator of another region.
    for org in (world["point"], world["tj_regulator"].organisation):
        refused(
            "correction.reviewer",
            services.error_review,
            actor=platform_actor(org),
            declaration_id=declaration.pk,
            decision="approve",
        )
    assert _state(pack) == before
    regulator = world["regulator"]
    done = services.error_review(actor=regulator, declaration_id=declaration.pk,
                                 decision="approve", note="the truck never arrived")  # fmt: skip
    assert done.status == "approved" and done.reviewer_id == regulator.organisation_id
    # Back to the automaker, retired, with the release to the point open again for the right receipt.
    assert _state(pack)[:2] == (world["automaker"].pk, "removed")
    assert CustodyRelease.objects.get(battery=pack).status == "open"
    assert done.correction_event.payload["approved_by"] == regulator.organisation_id
    refused(
        "correction.closed",
        services.error_review,
        actor=regulator,
        declaration_id=declaration.pk,
        decision="reject",
    )
    assert ledger_store.verify().ok


def test_a_rejected_correction_changes_nothing_and_may_be_declared_again(world):
    pack, receipt = _received_at_point(world)
    before = _state(pack)
    declaration = _declare(world, "point", receipt, reason="wrong_party")
    services.error_review(actor=world["regulator"], declaration_id=declaration.pk, decision="reject")
    assert _state(pack) == before
    assert _declare(world, "point", receipt, reason="wrong_party").status == "pending"


def test_an_event_is_declared_only_once(world):
    pack, receipt = _received_at_point(world)
    _declare(world, "point", receipt, reason="did_not_occur")  # pending
    refused("correction.already_declared", _declare, world, "point", receipt, reason="incorrect_data")
    assert ErrorDeclaration.objects.count() == 1
    stored = services.event_record(
        battery=pack, kind="stored", actor=platform_actor(world["point"]), occurred_at=at(2025, 1, 4)
    )
    first = _declare(world, "point", stored, corrective=[])
    assert first.status == "effective"
    refused("correction.already_declared", _declare, world, "point", stored)
    refused("correction.of_correction", _declare, world, "point", first.correction_event)


def test_corrective_events_the_authority_refuses_refuse_the_whole_correction(world):
    pack, receipt = _received_at_point(world)
    before = _state(pack)
    # A service point may not record a cascade-use receipt: the authority refuses, nothing is kept.
    refused("cascade_received.actor_kind", _declare, world, "point", receipt, corrective=[
        {"kind": "received", "occurred_at": "2025-01-03"},
        {"kind": "cascade_received", "occurred_at": "2025-01-03"}])  # fmt: skip
    # Nor may a corrective event hand the pack to anyone without a release.
    refused("custody.moves_by_release", _declare, world, "point", receipt, corrective=[
        {"kind": "received", "occurred_at": "2025-01-03"},
        {"kind": "stored", "occurred_at": "2025-01-03", "to_uscc": world["cascade"].uscc}])  # fmt: skip
    refused("correction.corrective_kind", _declare, world, "point", receipt,
             corrective=[{"kind": "corrected", "occurred_at": "2025-01-03"}])  # fmt: skip
    assert _state(pack) == before and not ErrorDeclaration.objects.exists()
    assert CustodyRelease.objects.get(battery=pack).status == "confirmed"
    assert ledger_store.verify().ok


def test_only_the_latest_moving_event_is_corrected(world):
    pack = _in_vehicle(world)
    removal = services.event_record(
        battery=pack, kind="removed", actor=platform_actor(world["automaker"]), occurred_at=at(2025, 1, 2)
    )
    move(pack, world["point"], at_=at(2025, 1, 3))
    before = _state(pack)
    refused("correction.not_latest", _declare, world, "automaker", removal, reason="did_not_occur")
    assert _state(pack) == before


def test_the_corrected_kind_cannot_be_recorded_directly(world, client_for):
    pack, _ = _received_at_point(world)
    before = _state(pack)
    refused("corrected.relation", services.event_record, battery=pack, kind="corrected", actor=platform_actor(world["point"]),
             occurred_at=at(2025, 1, 4))  # fmt: skip
    r = (
        client_for(world["users"]["point"])
        .post(
            "/api/v1/events/",
            {"items": [{"battery_code": pack.code, "kind": "corrected", "occurred_at": "2025-01-04"}]},
            format="json",
        )
        .json()
    )
    assert r["results"][0]["rule"] == "corrected.relation"
    assert _state(pack) == before


def test_a_script_in_the_reason_is_refused_and_in_the_note_stored_as_text_and_escaped(world, client):
    pack, receipt = _received_at_point(world)
    script = "<script>alert('x')</script>"
    refused("correction.reason", _declare, world, "point", receipt, reason=script)
    stored = services.event_record(
        battery=pack, kind="stored", actor=platform_actor(world["point"]), occurred_at=at(2025, 1, 4)
    )
    declaration = _declare(world, "point", stored, note=script)
    assert ErrorDeclaration.objects.get(pk=declaration.pk).note == script
    client.force_login(world["users"]["point"])
    page = client.get(reverse("traceability:battery-detail", args=[pack.code])).content.decode()
    assert script not in page and "&lt;script&gt;" in page


def test_a_regulator_corrects_an_event_the_platform_recorded(world):
    pack, _ = _received_at_point(world)
    lost = services.event_record(battery=pack, kind="lost", actor=None, occurred_at=at(2025, 1, 9))
    assert _state(pack)[1] == "lost"
    refused("correction.not_original_actor", _declare, world, "point", lost, reason="did_not_occur")
    declaration = _declare(world, "regulator", lost, reason="did_not_occur")
    assert declaration.status == "effective" and declaration.reviewer_id == world["regulator"].organisation_id
    assert _state(pack)[:2] == (world["point"].pk, "at_service_point")


# --- counts, API and page -------------------------------------------------------------------------------


def test_counts_leave_the_wrong_event_out(world):
    pack = _in_vehicle(world)
    removal = services.event_record(
        battery=pack, kind="removed", actor=platform_actor(world["automaker"]), occurred_at=at(2025, 1, 2)
    )

    def retired():
        materialised_views_refresh()
        with connection.cursor() as cur:
            cur.execute("SELECT COALESCE(sum(packs), 0) FROM dashboards_retired_monthly")
            view = cur.fetchone()[0]
        rows = selectors.retired_by_region_year(regions=["BJ"], year_from=2025, year_to=2025)
        return view, sum(r["packs"] for r in rows)

    assert retired() == (1, 1)
    _declare(world, "automaker", removal, reason="did_not_occur")
    assert retired() == (0, 0)


def test_the_correction_api_and_the_review_queue(world, client_for):
    pack, receipt = _received_at_point(world)
    point = client_for(world["users"]["point"])
    stranger = client_for(world["users"]["other_point"])
    url = f"/api/v1/events/{receipt.pk}/error-declaration/"
    assert stranger.post(url, {"reason": "did_not_occur"}, format="json").status_code == 404
    seen = client_for(world["users"]["automaker"]).post(url, {"reason": "did_not_occur"}, format="json")
    assert seen.status_code == 403 and seen.json()["error"]["code"] == "correction.not_original_actor"
    bad = point.post(url, {"reason": "did_not_occur", "corrective": "x"}, format="json")
    assert bad.status_code == 400
    r = point.post(url, {"reason": "did_not_occur", "note": "never came"}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "pending", r.json()
    declaration = r.json()["id"]
    regulator = client_for(world["regulator"])
    queue = regulator.get("/api/v1/corrections/?status=pending").json()["results"]
    assert [d["id"] for d in queue] == [declaration]
    assert (
        client_for(world["tj_regulator"]).get("/api/v1/corrections/?status=pending").json()["results"] == []
    )
    review = f"/api/v1/corrections/{declaration}/review/"
    denied = client_for(world["tj_regulator"]).post(review, {"decision": "approve"}, format="json")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "correction.reviewer"
    ok = regulator.post(review, {"decision": "approve", "note": "checked"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    assert _state(pack)[:2] == (world["automaker"].pk, "removed")
    # The point still sees the pack (the release to it is open again), the automaker holds it.
    assert point.get(f"/api/v1/batteries/{pack.code}/trace/").status_code == 200
    mine = client_for(world["users"]["automaker"]).get(f"/api/v1/batteries/{pack.code}/trace/").json()
    flagged = next(e for e in mine["events"] if e["id"] == receipt.pk)
    assert flagged["declared_erroneous"] and flagged["error_declaration"]["status"] == "approved"


def test_the_custody_page_lists_pending_corrections_for_the_regulator(world, client):
    pack, receipt = _received_at_point(world)
    declaration = _declare(world, "point", receipt, reason="did_not_occur", note="<b>never</b> came")
    client.force_login(world["regulator"])
    page = client.get(reverse("traceability:custody")).content.decode()
    assert pack.code in page and "&lt;b&gt;never&lt;/b&gt;" in page
    forged = client.post(reverse("traceability:custody"), {"declaration": "1 OR 1=1", "decision": "approve"})
    assert forged.status_code == 400 and ErrorDeclaration.objects.get(pk=declaration.pk).status == "pending"
    client.post(reverse("traceability:custody"), {"declaration": declaration.pk, "decision": "approve"})
    assert ErrorDeclaration.objects.get(pk=declaration.pk).status == "approved"
    assert _state(pack)[:2] == (world["automaker"].pk, "removed")


def test_a_history_is_corrected_backwards_one_event_at_a_time(world):
    pack = _in_vehicle(world)
    removal = services.event_record(
        battery=pack, kind="removed", actor=platform_actor(world["automaker"]), occurred_at=at(2025, 1, 2)
    )
    receipt = move(pack, world["point"], at_=at(2025, 1, 3))
    refused("correction.not_latest", _declare, world, "automaker", removal, reason="did_not_occur")
    pending = _declare(world, "point", receipt, reason="did_not_occur")
    # While the receipt's correction is pending, the receipt still stands in the way.
    refused("correction.not_latest", _declare, world, "automaker", removal, reason="did_not_occur")
    regulator = world["regulator"]
    services.error_review(actor=regulator, declaration_id=pending.pk,
                          decision="approve")  # fmt: skip
    # The hand-over that opened the release to the point is now the latest move: it goes first.
    handover = LifecycleEvent.objects.get(battery=pack, kind="handed_over")
    refused("correction.not_latest", _declare, world, "automaker", removal, reason="did_not_occur")
    assert _declare(world, "automaker", handover, reason="did_not_occur").status == "effective"
    assert CustodyRelease.objects.get(battery=pack).status == "cancelled"
    assert _declare(world, "automaker", removal, reason="did_not_occur").status == "effective"
    assert _state(pack)[:2] == (world["automaker"].pk, "in_vehicle")
    assert Binding.objects.filter(pack=pack, unbound_at__isnull=True).exists()
    assert ledger_store.verify().ok


def test_the_demo_world_has_a_correction_made_through_the_services():
    world = DemoWorld()
    accounts.demo.seed(world)
    traceability.demo.seed(world)
    [declaration] = ErrorDeclaration.objects.filter(status="effective")
    assert declaration.event.actor_id == declaration.declarant_id
    [fixed] = declaration.corrective_events.all()
    assert fixed.kind == "removed" and fixed.occurred_at < declaration.event.occurred_at
    b = Battery.objects.get(pk=declaration.battery_id)
    assert (b.state, b.custodian_id) == ("removed", declaration.declarant_id)
    # A second one would move custody back to the automaker: it waits in the queue of the region's regulator, and nothing has moved yet.
    [waiting] = ErrorDeclaration.objects.filter(status="pending")
    assert waiting.moves_custody and waiting.correction_event is None
    removal = waiting.event
    assert (
        removal.kind == "removed" and removal.actor_id == waiting.declarant_id != removal.custodian_before_id
    )
    pack = Battery.objects.get(pk=waiting.battery_id)
    assert (pack.state, pack.custodian_id) == ("removed", removal.custodian_after_id)
    assert not LifecycleEvent.objects.filter(battery=pack, kind="corrected").exists()
    assert waiting.region == pack.region
    assert ErrorDeclaration.objects.count() == 2
    assert ledger_store.verify().ok
