"""Two writers at the same moment (R-LIFE): each race ends with one winner, a clear refusal for the other
(never a server error from a unique index), and a ledger whose tree covers every event once.

Each writer runs in its own thread with its own database connection (``tests.races``)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from recycling_network.models import Intake
from recycling_network.services.intake import intake_record
from tests.races import ROUNDS, outcome_kinds, race
from tests.recycling_network.factories import make_pack, make_point, pack_code
from traceability import ledger_store, services
from traceability.models import Battery, Binding, CustodyRelease, LifecycleEvent, Vehicle

from .factories import make_code, make_vin, register_pack

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_points_taking_in_one_unknown_code_register_it_once(make_org, make_user):
    points = []
    for _ in range(2):
        operator = make_org(kinds=["service_operator", "automaker"])
        points.append((make_point(operator=operator, automakers=[operator]), make_user(operator)))
    for _ in range(ROUNDS):
        code = pack_code()
        outcomes = race(
            *(
                lambda p=p, u=u: intake_record(point=p, actor=u, code=code, source_kind="owner")
                for p, u in points
            )
        )
        assert outcome_kinds(outcomes) == ["ok", "refused"]
        assert Battery.objects.filter(code=code).count() == 1
        assert Intake.objects.filter(battery__code=code).count() == 1
        winner = next(result for kind, result in outcomes if kind == "ok")
        assert Battery.objects.get(code=code).custodian_id == winner.intake.point.operator_id


def test_a_maker_registering_one_code_twice_at_once_gets_one_pack(make_org):
    maker = make_org(kinds=["battery_maker"])
    for _ in range(ROUNDS):
        code = make_code("P")

        def register(code=code):
            return services.battery_register(
                code=code, maker=maker, actor=platform_actor(maker), occurred_at=timezone.now()
            )

        outcomes = race(register, register)
        assert outcome_kinds(outcomes) == ["ok", "refused"]
        assert Battery.objects.filter(code=code).count() == 1
        assert LifecycleEvent.objects.filter(battery__code=code, kind="produced").count() == 1


def test_a_holder_releasing_one_pack_to_two_receivers_at_once_opens_one_release(make_org, make_user):
    maker = make_org(kinds=["battery_maker"])
    receivers = [make_org(kinds=["dismantler"]) for _ in range(2)]
    maker_user = make_user(maker)
    for _ in range(ROUNDS):
        pack = make_pack(custodian=maker, maker=maker)
        outcomes = race(
            *(
                lambda r=r: services.release_record(
                    battery=pack, actor=maker_user, receiver=r, occurred_at=timezone.now()
                )
                for r in receivers
            )
        )
        assert outcome_kinds(outcomes) == ["ok", "refused"]
        refused_with = next(result for kind, result in outcomes if kind == "refused")
        assert refused_with.code == "custody.release_open"
        assert CustodyRelease.objects.filter(battery=pack, status="open").count() == 1


def test_a_receipt_confirmed_twice_at_once_moves_custody_once(make_org, make_user):
    maker = make_org(kinds=["battery_maker"])
    receiver = make_org(kinds=["dismantler"])
    maker_user, receiver_user = make_user(maker), make_user(receiver)
    for _ in range(ROUNDS):
        pack = make_pack(custodian=maker, maker=maker)
        release = services.release_record(
            battery=pack, actor=maker_user, receiver=receiver, occurred_at=timezone.now()
        )

        def confirm(pack=pack):
            return services.receipt_confirm(battery=pack, actor=receiver_user, occurred_at=timezone.now())

        race(confirm, confirm)
        moves = LifecycleEvent.objects.filter(
            battery=pack, custodian_before_id=maker.pk, custodian_after_id=receiver.pk
        )
        assert moves.count() == 1
        release.refresh_from_db()
        assert release.status == "confirmed" and release.closing_event_id == moves.get().pk
        assert Battery.objects.get(pk=pack.pk).custodian_id == receiver.pk


def test_two_automakers_binding_one_new_vin_at_once_get_an_answer_each(make_org, make_user, client_for):
    """The second upload meets the VIN's unique index after its checks passed: the API answers 409 for the whole
    upload, which wrote nothing, instead of a server error; sent again, it gets the item's own refusal."""
    maker = make_org(kinds=["battery_maker"])
    automakers = [make_org(kinds=["automaker"]) for _ in range(2)]
    clients = [client_for(make_user(a)) for a in automakers]
    for _ in range(ROUNDS):
        vin = make_vin()
        packs = [register_pack(maker, customer=a) for a in automakers]

        def upload(client, pack):
            body = {"items": [{"vin": vin, "pack_code": pack.code, "sold_at": "2024-05-01"}]}
            response = client.post("/api/v1/bindings/", body, format="json")
            return response.status_code, response.json()

        outcomes = race(*(lambda c=c, p=p: upload(c, p) for c, p in zip(clients, packs, strict=True)))
        answers = [result for _, result in outcomes]
        assert all(status < 500 for status, _ in answers), answers
        created = [
            body for status, body in answers if status == 200 and body["results"][0]["status"] == "created"
        ]
        assert len(created) == 1, answers
        assert Vehicle.objects.filter(vin=vin).count() == 1
        for status, body in answers:
            if status == 409:
                assert body["error"]["code"] == "conflict.written_meanwhile"
        assert Binding.objects.filter(vehicle__vin=vin, unbound_at__isnull=True).count() == 1


def test_events_written_at_once_each_take_one_leaf_of_the_ledger(make_org, make_user):
    maker = make_org(kinds=["battery_maker"])
    points = [make_org(kinds=["service_operator"]) for _ in range(4)]
    packs = [make_pack(custodian=maker, maker=maker) for _ in points]
    maker_user = make_user(maker)
    race(
        *(
            lambda pack=pack, point=point: services.release_record(
                battery=pack, actor=maker_user, receiver=point, occurred_at=timezone.now()
            )
            for pack, point in zip(packs, points, strict=True)
        )
    )
    assert LifecycleEvent.objects.filter(battery__in=packs, kind="handed_over").count() == len(packs)
    report = ledger_store.verify()
    assert report.ok, report.problems
    assert report.tree_size == report.events == LifecycleEvent.objects.count()
