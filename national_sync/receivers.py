"""The outbox's receiver of ``core.hooks.records_written`` (R-SHARE)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction

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
    from .services import outbox_records_write  # noqa: PLC0415 - models are ready by the first call

    outbox_records_write(kind, records)
    if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        # Start delivery once the writer commits instead of waiting for beat; eager (test) mode would send inline.
        transaction.on_commit(_kick, robust=True)


_last_kick = 0.0


def _kick() -> None:
    """At most one dispatch per second per process: a busy upload API should not flood the queue."""
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < 1.0:
        return
    _last_kick = now
    from .tasks import outbox_dispatch  # noqa: PLC0415

    outbox_dispatch.delay()
