"""Samples in the month-partitioned table, keyed by VIN and by the pack bound at the sample's time; raw frames
for audit; partition upkeep and purge."""

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from telemetry import storage
from telemetry.gateway import Batcher, Gateway
from telemetry.management.commands.run_gbt32960 import VinDirectory
from telemetry.models import RawFrame, Sample
from telemetry.protocol.frame import Command, FrameSplitter, Response, encode_frame
from telemetry.protocol.messages import Report, VehicleLogin
from tests.telemetry.factories import make_vehicle, report_item, vehicle_block
from tests.valuation.factories import BatteryFactory, bind

pytestmark = pytest.mark.django_db


def test_batch_is_keyed_by_the_pack_bound_at_the_sample_time():
    vehicle = make_vehicle()
    old, new = BatteryFactory(), BatteryFactory()
    bind(old, vehicle, start=date(2025, 1, 1), end=date(2025, 6, 1))
    bind(new, vehicle, start=date(2025, 6, 1))
    writer = storage.SampleWriter()
    t_old = datetime(2025, 3, 1, 8, tzinfo=UTC)
    t_new = datetime(2025, 7, 1, 8, tzinfo=UTC)
    writer.flush([report_item(vehicle.vin, t_old, soc=70), report_item(vehicle.vin, t_new, soc=40)])
    rows = list(Sample.objects.filter(vin=vehicle.vin).order_by("sampled_at").values("battery_id", "soc_pct"))
    assert rows == [{"battery_id": old.pk, "soc_pct": 70}, {"battery_id": new.pk, "soc_pct": 40}]
    assert {"telemetry_sample_p202503", "telemetry_sample_p202507"} <= set(storage.attached_partitions())
    assert RawFrame.objects.filter(vin=vehicle.vin).count() == 2


def test_a_vehicle_without_a_pack_still_stores_its_samples():
    vehicle = make_vehicle()
    storage.SampleWriter().flush([report_item(vehicle.vin, datetime(2025, 3, 1, tzinfo=UTC))])
    assert Sample.objects.get(vin=vehicle.vin).battery_id is None


def test_reissued_duplicates_are_skipped_and_markers_stay_missing():
    vehicle = make_vehicle()
    at = datetime(2025, 5, 2, 3, 4, 5, tzinfo=UTC)
    writer = storage.SampleWriter()
    writer.flush([report_item(vehicle.vin, at, soc=55)])
    writer.flush(
        [report_item(vehicle.vin, at, soc=99, command=Command.REISSUE), report_item(vehicle.vin, at)]
    )
    (row,) = Sample.objects.filter(vin=vehicle.vin).values("soc_pct", "reissued", "current_a", "max_cell_v")
    assert row == {"soc_pct": 55, "reissued": False, "current_a": 20.0, "max_cell_v": pytest.approx(3.9)}
    assert writer.rows_written == 1
    item = report_item(vehicle.vin, at + timedelta(seconds=10))
    item.report = Report(item.report.time, (vehicle_block(soc=None, current=None),))
    writer.flush([item])
    row = Sample.objects.get(vin=vehicle.vin, sampled_at=at + timedelta(seconds=10))
    assert row.soc_pct is None and row.current_a is None and row.max_cell_v is None


def test_partitions_ahead_and_detach_old():
    result = storage.partitions_maintain(ahead=2, keep_months=0, today=date(2030, 11, 15))
    assert result["created"] == [
        "telemetry_sample_p203011",
        "telemetry_sample_p203012",
        "telemetry_sample_p203101",
    ]
    with connection.cursor() as cur:
        storage.ensure_partition(cur, date(2030, 1, 1))
    result = storage.partitions_maintain(ahead=0, keep_months=6, today=date(2030, 11, 15))
    assert "telemetry_sample_p203001" in result["detached"]
    assert "telemetry_sample_p203011" not in result["detached"]
    assert "telemetry_sample_p203001" not in storage.attached_partitions()


def test_raw_frames_are_purged_after_the_retention():
    now = datetime(2026, 6, 1, tzinfo=UTC)
    RawFrame.objects.create(received_at=now - timedelta(days=40), vin="X" * 17, command=2, raw=b"##")
    keep = RawFrame.objects.create(received_at=now - timedelta(days=5), vin="X" * 17, command=2, raw=b"##")
    assert storage.raw_frames_purge(days=30, now=now) == 1
    assert list(RawFrame.objects.values_list("pk", flat=True)) == [keep.pk]


@pytest.mark.django_db(transaction=True)
def test_acknowledged_reports_are_in_the_database_over_a_real_socket():
    vehicle = make_vehicle()
    pack = BatteryFactory()
    bind(pack, vehicle, start=date(2020, 1, 1))
    now = datetime.now(UTC).replace(microsecond=0)

    async def scenario():
        writer = storage.SampleWriter()
        gateway = Gateway(known_vin=VinDirectory(), batcher=Batcher(writer.flush, max_delay=0.01))
        await gateway.start("127.0.0.1", 0)
        reader, w = await asyncio.open_connection("127.0.0.1", gateway.port)
        login = VehicleLogin(now, 1, "8986" * 5, (pack.code,)).encode()
        w.write(encode_frame(command=1, response=Response.COMMAND, vin=vehicle.vin, data=login))
        for i in range(20):
            data = Report(now - timedelta(seconds=10 * i), (vehicle_block(soc=50 + i),)).encode()
            w.write(encode_frame(command=2, response=Response.COMMAND, vin=vehicle.vin, data=data))
        splitter, answers = FrameSplitter(), []
        while len(answers) < 21:
            answers += splitter.feed(await asyncio.wait_for(reader.read(4096), 5))
        w.close()
        await gateway.close()
        return answers

    answers = asyncio.run(scenario())
    assert all(a.response == Response.OK for a in answers)
    assert Sample.objects.filter(vin=vehicle.vin, battery_id=pack.pk).count() == 20


@pytest.mark.django_db(transaction=True)
def test_vin_lookups_that_arrive_together_share_one_query():
    vehicles = [make_vehicle() for _ in range(30)]
    directory = VinDirectory()
    stranger = "LUNKNOWNVIN000009"

    async def ask(vins):
        return await asyncio.gather(*(directory(v) for v in vins))

    answers = asyncio.run(ask([v.vin for v in vehicles] + [stranger] * 3))
    assert answers == [True] * 30 + [False] * 3
    assert directory.queries == 1
    # both answers are remembered: neither a known nor a just-refused VIN costs another query
    assert asyncio.run(ask([vehicles[0].vin, stranger])) == [True, False]
    assert directory.queries == 1
    fresh = make_vehicle()
    assert asyncio.run(ask([fresh.vin])) == [True]
    assert directory.queries == 2
