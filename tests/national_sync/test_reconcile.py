from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from national_sync import services
from national_sync.models import OutboxRecord, ReconciliationRun

from .support import enqueue

pytestmark = pytest.mark.django_db


def test_matching_days_need_nothing(platform):
    enqueue(batteries=3, per_battery=2)
    services.outbox_drain(budget_seconds=2)
    run = services.reconciliation_run()
    assert run.days_compared == 1 and run.mismatches == [] and run.requeued == 0


def test_records_missing_upstream_are_requeued_and_then_delivered(platform):
    enqueue(batteries=3, per_battery=2)
    lost = OutboxRecord.objects.order_by("id").first()
    platform.drop = {lost.idempotency_key}  # acknowledged, never stored
    services.outbox_drain(budget_seconds=2)
    assert OutboxRecord.objects.filter(status="sent").count() == 6
    run = services.reconciliation_run()
    assert run.requeued == 1
    assert run.mismatches == [
        {"day": timezone.localdate().isoformat(), "kind": "lifecycle_event", "local": 6, "upstream": 5,
         "missing": 1, "conflicts": 0}
    ]  # fmt: skip
    lost.refresh_from_db()
    assert lost.status == "pending" and "reconciliation" in lost.last_error
    platform.drop = set()
    services.outbox_drain(budget_seconds=2)
    assert services.reconciliation_run().mismatches == []


def test_a_changed_payload_upstream_is_a_conflict_not_a_requeue(platform):
    enqueue(batteries=1, per_battery=1)
    services.outbox_drain(budget_seconds=2)
    stored = next(iter(platform.stored.values()))
    platform.stored[stored.key] = type(stored)(**{**stored.__dict__, "hash": "f" * 64})
    run = services.reconciliation_run()
    assert run.conflicts == 1 and run.requeued == 0


def test_pending_records_are_not_counted_as_missing(platform):
    enqueue(batteries=1, per_battery=2)
    run = services.reconciliation_run()
    assert run.mismatches == []


def test_command_reports_and_supports_dry_run(platform, capsys):
    enqueue(batteries=2, per_battery=1)
    services.outbox_drain(budget_seconds=2)
    platform.stored.clear()
    call_command("reconcile_national", "--days", "3", "--dry-run")
    out = capsys.readouterr().out
    assert "missing upstream: 2" in out
    assert OutboxRecord.objects.filter(status="sent").count() == 2  # dry run changed nothing
    call_command("reconcile_national", "--since", (timezone.localdate() - timedelta(days=1)).isoformat())
    assert OutboxRecord.objects.filter(status="pending").count() == 2
    assert ReconciliationRun.objects.count() == 2
