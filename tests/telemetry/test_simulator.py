"""The simulator end to end: its terminals log in over TCP, catch up a history with reissued reports, the
gateway stores them against the bound pack, and the SOH read back is within 3 points of the fade applied."""

import asyncio
from datetime import date

import pytest

from telemetry import selectors, storage
from telemetry.gateway import Batcher, Gateway
from telemetry.management.commands.run_gbt32960 import VinDirectory
from telemetry.models import Sample
from telemetry.simulator import FleetStats, VehicleModel, run_vehicle
from tests.telemetry.factories import make_vehicle
from tests.valuation.factories import BatteryFactory, bind


@pytest.mark.django_db(transaction=True)
def test_soh_from_simulated_telemetry_over_the_gateway():
    vehicle = make_vehicle()
    pack = BatteryFactory(rated_capacity_ah=150)
    bind(pack, vehicle, start=date(2020, 1, 1))
    model = VehicleModel(vehicle.vin, rated_capacity_ah=150, fade=0.1, fade_per_cycle=0.0005, seed=7)
    stats = FleetStats()

    async def scenario():
        gateway = Gateway(
            known_vin=VinDirectory(),
            batcher=Batcher(storage.SampleWriter(keep_raw=False, synchronous_commit=False).flush),
        )
        await gateway.start("127.0.0.1", 0)
        await run_vehicle(
            model, host="127.0.0.1", port=gateway.port, interval=10, stats=stats, duration=0, backfill_days=3
        )
        await gateway.close()

    asyncio.run(asyncio.wait_for(scenario(), 240))
    assert stats.acked == stats.sent > 4000 and stats.refused == 0
    assert Sample.objects.filter(battery_id=pack.pk).count() == stats.acked
    h = selectors.health_for_battery(battery_id=pack.pk)
    assert len(h.segments) >= 4
    assert abs(h.soh - model.true_soh) < 0.03
    timeline = selectors.timeline_for_battery(battery_id=pack.pk, since=None, until=None)
    assert timeline["series"] and len(timeline["soh"]) == len(h.segments)
