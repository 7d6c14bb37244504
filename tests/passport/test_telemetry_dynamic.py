"""The passport's dynamic data from vehicle telemetry: the pack's telemetry SOH and its negative events, in the
legitimate-interest class only; a pack without telemetry shows none."""

import pytest
from django.db import connection

from passport import battery_pass, selectors
from tests.telemetry.test_valuation_health import drive, in_service_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(make_user):
    return make_user(kinds=("service_operator",), region="BJ")


def test_telemetry_soh_and_negative_events_in_the_timeline(holder, client_for, api_client):
    pack, quiet = in_service_pack(holder), in_service_pack(holder)
    model = drive(pack, fade=0.1)
    with connection.cursor() as cur:  # one hot sample: an over-temperature event
        cur.execute(
            "UPDATE telemetry_sample SET max_temp_c = 63 WHERE battery_id = %s AND sampled_at = "
            "(SELECT max(sampled_at) FROM telemetry_sample WHERE battery_id = %s)",
            [pack.pk, pack.pk],
        )
    body = client_for(holder).get(f"/api/v1/passports/{pack.code}/").json()
    points = [t for t in body["timeline"] if t["source"] == "vehicle_telemetry"]
    (soh,) = [t for t in points if t["soh_pct"] is not None]
    assert soh["soh_pct"] == pytest.approx(model.true_soh * 100, abs=3)
    assert body["state_of_health"] == soh["soh_pct"]
    (hot,) = [t for t in points if t["negative"]]
    assert hot["reason"].startswith("over temperature (peak 63") and hot in body["negative_events"]
    public = api_client.get(f"/api/v1/passports/{pack.code}/").json()
    assert "timeline" not in public and "negative_events" not in public and "state_of_health" not in public
    other = client_for(holder).get(f"/api/v1/passports/{quiet.code}/").json()
    assert not [t for t in other["timeline"] if t["source"] == "vehicle_telemetry"]


def test_the_many_pack_export_reads_the_telemetry_of_the_packs_that_have_it(holder, client_for):
    pack, quiet = in_service_pack(holder), in_service_pack(holder)
    drive(pack, fade=0.1)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE telemetry_sample SET max_temp_c = 63 WHERE battery_id = %s AND sampled_at = "
            "(SELECT max(sampled_at) FROM telemetry_sample WHERE battery_id = %s)",
            [pack.pk, pack.pk],
        )
    many = selectors.battery_passes_for(codes=[pack.code, quiet.code], user=holder)
    hot = many[pack.code][battery_pass.PERFORMANCE]["batteryCondition"]["negativeEvents"]
    assert [e["negativeEvent"][:16] for e in hot] == ["over temperature"]
    quiet_condition = many[quiet.code][battery_pass.PERFORMANCE].get("batteryCondition", {})
    assert not quiet_condition.get("negativeEvents")
    for code in (pack.code, quiet.code):
        assert many[code] == selectors.battery_pass_for(code=code, user=holder)
