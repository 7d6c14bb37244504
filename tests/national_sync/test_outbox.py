from types import SimpleNamespace as Record

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.actors import platform_actor
from core import hooks
from national_sync.models import OutboxRecord
from national_sync.services import outbox_records_write
from traceability.models import Binding, LifecycleEvent, Replacement, Vehicle
from traceability.services import event_record

from .support import make_battery, produce

pytestmark = pytest.mark.django_db


def test_event_record_queues_the_event_in_the_same_transaction(make_org):
    org = make_org(kinds=("battery_maker",), region="TJ")
    event = produce(org, region="TJ")
    row = OutboxRecord.objects.get()
    assert row.kind == "lifecycle_event" and row.object_id == str(event.pk)
    assert row.partition_key == event.battery.code and row.region == "TJ"
    assert row.status == "pending" and row.attempts == 0
    assert row.payload["batteryCode"] == event.battery.code
    assert row.payload["actorCreditCode"] == org.uscc
    assert row.payload["eventType"] == "produced"


def test_a_rolled_back_transaction_leaves_no_outbox_row(make_org):
    org = make_org(kinds=("battery_maker",))

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        produce(org)
        assert OutboxRecord.objects.count() == 1  # written, inside the transaction
        raise Boom
    assert OutboxRecord.objects.count() == 0
    assert LifecycleEvent.objects.count() == 0


def test_a_failing_outbox_write_rolls_the_event_back(make_org, monkeypatch):
    org = make_org(kinds=("battery_maker",))
    battery = make_battery(org)

    def broken(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr("national_sync.services.outbox_rows_insert", broken)
    with pytest.raises(RuntimeError):
        event_record(
            battery=battery, kind="produced", actor=platform_actor(org), occurred_at=battery.created_at
        )
    assert LifecycleEvent.objects.count() == 0


def test_bulk_write_is_one_insert_with_a_bounded_number_of_reads(make_org):
    automaker = make_org(kinds=("automaker",))
    packs = [make_battery(automaker) for _ in range(60)]
    vehicles = Vehicle.objects.bulk_create(
        [Vehicle(vin=f"LSVTEST{i:010d}", automaker=automaker, region="HB") for i in range(60)]
    )
    Binding.objects.bulk_create(
        [Binding(vehicle=v, pack=p, bound_at=p.created_at) for v, p in zip(vehicles, packs, strict=True)]
    )
    bindings = list(Binding.objects.all())  # relations not loaded, as after a bulk upload
    with CaptureQueriesContext(connection) as ctx:
        outbox_records_write("binding", bindings)
    inserts = [q for q in ctx.captured_queries if q["sql"].lstrip().startswith("INSERT")]
    assert len(inserts) == 1
    assert len(ctx.captured_queries) <= 5  # vehicle, pack, automaker, insert: not one per binding
    rows = OutboxRecord.objects.filter(kind="binding")
    assert rows.count() == 60
    row = rows.get(object_id=str(bindings[0].pk))
    assert row.payload["vin"] == bindings[0].vehicle.vin
    assert row.partition_key == bindings[0].pack.code and row.region == "HB"


def test_same_content_is_queued_once_and_a_change_is_queued_again(make_org):
    org = make_org(kinds=("battery_maker",))
    battery = make_battery(org)
    hooks.records_written("battery", [battery])
    hooks.records_written("battery", [battery])
    assert OutboxRecord.objects.filter(kind="battery").count() == 1
    battery.state = "registered"
    battery.mass_kg = 312
    hooks.records_written("battery", [battery])
    assert OutboxRecord.objects.filter(kind="battery").count() == 2


def test_kinds_not_for_the_national_platform_are_ignored(make_org):
    org = make_org()
    hooks.records_written("valuation_estimate", [org])
    assert OutboxRecord.objects.count() == 0


def test_unmapped_fields_resolve_to_null_not_an_error(make_org):
    org = make_org(kinds=("battery_maker",))
    battery = make_battery(org)  # no maker, no parent
    outbox_records_write("battery", [battery])
    payload = OutboxRecord.objects.get().payload
    assert payload["makerCreditCode"] is None and payload["parentCode"] is None


def test_a_replacement_is_mapped_with_both_pack_codes(make_org):
    automaker = make_org(kinds=("automaker", "after_sales"), region="TJ")
    old, new = make_battery(automaker), make_battery(automaker)
    vehicle = Vehicle.objects.create(vin="LSVREPL0000000001", automaker=automaker, region="TJ")
    replacement = Replacement.objects.create(
        vehicle=vehicle, pack_out=old, pack_in=new, actor=automaker, occurred_at=old.created_at
    )
    hooks.records_written("replacement", [Replacement.objects.get(pk=replacement.pk)])
    row = OutboxRecord.objects.get(kind="replacement")
    assert row.partition_key == old.code and row.region == "TJ"
    assert row.payload["oldBatteryCode"] == old.code and row.payload["newBatteryCode"] == new.code
    assert row.payload["outletCreditCode"] == automaker.uscc


def test_plain_records_from_bulk_uploads_are_mapped_without_queries(make_org, django_assert_num_queries):
    """Bulk uploads hand over attribute records (not model instances); only the INSERT touches the database."""

    automaker = make_org(kinds=("automaker",), region="HB")
    records = []
    for n in range(50):
        pack = Record(pk=n + 1, id=n + 1, code=f"PACK{n:020d}")
        vehicle = Record(pk=n + 1, vin=f"LSVBULK{n:010d}", automaker=automaker, model_name="", region="HB")
        records.append(Record(pk=1000 + n, vehicle=vehicle, pack=pack, bound_at=None, unbound_at=None,
                              unbound_reason=""))  # fmt: skip
    with django_assert_num_queries(1):
        outbox_records_write("binding", records)
    row = OutboxRecord.objects.get(object_id="1000")
    assert row.partition_key == "PACK" + "0" * 20 and row.region == "HB"
    assert row.payload["automakerCreditCode"] == automaker.uscc and row.payload["vin"] == "LSVBULK0000000000"
