import json

import pytest

from national_sync import exchange
from national_sync.api.views import exchange_key

from .support import enqueue

pytestmark = pytest.mark.django_db
URL = "/api/v1/exchange/feed/"


@pytest.fixture(autouse=True)
def _no_settle(settings):
    settings.NATIONAL_SYNC_FEED_SETTLE_SECONDS = 0


def read(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response


def verified(response, *, since):
    return exchange.verify(
        exchange_key(), response["X-Exchange-Signature"], region=response["X-Exchange-Region"], since=since,
        next_cursor=int(response["X-Next-Cursor"]), body=response.content,
    )  # fmt: skip


def test_regulator_reads_a_signed_incremental_feed_of_its_region(client_for, make_regulator):
    enqueue(batteries=3, per_battery=1, region="BJ")
    enqueue(batteries=2, per_battery=1, region="TJ")
    client = client_for(make_regulator(region="BJ"))
    first = read(client, limit=2)
    assert first["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in first.content.decode().splitlines()]
    assert [line["region"] for line in lines] == ["BJ", "BJ"] and first["X-Exchange-Count"] == "2"
    assert verified(first, since=0)
    cursor = int(first["X-Next-Cursor"])
    assert cursor == lines[-1]["cursor"]
    second = read(client, since=cursor, limit=2)
    assert second["X-Exchange-Count"] == "1" and verified(second, since=cursor)
    end = read(client, since=int(second["X-Next-Cursor"]))
    assert end.content == b"" and end["X-Next-Cursor"] == second["X-Next-Cursor"]


def test_a_regulator_reads_another_regions_feed(client_for, make_regulator):
    enqueue(batteries=2, per_battery=1, region="TJ")
    response = read(client_for(make_regulator(region="HB")), region="TJ")
    assert response["X-Exchange-Count"] == "2" and response["X-Exchange-Region"] == "TJ"


def test_a_tampered_body_or_cursor_fails_verification(client_for, make_regulator):
    enqueue(batteries=1, per_battery=1, region="BJ")
    response = read(client_for(make_regulator(region="BJ")))
    sig, cursor = response["X-Exchange-Signature"], int(response["X-Next-Cursor"])
    key = exchange_key()
    assert not exchange.verify(
        key, sig, region="BJ", since=0, next_cursor=cursor, body=response.content + b" "
    )
    assert not exchange.verify(key, sig, region="BJ", since=1, next_cursor=cursor, body=response.content)
    assert not exchange.verify(key, sig, region="TJ", since=0, next_cursor=cursor, body=response.content)


def test_enterprises_and_anonymous_callers_are_refused(client_for, make_user, api_client):
    enqueue(batteries=1, per_battery=1)
    assert client_for(make_user()).get(URL).status_code == 403
    assert api_client.get(URL).status_code in (401, 403)


def test_bad_parameters_are_a_400(client_for, make_regulator):
    client = client_for(make_regulator())
    response = client.get(URL, {"since": "-3", "region": "XX"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"since", "region"}
