"""The outbox's receiver of ``core.hooks.records_written`` (R-SHARE)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import transaction

from . import field_map, services
from .tasks import outbox_dispatch

# Record kinds that reach the national platform; other apps' kinds are listed when they add them.
NATIONAL_KINDS = frozenset(
    {
        "lifecycle_event",
        "battery",
        "binding",
        "replacement",
        "battery_link",
        "cascade_product",
        "regeneration_batch",
    }
)


def outbox_receiver(kind: str, records: Sequence[Any]) -> None:
    if kind not in NATIONAL_KINDS:
        return

    services.outbox_rows_insert(rows=map_fast(kind, list(records)))
    if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        # Start delivery once the writer commits instead of waiting for beat; eager (test) mode would send inline.
        transaction.on_commit(_kick, robust=True)


def map_fast(kind: str, records: list[Any]) -> list:
    """:func:`field_map.map_records` with each source path compiled once per call: a bulk upload maps tens of
    thousands of records per request. Same rows; a path that meets a missing link takes the general route."""
    spec = field_map.kind_spec(kind)
    if spec is None or not records:
        return field_map.map_records(kind, records)
    field_map._prefetch(records, field_map._relations(spec))
    fields = [
        (f["name"], f["source"], attrgetter(f["source"]) if f["source"] else None) for f in spec["fields"]
    ]
    partition_path, region_path = spec.get("partition"), spec.get("region")
    resolve, jsonable, plain = field_map.resolve, field_map._jsonable, (str, int, float, bool, type(None))

    def get(record, path, getter):
        if getter is None:
            return None
        try:
            return getter(record)
        except AttributeError:
            return resolve(record, path)

    times: dict = {}  # a batch shares few distinct times: format each once

    def when(value):
        text = times.get(value)
        if text is None:
            text = times[value] = value.isoformat()
        return text

    out = []
    for record in records:
        data = {}
        for name, path, getter in fields:
            value = get(record, path, getter)
            kind_of = type(value)
            if kind_of in plain:
                data[name] = value
            elif kind_of is datetime or kind_of is date:
                data[name] = when(value)
            else:
                data[name] = jsonable(value)
        partition, region = resolve(record, partition_path), resolve(record, region_path)
        out.append(field_map.MappedRecord.of(kind, record, partition=partition, region=region, data=data))
    return out


_last_kick = 0.0


def _kick() -> None:
    """At most one dispatch per second per process: a busy upload API should not flood the queue."""
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < 1.0:
        return
    _last_kick = now

    outbox_dispatch.delay()
