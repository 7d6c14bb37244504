"""Telemetry health in the residual-value assessment: a pack with a telemetry SOH estimate is assessed on it
(with its cycles and negative events), a later capacity test still wins, another pack's telemetry never counts,
a valuation dated before the telemetry does not see it, and the stored valuation recomputes to the same answer."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.actors import platform_actor
from telemetry import selectors, storage
from telemetry.gateway import Received
from telemetry.protocol.frame import GMT8, Command, Response, encode_frame
from telemetry.simulator import VehicleModel, history
from tests.telemetry.factories import make_vehicle
from tests.valuation.factories import BatteryFactory, bind
from traceability.services import event_record
from valuation.models import Valuation
from valuation.selectors import valuation_reproduce
from valuation.services import valuation_assess

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(make_user):
    return make_user(kinds=("service_operator",), region="BJ")


def drive(pack, *, fade: float, days: float = 2.0, step_s: float = 60.0, end: datetime | None = None):
    """Simulated telemetry of the vehicle carrying ``pack``, stored as the gateway's writer stores it."""
    vehicle = make_vehicle()
    bind(pack, vehicle, start=date(2024, 1, 10))
    model = VehicleModel(vehicle.vin, rated_capacity_ah=150, fade=fade, seed=11)
    end = (end or datetime.now(GMT8)).replace(microsecond=0)
    items = []
    for report in history(model, start=end - timedelta(days=days), end=end, step_s=step_s):
        raw = encode_frame(
            command=Command.REISSUE, response=Response.COMMAND, vin=vehicle.vin, data=report.encode()
        )
        items.append(
            Received(vin=vehicle.vin, command=Command.REISSUE, raw=raw, received_at=end, report=report)
        )
    storage.SampleWriter(keep_raw=False).flush(items)
    return model


def in_service_pack(holder, **kw):
    return BatteryFactory(
        custodian=holder.organisation, state="in_vehicle", production_date=date(2023, 12, 1), **kw
    )


def test_an_assessment_uses_the_telemetry_soh_of_the_pack(holder):
    pack = in_service_pack(holder)
    model = drive(pack, fade=0.12)
    valuation = valuation_assess(battery=pack, actor=holder, record_event=False)
    assert valuation.soh_source.startswith("vehicle telemetry on ")
    assert float(valuation.soh) == pytest.approx(model.true_soh, abs=0.03)
    tele = valuation.inputs["telemetry"]
    assert tele["segments"] >= 4 and tele["soh_low"] < tele["soh"] < tele["soh_high"]
    assert any(r.startswith("telemetry: SOH") for r in valuation.result["reasons"])
    # reproducible from what it stored, even after more telemetry arrives
    stored = Valuation.objects.get(pk=valuation.pk)
    assert valuation_reproduce(valuation=stored).to_dict() == stored.result


def test_a_pack_without_telemetry_and_another_packs_telemetry(holder):
    with_telemetry, without = in_service_pack(holder), in_service_pack(holder)
    drive(with_telemetry, fade=0.2)
    valuation = valuation_assess(battery=without, actor=holder, record_event=False)
    assert valuation.inputs["telemetry"] is None
    assert valuation.soh_source == "degradation model"


def test_a_later_capacity_test_wins_over_older_telemetry(holder):
    pack = in_service_pack(holder)
    drive(pack, fade=0.12, end=datetime.now(GMT8) - timedelta(days=5))
    event_record(
        battery=pack, kind="assessed", actor=platform_actor(holder.organisation), occurred_at=datetime.now(UTC) - timedelta(minutes=1),
        payload={"soh": 70},
    )  # fmt: skip
    valuation = valuation_assess(battery=pack, actor=holder, record_event=False)
    assert valuation.soh_source.startswith("capacity test on ")
    assert float(valuation.soh) == pytest.approx(0.70, abs=0.001)
    assert any("predates the capacity test" in r for r in valuation.result["reasons"])


def test_a_valuation_dated_before_the_telemetry_does_not_see_it(holder):
    pack = in_service_pack(holder)
    drive(pack, fade=0.12)
    earlier = timezone.localdate() - timedelta(days=10)
    assert selectors.health_for_assessment(
        battery_id=pack.pk, until=datetime.combine(earlier, datetime.min.time(), UTC)
    ) is None  # fmt: skip
    valuation = valuation_assess(battery=pack, actor=holder, valuation_date=earlier, record_event=False)
    assert valuation.inputs["telemetry"] is None and valuation.soh_source == "degradation model"


def test_negative_events_in_telemetry_are_named_in_the_reasons(holder):
    pack = in_service_pack(holder)
    drive(pack, fade=0.1)

    with connection.cursor() as cur:  # two hot samples: one over-temperature event
        cur.execute(
            "UPDATE telemetry_sample SET max_temp_c = 61 WHERE battery_id = %s AND sampled_at IN "
            "(SELECT sampled_at FROM telemetry_sample WHERE battery_id = %s ORDER BY sampled_at DESC LIMIT 2)",
            [pack.pk, pack.pk],
        )
    valuation = valuation_assess(battery=pack, actor=holder, record_event=False)
    assert valuation.inputs["telemetry"]["events"]["over_temperature"] == 1
    assert "negative events in vehicle telemetry: over temperature 1" in valuation.result["reasons"]
