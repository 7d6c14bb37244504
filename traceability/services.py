"""Writes for the traceability core (R-CODE, R-BIND, R-LIFE). Other apps change a battery only through
:func:`event_record`, so every custody change is a lifecycle event, in the trace and in the ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from core import hooks

from .lifecycle import CONSUMING, EventKind, IllegalTransition, next_state
from .models import Battery, LifecycleEvent

UNCHANGED: Any = object()


class TraceabilityError(ValueError):
    """A refused write; ``field`` names the input at fault where there is one."""

    def __init__(self, message: str, *, field: str = "non_field_errors", code: str = "invalid"):
        super().__init__(message)
        self.message, self.field, self.code = message, field, code


@transaction.atomic
def event_record(
    *,
    battery: Battery,
    kind: str,
    actor: Organisation | None,
    occurred_at: datetime,
    actor_user: User | None = None,
    custodian_after: Organisation | None = UNCHANGED,
    place: str = "",
    place_ref: str = "",
    region: str | None = None,
    payload: dict | None = None,
    reported_at: datetime | None = None,
) -> LifecycleEvent:
    """Record one lifecycle event: check the state machine, append the event, move the battery.

    The battery row is locked for the duration, so concurrent events on one battery are serialised.
    Raises :class:`TraceabilityError` (code ``illegal_transition``) when the step is not allowed.
    """
    battery = Battery.objects.select_for_update().get(pk=battery.pk)
    try:
        step = next_state(battery.state or None, kind)
    except IllegalTransition as exc:
        raise TraceabilityError(f"{battery.code}: {exc}", field="kind", code="illegal_transition") from exc
    reported_at = reported_at or timezone.now()
    if occurred_at > reported_at:
        raise TraceabilityError("an event cannot happen after it is reported", field="occurred_at")
    before = battery.custodian
    after = before if custodian_after is UNCHANGED else custodian_after
    state_after = step.after
    if kind == EventKind.CASCADE_REPURPOSED and (payload or {}).get("consumed_into"):
        state_after = CONSUMING[EventKind.CASCADE_REPURPOSED]
    event_region = region or (after.region if after is not None else battery.region)
    deadline, on_time = _deadline_for(
        kind=kind, actor=actor, occurred_at=occurred_at, reported_at=reported_at
    )
    event = LifecycleEvent.objects.create(
        battery=battery,
        kind=kind,
        state_before=step.before or "",
        state_after=state_after,
        actor=actor,
        actor_user=actor_user,
        custodian_before=before,
        custodian_after=after,
        place=place,
        place_ref=place_ref,
        region=event_region or "",
        occurred_at=occurred_at,
        reported_at=reported_at,
        deadline=deadline,
        on_time=on_time,
        payload=payload or {},
    )
    changed = ["state", "custodian", "region", "state_changed_at"]
    battery.state, battery.custodian, battery.region = state_after, after, event_region or battery.region
    battery.state_changed_at = occurred_at
    battery.save(update_fields=changed)
    _after_events([event])
    return event


def _deadline_for(*, kind: str, actor: Organisation | None, occurred_at: datetime, reported_at: datetime):
    from .deadlines import evaluate  # noqa: PLC0415 - keeps the calendar cache out of import time

    return evaluate(kind=kind, actor_kinds=actor.kinds if actor else [], occurred_at=occurred_at,
                    reported_at=reported_at)  # fmt: skip


def _after_events(events: list[LifecycleEvent]) -> None:
    """Ledger and outbox for newly written events, inside the caller's transaction."""
    from .ledger_store import ledger_append  # noqa: PLC0415

    ledger_append(events)
    hooks.records_written("lifecycle_event", events)
