"""The witnesses run on their own: beat schedules the task that makes every region read and check the signed
tree heads published since the last it accepted (RFC 9162 §8.2, R-SHARE)."""

import pytest
from django.utils import timezone

from accounts.actors import platform_actor
from config.celery import app
from national_sync import tasks, witness
from national_sync.models import SeenTreeHead
from national_sync.schedule import BEAT_SCHEDULE
from tests.traceability.factories import register_pack
from tests.traceability.test_ledger_consistency import _rewrite_history
from traceability import services

pytestmark = pytest.mark.django_db


def test_beat_runs_the_witnesses_every_minute():
    entries = [e for e in BEAT_SCHEDULE.values() if e["task"] == "national_sync.tasks.witness_sync"]
    assert len(entries) == 1 and float(entries[0]["schedule"]) <= 60
    assert "national_sync.tasks.witness_sync" in app.tasks


def test_the_task_makes_every_region_witness_and_keeps_alerts(make_org, monkeypatch):
    maker, point = make_org(kinds=["battery_maker"]), make_org(kinds=["service_operator"])
    packs = [register_pack(maker) for _ in range(3)]
    monkeypatch.setattr(tasks, "WITNESS_BATCH", 2)  # several feed pages per region
    first = tasks.witness_sync()
    assert set(first) == {"BJ", "TJ", "HB"}
    assert all(r["seen"] >= 3 and r["alerts"] == 0 for r in first.values())
    sizes = {
        r: set(SeenTreeHead.objects.filter(witness_region=r).values_list("tree_size", flat=True))
        for r in first
    }
    assert sizes["BJ"] == sizes["TJ"] == sizes["HB"] and len(sizes["BJ"]) >= 3
    assert tasks.witness_sync() == {r: {"seen": 0, "alerts": 0} for r in first}  # nothing new: nothing read
    _rewrite_history(packs[1].events.first().pk)
    for p in packs:
        services.release_record(
            battery=p, actor=platform_actor(maker), receiver=point, occurred_at=timezone.now()
        )
    after = tasks.witness_sync()  # ends although the refused heads are read again on every page
    assert all(r["alerts"] >= 1 for r in after.values())
    assert witness.alerts().count() == sum(r["alerts"] for r in after.values())
