"""A retried bulk upload with the same ``Idempotency-Key`` writes once (R-BIND), also when the retry arrives
while the first request is still being processed: the second waits for the first and replays its answer."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.races import ROUNDS, race
from tests.recycling_network.factories import make_pack
from traceability.models import Battery, LifecycleEvent

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_copies_of_one_upload_at_once_record_its_events_once(make_org, make_user, client_for):
    maker = make_org(kinds=["battery_maker"])
    point = make_org(kinds=["service_operator"])
    client = client_for(make_user(point))
    for n in range(ROUNDS):
        pack = make_pack(custodian=point, maker=maker)
        Battery.objects.filter(pk=pack.pk).update(state="at_service_point")
        body = {
            "items": [
                {"battery_code": pack.code, "kind": "stored", "occurred_at": timezone.now().isoformat()}
            ]
        }

        def upload(key=f"retry-{n}", body=body):
            response = client.post("/api/v1/events/", body, format="json", headers={"Idempotency-Key": key})
            return response.status_code, response.json(), response.headers.get("Idempotent-Replay")

        answers = [result for _, result in race(upload, upload)]
        assert [status for status, _, _ in answers] == [200, 200], answers
        assert LifecycleEvent.objects.filter(battery=pack, kind="stored").count() == 1
        assert sorted(str(replay) for _, _, replay in answers) == ["None", "true"]
        assert answers[0][1] == answers[1][1]


def test_a_new_key_records_the_same_event_again(make_org, make_user, client_for):
    maker = make_org(kinds=["battery_maker"])
    point = make_org(kinds=["service_operator"])
    client = client_for(make_user(point))
    pack = make_pack(custodian=point, maker=maker)
    Battery.objects.filter(pk=pack.pk).update(state="at_service_point")
    body = {
        "items": [{"battery_code": pack.code, "kind": "stored", "occurred_at": timezone.now().isoformat()}]
    }
    for key in ("first", "second"):
        assert (
            client.post("/api/v1/events/", body, format="json", headers={"Idempotency-Key": key}).status_code
            == 200
        )
    assert LifecycleEvent.objects.filter(battery=pack, kind="stored").count() == 2
