"""Support for the national sync tests: batteries with events, and an in-memory national platform."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, timedelta

from django.utils import timezone

from accounts.actors import platform_actor
from national_sync.canonical import day_digest
from national_sync.client import (
    BatchResult,
    DaySummary,
    NationalPlatformClient,
    OutgoingRecord,
    TransientError,
)
from national_sync.field_map import MappedRecord
from national_sync.services import outbox_rows_insert
from traceability.models import Battery
from traceability.services import event_record

_serial = itertools.count(1)


def make_battery(org, *, region: str = "BJ") -> Battery:
    n = next(_serial)
    return Battery.objects.create(
        code=f"0AB PE01000000A1A1{n:07d}".replace(" ", "")[:24], level="P", region=region, state=""
    )


def produce(org, *, region: str = "BJ"):
    battery = make_battery(org, region=region)
    return event_record(battery=battery, kind="produced", actor=platform_actor(org), custodian_after=org,
                        occurred_at=timezone.now() - timedelta(minutes=5), region=region)  # fmt: skip


def enqueue(batteries: int, per_battery: int, *, region: str = "BJ", kind: str = "lifecycle_event") -> int:
    """Queue synthetic mapped records: ``seq`` in the payload numbers each battery's records in order."""
    rows = [
        MappedRecord(kind=kind, object_id=f"{b}-{s}", partition_key=f"BAT{b:07d}", region=region,
                     data={"batteryCode": f"BAT{b:07d}", "seq": s})
        for s in range(per_battery)
        for b in range(batteries)
    ]  # fmt: skip
    return outbox_rows_insert(rows=rows)


class FakePlatform(NationalPlatformClient):
    """Stores once per key, in arrival order; ``fail_next`` transient failures, ``reject`` keys refused."""

    def __init__(self):
        self.stored: dict[str, OutgoingRecord] = {}
        self.arrivals: list[str] = []
        self.calls = 0
        self.fail_next = 0
        self.reject: set[str] = set()
        self.drop: set[str] = set()  # acknowledged but silently lost (for reconciliation)
        self.ack_only: int | None = None

    def send_batch(self, records: Sequence[OutgoingRecord]) -> BatchResult:
        self.calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise TransientError("HTTP 503: injected")
        result = BatchResult()
        held: set[str] = set()
        for i, r in enumerate(records):
            if r.key in self.reject or r.partition in held:
                if r.key in self.reject:
                    result.rejected[r.key] = "invalid"
                held.add(r.partition)  # later records of that battery wait, as the protocol says
                continue
            if self.ack_only is not None and i >= self.ack_only:
                continue
            if r.key not in self.stored and r.key not in self.drop:
                self.stored[r.key] = r
                self.arrivals.append(r.key)
            result.acknowledged.add(r.key)
        return result

    def day_summaries(self, *, since: date, until: date) -> list[DaySummary]:
        groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for r in self.stored.values():
            if since.isoformat() <= r.day <= until.isoformat():
                groups.setdefault((r.day, r.kind), []).append((r.key, r.hash))
        return [DaySummary(day=date.fromisoformat(d), kind=k, count=len(v), digest=day_digest(v))
                for (d, k), v in groups.items()]  # fmt: skip

    def day_keys(self, *, day: date, kind: str) -> dict[str, str]:
        return {r.key: r.hash for r in self.stored.values() if r.day == day.isoformat() and r.kind == kind}
