"""Writes for the traceability core (R-CODE, R-BIND, R-LIFE). Other apps change a battery only through
:func:`event_record` (or :func:`events_record_bulk`), so every custody change is a lifecycle event, in the trace
and in the ledger.

Every write path ends in :func:`_after_events` (ledger + ``core.hooks.records_written("lifecycle_event", ...)``)
and tells the hooks about the batteries, bindings and replacements it wrote, inside the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from accounts.models import Organisation, User
from core import hooks
from core.audit import audit_log
from core.errors import ServiceError

from . import authority, codes
from .lifecycle import CONSUMING, ENDS_VEHICLE_USE, TERMINAL, EventKind, IllegalTransition, State, next_state
from .models import (
    AfterSalesOutlet,
    Battery,
    BatteryLink,
    Binding,
    ClaimStatus,
    CustodyClaim,
    CustodyRelease,
    LifecycleEvent,
    ReleaseStatus,
    Replacement,
    Vehicle,
)

UNCHANGED: Any = object()

# Events that end a pack's stay in a vehicle close its active binding.
UNBINDING = frozenset({EventKind.REMOVED, EventKind.REPLACED_OUT})
# Receipts confirm a release (or an approved claim): the receiver becomes the custodian (two-party custody).
RECEIPTS = frozenset({EventKind.RECEIVED, EventKind.CASCADE_RECEIVED, EventKind.REGENERATION_RECEIVED})
# Releases name a receiver; custody stays with the holder until the receiver confirms.
RELEASES = frozenset({EventKind.DISPATCHED, EventKind.HANDED_OVER})
# Kinds whose actor takes custody of the pack as it leaves a vehicle.
TAKING_OUT = frozenset({EventKind.REMOVED, EventKind.REPLACED_OUT})
RECEIVING = RECEIPTS | {EventKind.REMOVED}
VEHICLE_KINDS = frozenset(
    {EventKind.REMOVED, EventKind.REPLACED_OUT, EventKind.REPLACED_IN, EventKind.ASSESSED}
)


class TraceabilityError(ServiceError):
    """A refused write; ``field`` names the input at fault where there is one. ``http_status``: 403 for an actor
    without standing, 409 for a conflict with custody or state, 422 for a refused business rule."""

    http_status = 422

    def __init__(self, message: str, *, field: str = "non_field_errors", code: str | None = None,
                 http_status: int | None = None):  # fmt: skip
        super().__init__(message, field=field, code=code)
        if http_status is not None:
            self.http_status = http_status


def _refused(exc: ServiceError) -> TraceabilityError:
    """An authority refusal or a guard's error as the core's error, keeping its rule, field and status."""
    if isinstance(exc, TraceabilityError):
        return exc
    status = getattr(exc, "http_status", 422)
    return TraceabilityError(exc.message, field=exc.field, code=exc.code, http_status=status)


@dataclass
class Proposal:
    """An event about to be written, as guards see it (``core.hooks.guard``): nothing is stored yet."""

    battery: Battery
    kind: str
    actor: Organisation | None
    occurred_at: datetime
    payload: dict
    state_before: str
    custodian_after_id: int | None
    release: CustodyRelease | None = None


@dataclass
class EventSpec:
    """One event for :func:`events_record_bulk`; the fields mean what they mean for :func:`event_record`."""

    battery: Battery
    kind: str
    occurred_at: datetime
    custodian_after: Organisation | None = UNCHANGED
    place: str = ""
    place_ref: str = ""
    region: str | None = None
    payload: dict | None = None
    reported_at: datetime | None = None
    release_to: Organisation | None = None  # a dispatch's or hand-over's receiver
    manifest: str = ""
    vehicle: Vehicle | None = None  # the vehicle a pack goes into (replaced_in)
    claim: CustodyClaim | None = None  # the approved claim a receipt carries out
    restore_state: str = ""  # a cancelled dispatch returns to this state


@dataclass
class BulkOutcome:
    events: list[LifecycleEvent] = field(default_factory=list)
    errors: dict[int, TraceabilityError] = field(default_factory=dict)  # spec index -> error


@dataclass
class _Facts:
    """What the authority needs to know about the batteries of one write, loaded in a few queries."""

    releases: dict[int, CustodyRelease] = field(default_factory=dict)  # battery id -> open release
    vehicles: dict[int, Vehicle] = field(default_factory=dict)  # pack id -> vehicle it is in
    outlet_of: set[int] = field(default_factory=set)  # automakers whose outlet the actor is
    providers: dict[str, set[int]] = field(default_factory=dict)  # relation -> spec indexes where it holds
    new_releases: list[tuple[LifecycleEvent, CustodyRelease]] = field(default_factory=list)
    closed: list[tuple[LifecycleEvent, CustodyRelease, str]] = field(default_factory=list)


def _facts(specs: list[EventSpec], actor: Organisation | None) -> _Facts:
    facts = _Facts()
    ids = {s.battery.pk for s in specs}
    facts.releases = {
        r.battery_id: r
        for r in CustodyRelease.objects.filter(battery_id__in=ids, status=ReleaseStatus.OPEN).select_related(
            "receiver"
        )
    }
    in_vehicle = {s.battery.pk for s in specs if s.kind in VEHICLE_KINDS}
    if in_vehicle:
        for b in Binding.objects.filter(pack_id__in=in_vehicle, unbound_at__isnull=True).select_related(
            "vehicle"
        ):
            facts.vehicles[b.pack_id] = b.vehicle
    if actor is not None and actor.has_kind("after_sales"):
        facts.outlet_of = set(
            AfterSalesOutlet.objects.filter(outlet=actor).values_list("automaker_id", flat=True)
        )
    if actor is not None:
        for name in ("scrap_dismantler", "deal_counterparty"):
            facts.providers[name] = hooks.relation_holds(name, actor, specs)
    return facts


def _relations(
    battery: Battery, spec: EventSpec, index: int, actor: Organisation | None, facts: _Facts
) -> set:
    if actor is None:
        return {"platform"}
    rel = set()
    release = facts.releases.get(battery.pk)
    if battery.custodian_id == actor.pk and not (
        spec.kind in RECEIPTS and release and release.receiver_id != actor.pk
    ):
        rel.add("holder")
    if release is not None and release.receiver_id == actor.pk:
        rel.add("addressee")
    if (
        spec.claim is not None
        and spec.claim.claimant_id == actor.pk
        and spec.claim.status == ClaimStatus.APPROVED
    ):
        rel.add("claim_approved")
    vehicle = facts.vehicles.get(battery.pk) or spec.vehicle
    if vehicle is not None:
        if vehicle.automaker_id == actor.pk:
            rel.add("vehicle_automaker")
        if vehicle.automaker_id in facts.outlet_of:
            rel.add("vehicle_outlet")
    if battery.maker_id is not None and battery.maker_id == actor.pk:
        rel.add("maker")
    if battery.custodian_id in (None, battery.maker_id):
        rel.add("maker_custody")
    if battery.custodian_id is None and release is None:
        rel.add("unheld")
    if actor.has_kind("assessor"):
        rel.add("assessor")
    if actor.is_regulator and actor.region == battery.region:
        rel.add("regulator")
    for name, hits in facts.providers.items():
        if index in hits:
            rel.add(name)
    return rel


def _custody_to(
    battery: Battery, spec: EventSpec, actor: Organisation | None, after_id, facts: _Facts
) -> str:
    if after_id == battery.custodian_id:
        return authority.UNCHANGED
    if actor is not None and after_id == actor.pk:
        return authority.TO_ACTOR
    vehicle = facts.vehicles.get(battery.pk) or spec.vehicle
    if vehicle is not None and after_id in (vehicle.automaker_id, vehicle.fleet_owner_id):
        return authority.TO_VEHICLE_PARTY
    return authority.TO_OTHER


def _plan(
    battery: Battery,
    spec: EventSpec,
    *,
    actor: Organisation | None,
    actor_user: User | None,
    now: datetime,
    facts: _Facts | None = None,
    index: int = 0,
) -> LifecycleEvent:
    """The checks every event write shares: the state machine, the authority and the sibling apps' guards, the
    clock, the deadline. Moves ``battery`` in memory and returns the unsaved event; raises
    :class:`TraceabilityError` naming the rule and leaves ``battery`` untouched."""
    facts = facts if facts is not None else _facts([spec], actor)
    try:
        step = next_state(battery.state or None, spec.kind, vehicle_use_ended=battery.vehicle_use_ended)
    except IllegalTransition as exc:
        raise TraceabilityError(
            f"{battery.code}: {exc}", field="kind", code=exc.rule, http_status=409
        ) from exc
    except ValueError as exc:
        raise TraceabilityError(str(exc), field="kind", code="unknown_kind") from exc
    if spec.occurred_at is None or timezone.is_naive(spec.occurred_at):
        raise TraceabilityError("a time zone-aware time is required", field="occurred_at")
    reported_at = spec.reported_at or now
    if spec.occurred_at > reported_at:
        raise TraceabilityError("an event cannot happen after it is reported", field="occurred_at")
    payload = dict(spec.payload or {})
    state_after = step.after
    if spec.kind == EventKind.CASCADE_REPURPOSED and payload.get("consumed_into"):
        state_after = CONSUMING[EventKind.CASCADE_REPURPOSED]
    release = facts.releases.get(battery.pk)
    if spec.kind == EventKind.RELEASE_CANCELLED:
        if release is None:
            raise TraceabilityError(f"{battery.code} has no open release to cancel", field="battery_code",
                                    code="custody.no_open_release", http_status=409)  # fmt: skip
        state_after = State(release.state_before) if release.kind == EventKind.DISPATCHED else step.after
    before_id = battery.custodian_id
    custodian_after = spec.custodian_after
    if spec.kind in RECEIVING and custodian_after is UNCHANGED:
        custodian_after = actor  # the receiver, or the party that takes the pack out of the vehicle
    after_id = before_id if custodian_after is UNCHANGED else getattr(custodian_after, "pk", None)
    relations = _relations(battery, spec, index, actor, facts)
    request = authority.Request(
        kind=spec.kind,
        state=battery.state,
        actor_kinds=frozenset(actor.kinds) if actor is not None else frozenset(),
        relations=frozenset(relations),
        custody_to=_custody_to(battery, spec, actor, after_id, facts),
        code=battery.code,
    )
    refusal = authority.decide(request)
    if refusal is not None:
        raise _refused(refusal)
    if spec.kind in RELEASES and after_id == before_id:
        _check_release(battery, spec, actor, release)
        payload.setdefault("to", spec.release_to.uscc)
        if spec.manifest:
            payload.setdefault("manifest", spec.manifest)
    proposal = Proposal(battery=battery, kind=spec.kind, actor=actor, occurred_at=spec.occurred_at,
                        payload=payload, state_before=battery.state, custodian_after_id=after_id,
                        release=release)  # fmt: skip
    try:
        hooks.guards_check(spec.kind, proposal)
    except ServiceError as exc:
        raise _refused(exc) from exc
    after_region = custodian_after.region if custodian_after not in (UNCHANGED, None) else None
    region = spec.region or after_region or battery.region or ""
    deadline, on_time = _deadline_for(
        kind=spec.kind, actor=actor, occurred_at=spec.occurred_at, reported_at=reported_at
    )
    event = LifecycleEvent(
        battery=battery,
        kind=spec.kind,
        state_before=step.before or "",
        state_after=state_after,
        actor=actor,
        actor_user=actor_user,
        custodian_before_id=before_id,
        custodian_after_id=after_id,
        place=spec.place,
        place_ref=spec.place_ref,
        region=region,
        occurred_at=spec.occurred_at,
        reported_at=reported_at,
        deadline=deadline,
        on_time=on_time,
        payload=payload,
    )
    _track_release(battery, spec, actor, event, release, facts)
    battery.state, battery.custodian_id, battery.region = state_after, after_id, region or battery.region
    battery.state_changed_at = spec.occurred_at
    if state_after in ENDS_VEHICLE_USE:
        battery.vehicle_use_ended = True
    return event


def _check_release(battery: Battery, spec: EventSpec, actor: Organisation | None, release) -> None:
    receiver = spec.release_to
    if receiver is None:
        raise TraceabilityError(f"'{spec.kind}' of {battery.code} names the receiver", field="to_uscc",
                                code="custody.release_names_receiver")  # fmt: skip
    if actor is not None and receiver.pk == actor.pk:
        raise TraceabilityError("a release names another enterprise as receiver", field="to_uscc",
                                code="custody.release_names_receiver")  # fmt: skip
    if receiver.is_regulator or not receiver.is_active:
        raise TraceabilityError(f"{receiver} does not take batteries in", field="to_uscc",
                                code="custody.receiver_kind")  # fmt: skip
    if release is not None:
        raise TraceabilityError(
            f"{battery.code} is already released to {release.receiver}; cancel that release first",
            field="battery_code", code="custody.release_open", http_status=409,
        )  # fmt: skip


def _track_release(battery, spec, actor, event, release, facts: _Facts) -> None:
    """Keep the open releases of this write up to date in memory; rows are written with the events."""
    if (
        spec.kind in RELEASES
        and spec.release_to is not None
        and event.custodian_after_id == event.custodian_before_id
    ):
        new = CustodyRelease(battery_id=battery.pk, releaser=actor, receiver=spec.release_to, kind=spec.kind,
                             manifest=spec.manifest[:64], state_before=battery.state, region=battery.region or "")  # fmt: skip
        facts.releases[battery.pk] = new
        facts.new_releases.append((event, new))
    elif release is not None and spec.kind in RECEIPTS:
        status = (
            ReleaseStatus.CONFIRMED
            if release.receiver_id == getattr(actor, "pk", None)
            else ReleaseStatus.SUPERSEDED
        )
        facts.closed.append((event, release, status))
        del facts.releases[battery.pk]
    elif release is not None and spec.kind == EventKind.RELEASE_CANCELLED:
        facts.closed.append((event, release, ReleaseStatus.CANCELLED))
        del facts.releases[battery.pk]


def _write_releases(facts: _Facts, now: datetime) -> None:
    """After the events have ids: close the confirmed/cancelled releases, open the new ones."""
    for event, release, status in facts.closed:
        if release.pk is None:  # opened and closed within one write
            release.release_event_id = next(e.pk for e, r in facts.new_releases if r is release)
            release.status, release.closing_event_id, release.closed_at = status, event.pk, now
            continue
        CustodyRelease.objects.filter(pk=release.pk).update(
            status=status, closing_event_id=event.pk, closed_at=now
        )
    for event, release in facts.new_releases:
        release.release_event_id = event.pk
        release.created_at = now
    if facts.new_releases:
        CustodyRelease.objects.bulk_create([r for _, r in facts.new_releases])


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
    release_to: Organisation | None = None,
    manifest: str = "",
    vehicle: Vehicle | None = None,
    claim: CustodyClaim | None = None,
) -> LifecycleEvent:
    """Record one lifecycle event: check the state machine, ask the authority and the guards, append the event,
    move the battery (R-LIFE).

    ``release_to`` names the receiver of a dispatch or hand-over: custody stays with the holder until the
    receiver records its receipt (``received``, ``cascade_received``, ``regeneration_received``), which then
    makes it the custodian. The battery row is locked for the duration, so concurrent events on one battery are
    serialised. Raises :class:`TraceabilityError` whose ``code`` names the refusing rule.
    """
    locked = Battery.objects.select_for_update().get(pk=battery.pk)
    spec = EventSpec(
        battery=locked,
        kind=kind,
        occurred_at=occurred_at,
        custodian_after=custodian_after,
        place=place,
        place_ref=place_ref,
        region=region,
        payload=payload,
        reported_at=reported_at,
        release_to=release_to,
        manifest=manifest,
        vehicle=vehicle,
        claim=claim,
    )
    now = timezone.now()
    facts = _facts([spec], actor)
    event = _plan(locked, spec, actor=actor, actor_user=actor_user, now=now, facts=facts)
    event.save()
    locked.save(update_fields=["state", "custodian", "region", "state_changed_at", "vehicle_use_ended"])
    _write_releases(facts, now)
    if kind in UNBINDING:
        _close_bindings([locked.pk], occurred_at, kind)
    _after_events([event])
    # The caller's instance reflects the move too.
    battery.state, battery.custodian_id, battery.region = locked.state, locked.custodian_id, locked.region
    battery.state_changed_at = locked.state_changed_at
    battery.vehicle_use_ended = locked.vehicle_use_ended
    audit_log(actor=actor_user, action=f"battery.event.{kind}", obj=locked, changes={"event": event.pk})
    return event


@transaction.atomic
def events_record_bulk(
    *,
    specs: list[EventSpec],
    actor: Organisation | None,
    actor_user: User | None = None,
    skip_errors: bool = False,
) -> BulkOutcome:
    """Record many events in a handful of statements (internal and bulk writes), with the checks of
    :func:`event_record`. Several specs may concern one battery; they apply in order.

    With ``skip_errors`` a refused spec is reported in ``errors`` and the others are written; without it the first
    refusal raises and nothing is written.
    """
    outcome = BulkOutcome()
    if not specs:
        return outcome
    ids = sorted({s.battery.pk for s in specs})
    # Lock in id order so that two bulk writers cannot deadlock.
    locked = {b.pk: b for b in Battery.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    now = timezone.now()
    unbind: dict[int, tuple[datetime, str]] = {}
    for spec in specs:
        spec.battery = locked[spec.battery.pk]
    facts = _facts(specs, actor)
    for i, spec in enumerate(specs):
        battery = spec.battery
        try:
            event = _plan(battery, spec, actor=actor, actor_user=actor_user, now=now, facts=facts, index=i)
        except TraceabilityError as exc:
            if not skip_errors:
                raise TraceabilityError(f"item {i}: {exc.message}", field=exc.field, code=exc.code,
                                        http_status=exc.http_status) from exc  # fmt: skip
            outcome.errors[i] = exc
            continue
        outcome.events.append(event)
        if spec.kind in UNBINDING:
            unbind[battery.pk] = (spec.occurred_at, spec.kind)
    _write_events(outcome.events, [locked[i] for i in {e.battery_id for e in outcome.events}])
    _write_releases(facts, now)
    for occurred_at, kind in set(unbind.values()):
        _close_bindings([pk for pk, v in unbind.items() if v == (occurred_at, kind)], occurred_at, kind)
    if outcome.events:
        audit_log(
            actor=actor_user,
            action="battery.events_bulk",
            object_type="traceability.lifecycleevent",
            object_id=f"{outcome.events[0].pk}..{outcome.events[-1].pk}",
            changes={"count": len(outcome.events)},
        )
    return outcome


def _write_events(events: list[LifecycleEvent], batteries: list[Battery]) -> None:
    """Insert events, move their batteries in one UPDATE, then ledger and hooks."""
    if not events:
        return
    _insert_events(events)
    _update_batteries(batteries)
    _after_events(events)


EVENT_INSERT_COLUMNS = (
    "battery_id", "kind", "state_before", "state_after", "actor_id", "actor_user_id", "custodian_before_id",
    "custodian_after_id", "place", "place_ref", "region", "occurred_at", "reported_at", "deadline", "on_time",
    "payload",
)  # fmt: skip


def _insert_rows(objs: list, table: str, columns: tuple[str, ...], values) -> None:
    """Multi-row INSERT ... RETURNING id for model instances, which get their ids."""
    if not objs:
        return
    with connection.cursor() as cur:
        ids = execute_values(
            cur,
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s RETURNING id",
            [values(o) for o in objs],
            page_size=len(objs),
            fetch=True,
        )
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        for name in ("vehicle", "pack"):
            if hasattr(obj, f"{name}_id") and getattr(obj, f"{name}_id", None) is None:
                related = getattr(obj, name, None)
                setattr(obj, f"{name}_id", related.pk if related else None)


def _insert_events(events: list[LifecycleEvent]) -> None:
    """Multi-row INSERT ... RETURNING id: the ORM's bulk_create spends most of its time preparing values."""
    rows = [
        (e.battery.pk, e.kind, e.state_before, e.state_after, e.actor_id, e.actor_user_id, e.custodian_before_id,
         e.custodian_after_id, e.place, e.place_ref, e.region, e.occurred_at, e.reported_at, e.deadline, e.on_time,
         json.dumps(e.payload, ensure_ascii=False))
        for e in events
    ]  # fmt: skip
    with connection.cursor() as cur:
        ids = execute_values(
            cur,
            f"INSERT INTO traceability_lifecycleevent ({', '.join(EVENT_INSERT_COLUMNS)}) VALUES %s RETURNING id",
            rows,
            page_size=len(rows),
            fetch=True,
        )
    for event, (pk,) in zip(events, ids, strict=True):
        event.pk = event.id = pk
        event.battery_id = event.battery.pk
        event._state.adding = False


def _update_batteries(batteries: list[Battery]) -> None:
    if not batteries:
        return
    with connection.cursor() as cur:
        execute_values(
            cur,
            "UPDATE traceability_battery AS b SET state = v.state, custodian_id = v.custodian_id, "
            "region = v.region, state_changed_at = v.changed, vehicle_use_ended = v.ended FROM (VALUES %s) "
            "AS v(id, state, custodian_id, region, changed, ended) WHERE b.id = v.id",
            [
                (b.pk, b.state, b.custodian_id, b.region or "", b.state_changed_at, b.vehicle_use_ended)
                for b in batteries
            ],
            template="(%s::bigint, %s, %s::bigint, %s, %s::timestamptz, %s::boolean)",
            page_size=10000,
        )


def _close_bindings(pack_ids: list[int], at: datetime, reason: str) -> None:
    open_ = Binding.objects.filter(pack_id__in=pack_ids, unbound_at__isnull=True)
    if open_.filter(bound_at__gt=at).exists():
        raise TraceabilityError("the pack cannot leave the vehicle before it was bound", field="occurred_at")
    open_.update(unbound_at=at, unbound_reason=str(reason))


def _deadline_for(*, kind: str, actor: Organisation | None, occurred_at: datetime, reported_at: datetime):
    return _deadline_for_kinds(kind, tuple(actor.kinds) if actor else (), occurred_at, reported_at)


def _deadline_for_kinds(kind: str, actor_kinds: tuple, occurred_at: datetime, reported_at: datetime):
    from .deadlines import evaluate_cached  # noqa: PLC0415 - keeps the calendar cache out of import time

    return evaluate_cached(
        kind=kind, actor_kinds=actor_kinds, occurred_at=occurred_at, reported_at=reported_at
    )


def _after_events(events: list[LifecycleEvent]) -> None:
    """Ledger and outbox for newly written events, inside the caller's transaction."""
    from .ledger_store import ledger_append  # noqa: PLC0415

    ledger_append(events)
    hooks.records_written("lifecycle_event", events)


# --- registration (R-CODE) ----------------------------------------------------------------------------------

LEVEL_RANK = {"P": 3, "M": 2, "C": 1}


@dataclass
class BatterySpec:
    """One battery for :func:`batteries_register_bulk`; ``parent_code`` may name a battery of the same call."""

    code: str
    parent: Battery | None = None
    parent_code: str = ""
    rated_capacity_ah: Decimal | None = None
    rated_energy_kwh: Decimal | None = None
    mass_kg: Decimal | None = None
    custodian: Organisation | None = None
    occurred_at: datetime | None = None
    registered: bool = True
    is_cascade_product: bool = False
    maker: Organisation | None = UNCHANGED
    parse_errors: dict | None = None  # for codes first seen at intake that do not parse
    payload: dict = field(default_factory=dict)
    reported_at: datetime | None = None  # defaults to the call's (imports of historical records)


def parse_code(code: str, *, field_name: str = "code") -> codes.BatteryCode:
    try:
        return codes.parse(code, today=timezone.localdate())
    except codes.CodeError as exc:
        raise TraceabilityError(exc.message, field=field_name, code=exc.field) from exc


def battery_register(
    *,
    code: str,
    maker: Organisation | None,
    actor: Organisation | None,
    actor_user=None,
    parent: Battery | None = None,
    rated_capacity_ah=None,
    rated_energy_kwh=None,
    mass_kg=None,
    custodian: Organisation | None = None,
    occurred_at=None,
    registered: bool = True,
    is_cascade_product: bool = False,
) -> Battery:
    """Register one produced pack, module or cell by its GB/T 34014 code and write its ``produced`` event.

    Level, chemistry, specification and production date come from the code; a 25-character cascade-use code is
    accepted and flagged (domain.md §1). Raises :class:`TraceabilityError` naming the code's field at fault.
    """
    spec = BatterySpec(
        code=code,
        parent=parent,
        rated_capacity_ah=rated_capacity_ah,
        rated_energy_kwh=rated_energy_kwh,
        mass_kg=mass_kg,
        custodian=custodian,
        occurred_at=occurred_at,
        registered=registered,
        is_cascade_product=is_cascade_product,
        maker=maker,
    )
    return batteries_register_bulk(specs=[spec], maker=maker, actor=actor, actor_user=actor_user)[0]


@transaction.atomic
def battery_register_unknown(*, code: str, actor: Organisation, occurred_at) -> Battery:
    """A code first seen at a service point's intake (R-LIFE): kept as read, even when it does not parse, with
    ``registered=False`` and the parse errors in the ``produced`` event's payload; the caller then records
    ``received``. A code already known is returned as it is."""
    raw = (code or "").strip().upper()
    if not raw:
        raise TraceabilityError("a code is required", field="code", code="required")
    existing = Battery.objects.filter(code=raw).first()
    if existing is not None:
        return existing
    errors = None
    try:
        codes.parse(raw, today=timezone.localdate())
    except codes.CodeError as exc:
        errors = exc.as_dict()
    spec = BatterySpec(
        code=raw,
        custodian=actor,
        occurred_at=occurred_at,
        registered=False,
        maker=None,
        parse_errors=errors,
        payload={"first_seen_at_intake": True},
    )
    return batteries_register_bulk(specs=[spec], maker=None, actor=actor)[0]


@transaction.atomic
def batteries_register_bulk(
    *,
    specs: list[BatterySpec],
    maker: Organisation | None,
    actor: Organisation | None,
    actor_user: User | None = None,
    reported_at: datetime | None = None,
) -> list[Battery]:
    """Register many batteries at once (bulk uploads, demo data): batteries, ``produced`` events, ledger, hooks.

    Parents come before their children in ``specs`` or already exist. Raises :class:`TraceabilityError` at the
    first bad spec; nothing is written then.
    """
    now = timezone.now()
    reported_at = reported_at or now
    seen: dict[str, Battery] = {}
    batteries: list[Battery] = []
    for spec in specs:
        battery = _battery_from_spec(spec, maker=maker, actor=actor, seen=seen, now=now)
        seen[battery.code] = battery
        batteries.append(battery)
    taken = set(Battery.objects.filter(code__in=list(seen)).values_list("code", flat=True))
    if taken:
        raise TraceabilityError(
            f"already registered: {', '.join(sorted(taken)[:5])}", field="code", code="duplicate"
        )
    # Insert level by level so that a child's parent already has its id.
    for rank in (3, 2, 1, 0):
        group = [b for b in batteries if LEVEL_RANK.get(b.level, 0) == rank]
        for b in group:
            if b.parent is not None:
                b.parent_id = b.parent.pk
        Battery.objects.bulk_create(group, batch_size=5000)
    events = []
    for battery, spec in zip(batteries, specs, strict=True):
        occurred = spec.occurred_at or now
        reported = spec.reported_at or reported_at
        if occurred > reported:
            raise TraceabilityError("an event cannot happen after it is reported", field="occurred_at")
        payload = dict(spec.payload)
        if spec.parse_errors:
            payload["parse_errors"] = spec.parse_errors
        if battery.is_cascade_product:
            payload["cascade_product"] = True
        deadline, on_time = _deadline_for(kind=EventKind.PRODUCED, actor=actor, occurred_at=occurred,
                                          reported_at=reported)  # fmt: skip
        events.append(
            LifecycleEvent(
                battery=battery,
                kind=EventKind.PRODUCED,
                state_before="",
                state_after=State.REGISTERED,
                actor=actor,
                actor_user=actor_user,
                custodian_before_id=None,
                custodian_after_id=battery.custodian_id,
                region=battery.region,
                occurred_at=occurred,
                reported_at=reported,
                deadline=deadline,
                on_time=on_time,
                payload=payload,
            )
        )
    _insert_events(events)
    _after_events(events)
    hooks.records_written("battery", batteries)
    if len(batteries) == 1:
        audit_log(actor=actor_user, action="battery.register", obj=batteries[0])
    else:
        audit_log(
            actor=actor_user,
            action="battery.register_bulk",
            object_type="traceability.battery",
            object_id=f"{batteries[0].pk}..{batteries[-1].pk}",
            changes={"count": len(batteries)},
        )
    return batteries


def _battery_from_spec(
    spec: BatterySpec, *, maker: Organisation | None, actor: Organisation | None, seen: dict, now: datetime
) -> Battery:
    code = codes.normalise(spec.code)
    if code in seen:
        raise TraceabilityError(f"{code} appears twice", field="code", code="duplicate")
    if len(code) > Battery._meta.get_field("code").max_length:
        raise TraceabilityError("the code is too long to store", field="code", code="length")
    spec_maker = maker if spec.maker is UNCHANGED else spec.maker
    parsed = None
    if spec.parse_errors is None and spec.registered:
        parsed = parse_code(code)
    elif spec.parse_errors is None:
        try:
            parsed = codes.parse(code, today=timezone.localdate())
        except codes.CodeError:
            parsed = None
    parent = spec.parent or (seen.get(codes.normalise(spec.parent_code)) if spec.parent_code else None)
    if spec.parent_code and parent is None:
        parent = Battery.objects.filter(code=codes.normalise(spec.parent_code)).first()
        if parent is None:
            raise TraceabilityError(f"unknown parent {spec.parent_code}", field="parent", code="unknown")
    level = parsed.product_type if parsed else "P"
    if parent is not None and LEVEL_RANK[parent.level] <= LEVEL_RANK[level]:
        raise TraceabilityError(
            f"a {codes.PRODUCT_TYPES[level]} cannot be part of a {codes.PRODUCT_TYPES[parent.level]}",
            field="parent",
            code="hierarchy",
        )
    if actor is not None and spec.registered:
        # A maker registers its own codes; a cascade-use enterprise its products' new codes.
        mine = spec_maker is None or spec_maker.pk == actor.pk
        refusal = authority.decide(authority.Request(kind=EventKind.PRODUCED, state="", code=code,
                                                     actor_kinds=frozenset(actor.kinds),
                                                     relations=frozenset({"maker"} if mine else ())))  # fmt: skip
        if refusal is not None:
            raise _refused(refusal)
    custodian = spec.custodian or spec_maker or actor
    occurred = spec.occurred_at or now
    return Battery(
        code=code,
        level=level,
        parent=parent,
        manufacturer_code=parsed.manufacturer_code if parsed else "",
        chemistry=parsed.battery_type if parsed else "",
        spec_code=parsed.spec_code if parsed else "",
        rated_capacity_ah=spec.rated_capacity_ah,
        rated_energy_kwh=spec.rated_energy_kwh,
        mass_kg=spec.mass_kg,
        maker=spec_maker,
        production_date=parsed.production_date if parsed else None,
        custodian=custodian,
        state=State.REGISTERED,
        region=(custodian.region if custodian else "") or "",
        registered=spec.registered,
        is_cascade_product=spec.is_cascade_product or bool(parsed and parsed.is_cascade),
        created_at=now,
        state_changed_at=occurred,
    )


@transaction.atomic
def product_link(
    *, product: Battery, sources: list[Battery], actor: Organisation, actor_user=None, occurred_at
) -> None:
    """Link a cascade-use product's new code to every original it was built from (GB/T 34014 §1, R-CODE):
    a :class:`BatteryLink` per source and a ``cascade_repurposed`` event on each source, which is then consumed."""
    if not sources:
        raise TraceabilityError("a cascade-use product needs at least one original battery", field="sources")
    if any(s.pk == product.pk for s in sources):
        raise TraceabilityError("a product cannot be its own source", field="sources")
    links = BatteryLink.objects.bulk_create(
        [BatteryLink(source=s, product=product, created_at=timezone.now()) for s in sources],
        ignore_conflicts=False,
    )
    specs = [
        EventSpec(
            battery=s,
            kind=EventKind.CASCADE_REPURPOSED,
            occurred_at=occurred_at,
            payload={"consumed_into": product.code},
        )
        for s in sources
    ]
    events_record_bulk(specs=specs, actor=actor, actor_user=actor_user)
    hooks.records_written("battery_link", links)
    audit_log(
        actor=actor_user,
        action="battery.product_link",
        obj=product,
        changes={"sources": [s.code for s in sources]},
    )


# --- bindings and replacements (R-BIND) ---------------------------------------------------------------------


def pack_bindable_by(pack: Battery, automaker_id: int) -> bool:
    """Tenancy rule for binding: an automaker may bind a registered, unbound pack that is in its own custody, or
    still with its maker (or with nobody); a pack in another enterprise's custody (sold to another automaker)
    is not available to it."""
    return pack.registered and pack.level == "P" and pack.custodian_id in (None, automaker_id, pack.maker_id)


@transaction.atomic
def replacement_record(
    *,
    vehicle: Vehicle,
    pack_out: Battery,
    pack_in: Battery,
    actor: Organisation,
    actor_user: User | None = None,
    occurred_at: datetime,
    place: str = "",
    reported_at: datetime | None = None,
) -> Replacement:
    """A maintenance swap, "one in, one out" (第十条): the old pack leaves the vehicle into the outlet's custody,
    the new pack is bound in its place."""
    if not actor.has_kind("after_sales", "automaker"):
        raise TraceabilityError(
            "only an after-sales outlet or the automaker reports a replacement", field="actor"
        )
    if actor.has_kind("automaker") and not actor.has_kind("after_sales") and vehicle.automaker_id != actor.pk:
        raise TraceabilityError("no vehicle with this VIN is available to you", field="vin", code="not_found")
    if not Binding.objects.filter(vehicle=vehicle, pack=pack_out, unbound_at__isnull=True).exists():
        raise TraceabilityError("this pack is not in this vehicle", field="old_pack_code", code="not_bound")
    if not (pack_in.registered and pack_in.level == "P") or pack_in.custodian_id not in (
        None,
        actor.pk,
        pack_in.maker_id,
        vehicle.automaker_id,
    ):
        raise TraceabilityError(
            "no pack with this code is available to you", field="new_pack_code", code="not_found"
        )
    if pack_in.pk == pack_out.pk:
        raise TraceabilityError("the new pack must differ from the old one", field="new_pack_code")
    outcome = events_record_bulk(
        specs=[
            EventSpec(
                battery=pack_out,
                kind=EventKind.REPLACED_OUT,
                occurred_at=occurred_at,
                custodian_after=actor,
                place=place,
                region=vehicle.region or None,
                payload={"vin": vehicle.vin, "replaced_by": pack_in.code},
                reported_at=reported_at,
            ),
            EventSpec(
                battery=pack_in,
                kind=EventKind.REPLACED_IN,
                occurred_at=occurred_at,
                vehicle=vehicle,
                custodian_after=vehicle.automaker,
                place=place,
                region=vehicle.region or None,
                payload={"vin": vehicle.vin, "replaces": pack_out.code},
                reported_at=reported_at,
            ),
        ],
        actor=actor,
        actor_user=actor_user,
    )
    binding = Binding.objects.create(vehicle=vehicle, pack=pack_in, bound_at=occurred_at)
    replacement = Replacement.objects.create(
        vehicle=vehicle, pack_out=pack_out, pack_in=pack_in, actor=actor, occurred_at=occurred_at, place=place
    )
    hooks.records_written("binding", [binding])
    hooks.records_written("replacement", [replacement])
    audit_log(
        actor=actor_user,
        action="replacement.record",
        obj=replacement,
        changes={"events": [e.pk for e in outcome.events]},
    )
    return replacement


# --- bulk uploads: one result per item (REST and CSV/XLSX pages) -------------------------------------------

CREATED, UNCHANGED_STATUS, ERROR = "created", "unchanged", "error"


def _result(index: int, status: str, **extra) -> dict:
    return {"index": index, "status": status, **extra}


def _error(index: int, errors: dict, rule: str | None = None) -> dict:
    if rule:
        return _result(index, ERROR, errors=errors, rule=rule)
    return _result(index, ERROR, errors=errors)


def _parse_when(value, field_name: str) -> datetime:
    """A date (start of that day, local time) or an ISO datetime; never in the future."""
    from datetime import date as date_  # noqa: PLC0415

    if isinstance(value, datetime):
        when = value
    else:
        text = str(value or "").strip()
        if not text:
            raise TraceabilityError("this field is required", field=field_name, code="required")
        try:
            if len(text) == 10:
                d = date_.fromisoformat(text)
                when = datetime(d.year, d.month, d.day)
            else:
                when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise TraceabilityError(f"not a date or ISO time: {text!r}", field=field_name) from exc
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > timezone.now():
        raise TraceabilityError("this is in the future", field=field_name)
    return when


VEHICLE_USES = {"private", "taxi", "bus", "logistics", "other"}
REGIONS = {"BJ", "TJ", "HB", "OUT"}


@transaction.atomic
def bindings_upload(
    *,
    items: list,
    actor: Organisation,
    actor_user: User | None = None,
    reported_at: datetime | None = None,
    reported_at_by_index: dict[int, datetime] | None = None,
) -> list[dict]:
    """Vehicle-battery pairs from an automaker (R-BIND; 溯源管理暂行规定 第九条): ``{"vin", "pack_code",
    "sold_at"}`` plus optional ``model_name``, ``use`` and ``region`` (of registration; default the automaker's).

    Set-based, on plain tuples: the items are checked in Python, then one query loads (and locks) the packs with
    their open bindings and one the vehicles; the good items are written with ``COPY`` (vehicles, bindings,
    ``bound`` events), the packs move in one ``UPDATE``, the outbox hears of everything in one call and the ledger
    grows once, last, so that its lock is held as briefly as possible. An exact replay is ``unchanged``; every
    good item is kept when others fail.
    """
    now = timezone.now()
    reported_at = reported_at or now
    by_index = reported_at_by_index or {}
    # The authority once per upload: the per-pack relation (its holder, or still with its maker) is checked on
    # the locked rows below, as pack_bindable_by says.
    refusal = authority.decide(authority.Request(kind=EventKind.BOUND, state=State.REGISTERED,
                                                 actor_kinds=frozenset(actor.kinds), relations=frozenset({"holder"})))  # fmt: skip
    if refusal is not None:
        raise _refused(refusal)
    results: list[dict | None] = [None] * len(items)
    clean = _binding_items(items, actor=actor, results=results)
    if not clean:
        return results  # type: ignore[return-value]

    with connection.cursor() as cur:
        # Lock the packs in id order so that two uploads cannot deadlock; the open binding comes along (a
        # correlated lookup: one probe of the partial unique index per pack, whatever the statistics say).
        cur.execute(
            "SELECT b.id, b.code, b.level, b.registered, b.custodian_id, b.maker_id, b.production_date, b.state, "
            "b.region, (SELECT v.vin FROM traceability_binding k JOIN traceability_vehicle v ON v.id = k.vehicle_id "
            "WHERE k.pack_id = b.id AND k.unbound_at IS NULL), b.vehicle_use_ended FROM traceability_battery b "
            "WHERE b.code = ANY(%s) ORDER BY b.id FOR UPDATE",
            [list({c[2] for c in clean})],
        )
        packs = {row[1]: row for row in cur.fetchall()}
        cur.execute(
            "SELECT vin, id, automaker_id, region FROM traceability_vehicle WHERE vin = ANY(%s)",
            [list({c[1] for c in clean})],
        )
        vehicles = {row[0]: row for row in cur.fetchall()}

    new_vehicles: dict[str, list] = {}  # vin -> [id, vin, region, model_name, use, sold_on]
    planned: list[tuple] = []  # (index, pack row, vin, vehicle region, sold_at, reported, step before)
    used: set[str] = set()
    steps: dict[str, Any] = {}
    for i, vin, code, sold_at, extra in clean:
        pack = packs.get(code)
        bound_vin = pack[9] if pack is not None else None
        if pack is None or not (_bindable(pack, actor.pk) or bound_vin == vin):
            message = "no pack with this code is available to you"
            error = codes.check(code) if pack is None else None
            if error is not None:
                message = f"{error.field}: {error.message}"
            results[i] = _error(i, {"pack_code": [message]})
            continue
        vehicle = vehicles.get(vin)
        if vehicle is not None and vehicle[2] != actor.pk:
            results[i] = _error(i, {"vin": ["this VIN is registered by another automaker"]})
            continue
        if bound_vin == vin:
            results[i] = _result(i, UNCHANGED_STATUS, vin=vin, pack_code=code)
            continue
        if bound_vin is not None or code in used:
            results[i] = _error(i, {"pack_code": ["this pack is already bound to a vehicle"]})
            continue
        if pack[6] and sold_at.date() < pack[6]:
            results[i] = _error(i, {"sold_at": ["the vehicle cannot be sold before its pack was produced"]})
            continue
        state = (pack[7] or None, pack[10])
        if state not in steps:
            try:
                steps[state] = next_state(state[0], EventKind.BOUND, vehicle_use_ended=state[1])
            except IllegalTransition as exc:
                steps[state] = exc
        step = steps[state]
        if isinstance(step, IllegalTransition):
            results[i] = _error(i, {"pack_code": [f"{code}: {step}"]}, rule=step.rule)
            continue
        reported = by_index.get(i, reported_at)
        if sold_at > reported:
            results[i] = _error(i, {"occurred_at": ["an event cannot happen after it is reported"]})
            continue
        if vehicle is not None:
            region = vehicle[3]
        else:
            if vin not in new_vehicles:
                new_vehicles[vin] = [
                    None,
                    vin,
                    extra["region"],
                    extra["model_name"],
                    extra["use"],
                    sold_at.date(),
                ]
            region = new_vehicles[vin][2]
        used.add(code)
        planned.append((i, pack, vin, region or actor.region or pack[8] or "", sold_at, reported, step))
    if planned:
        _bindings_write(planned, new_vehicles, vehicles, actor=actor, actor_user=actor_user, now=now,
                        results=results, items=len(items))  # fmt: skip
    return results  # type: ignore[return-value]


def _bindable(pack: tuple, automaker_id: int) -> bool:
    """:func:`pack_bindable_by` on a row of the bindings query."""
    _, _, level, registered, custodian_id, maker_id = pack[:6]
    return registered and level == "P" and custodian_id in (None, automaker_id, maker_id)


def _binding_items(items: list, *, actor: Organisation, results: list) -> list[tuple]:
    """Field checks of each binding item, without the database: ``(index, vin, code, sold_at, extra)`` of the
    items that pass; the others get their error in ``results``."""
    from . import vin as vin_mod  # noqa: PLC0415

    clean: list[tuple] = []
    when: dict[str, datetime | TraceabilityError] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            results[i] = _error(i, {"non_field_errors": ["each item must be an object"]})
            continue
        errors: dict[str, list[str]] = {}
        try:
            vin = vin_mod.parse(str(item.get("vin") or "")).vin
        except vin_mod.VinError as exc:
            errors["vin"] = [f"{exc.field}: {exc.message}"]
        code = codes.normalise(str(item.get("pack_code") or ""))
        if not code:
            errors["pack_code"] = ["this field is required"]
        raw = item.get("sold_at")
        key = raw if isinstance(raw, str) else None
        sold_at = when.get(key) if key is not None else None
        if sold_at is None:
            try:
                sold_at = _parse_when(raw, "sold_at")
            except TraceabilityError as exc:
                sold_at = exc
            if key is not None:
                when[key] = sold_at  # a batch shares few dates: parse each once
        if isinstance(sold_at, TraceabilityError):
            errors.update(sold_at.as_dict())
        extra = {
            "model_name": str(item.get("model_name") or "")[:100],
            "use": str(item.get("use") or "private"),
            "region": str(item.get("region") or actor.region),
        }
        if extra["use"] not in VEHICLE_USES:
            errors["use"] = [f"one of {', '.join(sorted(VEHICLE_USES))}"]
        if extra["region"] not in REGIONS:
            errors["region"] = [f"one of {', '.join(sorted(REGIONS))}"]
        if errors:
            results[i] = _error(i, errors)
        else:
            clean.append((i, vin, code, sold_at, extra))
    return clean


BINDING_EVENT_COLUMNS = ("id", *EVENT_INSERT_COLUMNS)


def _bindings_write(planned, new_vehicles, vehicles, *, actor, actor_user, now, results, items) -> None:
    """Write the planned pairs of :func:`bindings_upload` (see there)."""
    from types import SimpleNamespace as Record  # noqa: PLC0415

    from .bulk_sql import copy_rows, reserve_ids  # noqa: PLC0415
    from .ledger_store import ledger_append_leaves, row_leaf_hash  # noqa: PLC0415

    kinds = tuple(actor.kinds)
    actor_user_id = getattr(actor_user, "pk", None)
    custodian_ids = {p[1][4] for p in planned} - {None, actor.pk}
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=custodian_ids)} if custodian_ids else {}
    orgs[actor.pk] = actor
    with connection.cursor() as cur:
        ids = reserve_ids(
            cur,
            {"traceability_vehicle": len(new_vehicles), "traceability_binding": len(planned),
             "traceability_lifecycleevent": len(planned)},
        )  # fmt: skip
        for vehicle, pk in zip(new_vehicles.values(), ids["traceability_vehicle"], strict=True):
            vehicle[0] = pk
        copy_rows(
            cur,
            "traceability_vehicle",
            ("id", "vin", "automaker_id", "region", "model_name", "use", "sold_at", "created_at"),
            [(pk, vin, actor.pk, region, model, use, sold, now) for pk, vin, region, model, use, sold in
             new_vehicles.values()],
        )  # fmt: skip
        vehicle_ids = {vin: v[0] for vin, v in new_vehicles.items()}
        vehicle_ids.update({vin: v[1] for vin, v in vehicles.items()})
        deadlines: dict[tuple, tuple] = {}
        binding_rows, event_rows, leaves, moves = [], [], [], []
        event_records, binding_records = [], []
        vehicle_records: dict[str, Any] = {}
        for n, (i, pack, vin, region, sold_at, reported, step) in enumerate(planned):
            # In UTC, as the rows read back: the outbox payload (and its hash) must not depend on who wrote it.
            sold_at, reported = sold_at.astimezone(UTC), reported.astimezone(UTC)
            binding_id, event_id = ids["traceability_binding"][n], ids["traceability_lifecycleevent"][n]
            pack_id, code, custodian_before = pack[0], pack[1], pack[4]
            key = (sold_at, reported)
            if key not in deadlines:
                deadlines[key] = _deadline_for_kinds(EventKind.BOUND, kinds, sold_at, reported)
            deadline, on_time = deadlines[key]
            payload = {"vin": vin}
            state_before, state_after = str(step.before or ""), str(step.after)
            binding_rows.append((binding_id, vehicle_ids[vin], pack_id, sold_at, None, "", now))
            event_rows.append((event_id, pack_id, EventKind.BOUND.value, state_before, state_after, actor.pk,
                               actor_user_id, custodian_before, actor.pk, "", "", region, sold_at, reported, deadline,
                               on_time, payload))  # fmt: skip
            row = {
                "id": event_id, "battery_code": code, "kind": EventKind.BOUND.value, "state_before": state_before,
                "state_after": state_after, "actor_id": actor.pk, "actor_user_id": actor_user_id,
                "custodian_before_id": custodian_before, "custodian_after_id": actor.pk, "place": "",
                "place_ref": "", "region": region, "occurred_at": sold_at, "reported_at": reported,
                "deadline": deadline, "on_time": on_time, "payload": payload,
            }  # fmt: skip
            leaves.append((event_id, row_leaf_hash(row)))
            moves.append((pack_id, region, sold_at))
            battery = Record(pk=pack_id, id=pack_id, code=code)
            event_records.append(
                Record(pk=event_id, battery=battery, battery_id=pack_id, actor=actor, actor_user_id=actor_user_id,
                       custodian_before=orgs.get(custodian_before), custodian_before_id=custodian_before,
                       custodian_after=actor, custodian_after_id=actor.pk, **{k: row[k] for k in _EVENT_FIELDS})
            )  # fmt: skip
            vehicle = vehicle_records.get(vin)
            if vehicle is None:
                new = new_vehicles.get(vin)
                vehicle = vehicle_records[vin] = Record(
                    pk=vehicle_ids[vin], id=vehicle_ids[vin], vin=vin, automaker=actor, automaker_id=actor.pk,
                    model_name=new[3] if new else "", region=new[2] if new else vehicles[vin][3],
                )  # fmt: skip
            binding_records.append(
                Record(pk=binding_id, id=binding_id, vehicle=vehicle, vehicle_id=vehicle.pk, pack=battery,
                       pack_id=pack_id, bound_at=sold_at, unbound_at=None, unbound_reason="", created_at=now)
            )  # fmt: skip
            results[i] = _result(i, CREATED, vin=vin, pack_code=code, event_id=event_id)
        copy_rows(cur, "traceability_binding",
                  ("id", "vehicle_id", "pack_id", "bound_at", "unbound_at", "unbound_reason", "created_at"),
                  binding_rows)  # fmt: skip
        copy_rows(cur, "traceability_lifecycleevent", BINDING_EVENT_COLUMNS, event_rows)
        cur.execute(
            "UPDATE traceability_battery AS b SET state = %s, custodian_id = %s, region = v.region, "
            "state_changed_at = v.changed FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[]) "
            "AS v(id, region, changed) WHERE b.id = v.id",
            [State.IN_VEHICLE.value, actor.pk, *map(list, zip(*moves, strict=True))],
        )
    hooks.records_written("lifecycle_event", event_records)
    hooks.records_written("binding", binding_records)
    audit_log(
        actor=actor_user,
        action="binding.upload",
        object_type="traceability.binding",
        object_id=f"{binding_rows[0][0]}..{binding_rows[-1][0]}",
        changes={"created": len(binding_rows), "items": items},
    )
    # Last: the ledger's lock serialises writers until commit.
    ledger_append_leaves(leaves)


_EVENT_FIELDS = ("id", "kind", "state_before", "state_after", "actor_id", "place", "place_ref", "region",
                 "occurred_at", "reported_at", "deadline", "on_time", "payload")  # fmt: skip


def _decimal(value, field_name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError as exc:
        raise TraceabilityError("not a number", field=field_name) from exc
    if not number.is_finite() or number <= 0 or number >= 10**6:
        raise TraceabilityError("must be a positive number below 1,000,000", field=field_name)
    return number


def _battery_specs(item: dict, *, parent_code: str = "", custodian=None, path: str = "") -> list[BatterySpec]:
    """One item and its nested ``children`` (modules, cells) as specs, parents first."""
    if not isinstance(item, dict):
        raise TraceabilityError("each item must be an object", field=path or "non_field_errors")
    code = codes.normalise(str(item.get("code") or ""))
    name = f"{path}code" if path else "code"
    if not code:
        raise TraceabilityError("this field is required", field=name, code="required")
    parse_code(code, field_name=name)
    spec = BatterySpec(
        code=code,
        parent_code=parent_code,
        rated_capacity_ah=_decimal(item.get("rated_capacity_ah"), f"{path}rated_capacity_ah"),
        rated_energy_kwh=_decimal(item.get("rated_energy_kwh"), f"{path}rated_energy_kwh"),
        mass_kg=_decimal(item.get("mass_kg"), f"{path}mass_kg"),
        custodian=custodian,
        occurred_at=_parse_when(item["produced_at"], f"{path}produced_at")
        if item.get("produced_at")
        else None,
    )
    specs = [spec]
    children = item.get("children") or []
    if not isinstance(children, list):
        raise TraceabilityError("must be a list", field=f"{path}children")
    for n, child in enumerate(children):
        specs.extend(
            _battery_specs(child, parent_code=code, custodian=custodian, path=f"{path}children[{n}].")[:]
        )
    return specs


@transaction.atomic
def batteries_upload(*, items: list, actor: Organisation, actor_user: User | None = None) -> list[dict]:
    """Produced codes from a battery maker (R-CODE): ``{"code", "rated_capacity_ah", "rated_energy_kwh",
    "mass_kg", "produced_at", "customer_uscc", "children": [...]}``; an item (a pack with its modules and cells)
    is registered whole or not at all. ``customer_uscc`` names the automaker the pack is sold to: it becomes the
    custodian, and only that automaker may then bind it."""
    if not actor.has_kind("battery_maker"):
        raise TraceabilityError("only a battery maker registers produced codes", field="actor")
    results: list[dict | None] = [None] * len(items)
    per_item: list[tuple[int, list[BatterySpec]]] = []
    customers = {
        o.uscc: o
        for o in Organisation.objects.filter(
            uscc__in={
                str(it.get("customer_uscc"))
                for it in items
                if isinstance(it, dict) and it.get("customer_uscc")
            }
        )
    }
    for i, item in enumerate(items):
        try:
            customer = None
            if isinstance(item, dict) and item.get("customer_uscc"):
                customer = customers.get(str(item["customer_uscc"]))
                if customer is None or not customer.has_kind("automaker"):
                    raise TraceabilityError("no automaker with this USCC", field="customer_uscc")
            per_item.append((i, _battery_specs(item, custodian=customer)))
        except TraceabilityError as exc:
            results[i] = _error(i, exc.as_dict())
    all_codes = [s.code for _, specs in per_item for s in specs]
    existing = dict(Battery.objects.filter(code__in=all_codes).values_list("code", "maker_id"))
    good: list[BatterySpec] = []
    accepted: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, specs in per_item:
        item_codes = [s.code for s in specs]
        if all(c in existing and existing[c] == actor.pk for c in item_codes):
            results[i] = _result(i, UNCHANGED_STATUS, code=item_codes[0])
            continue
        clash = [c for c in item_codes if c in existing or c in seen or item_codes.count(c) > 1]
        if clash:
            results[i] = _error(i, {"code": [f"already registered: {', '.join(clash[:3])}"]})
            continue
        seen.update(item_codes)
        good.extend(specs)
        accepted.append((i, item_codes[0]))
    if good:
        batteries_register_bulk(specs=good, maker=actor, actor=actor, actor_user=actor_user)
    for i, code in accepted:
        results[i] = _result(i, CREATED, code=code)
    return results  # type: ignore[return-value]


def replacements_upload(*, items: list, actor: Organisation, actor_user: User | None = None) -> list[dict]:
    """Pack swaps from after-sales outlets (R-BIND, 第十条): ``{"vin", "old_pack_code", "new_pack_code",
    "replaced_at", "place"}``. Low volume: one savepoint per item, so a bad item does not undo the others."""
    results = []
    for i, item in enumerate(items):
        try:
            with transaction.atomic():
                results.append(_replacement_item(i, item, actor=actor, actor_user=actor_user))
        except TraceabilityError as exc:
            results.append(_error(i, exc.as_dict()))
    return results


def _replacement_item(i: int, item, *, actor: Organisation, actor_user: User | None) -> dict:
    if not isinstance(item, dict):
        raise TraceabilityError("each item must be an object")
    vin = str(item.get("vin") or "").strip().upper()
    old_code = codes.normalise(str(item.get("old_pack_code") or ""))
    new_code = codes.normalise(str(item.get("new_pack_code") or ""))
    when = _parse_when(item.get("replaced_at"), "replaced_at")
    vehicle = Vehicle.objects.filter(vin=vin).first()
    if vehicle is None:
        raise TraceabilityError("no vehicle with this VIN is available to you", field="vin", code="not_found")
    old = Battery.objects.filter(code=old_code).first()
    new = Battery.objects.filter(code=new_code).first()
    if old is None:
        raise TraceabilityError("this pack is not in this vehicle", field="old_pack_code", code="not_bound")
    if new is None:
        raise TraceabilityError(
            "no pack with this code is available to you", field="new_pack_code", code="not_found"
        )
    if Replacement.objects.filter(vehicle=vehicle, pack_out=old, pack_in=new).exists():
        return _result(i, UNCHANGED_STATUS, vin=vin, new_pack_code=new_code)
    replacement_record(
        vehicle=vehicle,
        pack_out=old,
        pack_in=new,
        actor=actor,
        actor_user=actor_user,
        occurred_at=when,
        place=str(item.get("place") or "")[:200],
    )
    return _result(i, CREATED, vin=vin, new_pack_code=new_code)


# Kinds with their own endpoints: the generic one refuses them.
DEDICATED_KINDS = frozenset(
    {EventKind.PRODUCED, EventKind.BOUND, EventKind.REPLACED_IN, EventKind.REPLACED_OUT}
)


@transaction.atomic
def events_upload(*, items: list, actor: Organisation, actor_user: User | None = None) -> list[dict]:
    """Generic lifecycle events from the other actors (R-LIFE): ``{"battery_code", "kind", "occurred_at",
    "to_uscc", "manifest", "place", "place_ref", "payload"}``.

    Every item goes through the authority (:mod:`traceability.authority`) and the sibling apps' guards. A
    ``dispatched`` or ``handed_over`` item releases the battery to the enterprise ``to_uscc`` names; that
    enterprise confirms with a receipt (``received``, ``cascade_received``, ``regeneration_received``) and then
    holds it. A receipt without an open release naming the actor is refused (``custody.receipt_without_release``):
    a battery found without one is claimed through ``POST /api/v1/custody/claims/``.
    """
    results: list[dict | None] = [None] * len(items)
    wanted = {codes.normalise(str(it.get("battery_code") or "")) for it in items if isinstance(it, dict)}
    batteries = {b.code: b for b in Battery.objects.filter(code__in=wanted)}
    usccs = {str(it.get("to_uscc")) for it in items if isinstance(it, dict) and it.get("to_uscc")}
    orgs = {o.uscc: o for o in Organisation.objects.filter(uscc__in=usccs)}
    specs: list[EventSpec] = []
    index_of: list[int] = []
    for i, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise TraceabilityError("each item must be an object")
            battery = batteries.get(codes.normalise(str(item.get("battery_code") or "")))
            kind = str(item.get("kind") or "")
            if battery is None:
                raise TraceabilityError("no battery with this code is available to you", field="battery_code")
            if kind in DEDICATED_KINDS or kind == EventKind.RELEASE_CANCELLED:
                raise TraceabilityError(f"'{kind}' has its own endpoint", field="kind")
            after, release_to = UNCHANGED, None
            if item.get("to_uscc"):
                named = orgs.get(str(item["to_uscc"]))
                if named is None:
                    raise TraceabilityError("no organisation with this USCC", field="to_uscc")
                if kind in RELEASES:
                    release_to = named
                else:
                    after = named
            payload = item.get("payload") or {}
            if not isinstance(payload, dict):
                raise TraceabilityError("must be an object", field="payload")
            specs.append(
                EventSpec(
                    battery=battery,
                    kind=kind,
                    occurred_at=_parse_when(item.get("occurred_at"), "occurred_at"),
                    custodian_after=after,
                    place=str(item.get("place") or "")[:200],
                    place_ref=str(item.get("place_ref") or "")[:64],
                    payload=payload,
                    release_to=release_to,
                    manifest=str(item.get("manifest") or "")[:64],
                )
            )
            index_of.append(i)
        except TraceabilityError as exc:
            results[i] = _error(i, exc.as_dict(), rule=exc.code)
    outcome = events_record_bulk(specs=specs, actor=actor, actor_user=actor_user, skip_errors=True)
    written = iter(outcome.events)
    for n, i in enumerate(index_of):
        if n in outcome.errors:
            exc = outcome.errors[n]
            results[i] = _error(i, {exc.field: [exc.message]}, rule=exc.code)
        else:
            event = next(written)
            results[i] = _result(i, CREATED, battery_code=event.battery.code, event_id=event.pk)
    return results  # type: ignore[return-value]


# --- two-party custody: releases, receipts, claims (R-LIFE) -------------------------------------------------


def _battery_for(code: str, *, field_name: str = "battery_code") -> Battery:
    battery = Battery.objects.filter(code=codes.normalise(code or "")).first()
    if battery is None:
        raise TraceabilityError("no battery with this code is available to you", field=field_name,
                                code="not_found", http_status=404)  # fmt: skip
    return battery


@transaction.atomic
def release_record(
    *,
    battery: Battery,
    actor: Organisation,
    receiver: Organisation,
    occurred_at: datetime,
    kind: str = EventKind.HANDED_OVER,
    manifest: str = "",
    actor_user: User | None = None,
    place: str = "",
    payload: dict | None = None,
) -> CustodyRelease:
    """The holder releases ``battery`` to ``receiver`` (a ``handed_over`` in place, or ``dispatched`` under a
    manifest). Custody stays with the holder until the receiver confirms with :func:`receipt_confirm`."""
    if kind not in RELEASES:
        raise TraceabilityError(
            "a release is a hand-over or a dispatch", field="kind", code="custody.release_kind"
        )
    event_record(battery=battery, kind=kind, actor=actor, actor_user=actor_user, occurred_at=occurred_at,
                 release_to=receiver, manifest=manifest, place=place, payload=payload)  # fmt: skip
    return CustodyRelease.objects.get(battery=battery, status=ReleaseStatus.OPEN)


def receipt_kind_for(org: Organisation) -> str:
    """The receipt an enterprise of this kind records: cascade-use and regeneration enterprises have their own."""
    if org.has_kind("regeneration"):
        return EventKind.REGENERATION_RECEIVED
    if org.has_kind("cascade_use"):
        return EventKind.CASCADE_RECEIVED
    return EventKind.RECEIVED


@transaction.atomic
def receipt_confirm(
    *,
    battery: Battery,
    actor: Organisation,
    occurred_at: datetime,
    kind: str | None = None,
    actor_user: User | None = None,
    place: str = "",
    place_ref: str = "",
    region: str | None = None,
    payload: dict | None = None,
) -> LifecycleEvent:
    """The receiver named by the open release confirms it: the receipt event makes it the custodian."""
    return event_record(battery=battery, kind=kind or receipt_kind_for(actor), actor=actor, actor_user=actor_user,
                        occurred_at=occurred_at, place=place, place_ref=place_ref, region=region,
                        payload=payload)  # fmt: skip


@transaction.atomic
def release_cancel(
    *,
    battery: Battery,
    actor: Organisation,
    occurred_at: datetime,
    actor_user: User | None = None,
    reason: str = "",
) -> LifecycleEvent:
    """The holder withdraws an unconfirmed release; a dispatched battery returns to its state before."""
    return event_record(battery=battery, kind=EventKind.RELEASE_CANCELLED, actor=actor, actor_user=actor_user,
                        occurred_at=occurred_at, payload={"reason": reason[:300]} if reason else None)  # fmt: skip


@transaction.atomic
def claim_record(
    *,
    battery: Battery,
    actor: Organisation,
    reason: str,
    found_at: datetime,
    actor_user: User | None = None,
    place: str = "",
    place_ref: str = "",
    region: str = "",
    payload: dict | None = None,
) -> CustodyClaim:
    """A battery that turned up without a release (orphan, left with a repairer, a lost one found): a claim for
    the regulator of the region to review. Nothing about the battery changes until it is approved."""
    if battery.state in TERMINAL:
        raise TraceabilityError(f"{battery.code} is in final state '{battery.state}' and cannot be claimed",
                                field="battery_code", code="custody.claim_terminal", http_status=409)  # fmt: skip
    if battery.custodian_id == actor.pk and battery.state != State.LOST:
        raise TraceabilityError(f"{battery.code} is already in your custody", field="battery_code",
                                code="custody.claim_own", http_status=409)  # fmt: skip
    if not (reason or "").strip():
        raise TraceabilityError("say how the battery came to you", field="reason", code="required")
    if found_at is None or timezone.is_naive(found_at) or found_at > timezone.now():
        raise TraceabilityError("a past, time zone-aware time is required", field="found_at")
    kind = receipt_kind_for(actor)
    # Only an enterprise that may record this receipt at all may claim (a logistics firm may not).
    refusal = authority.decide(authority.Request(kind=kind, state=battery.state, actor_kinds=frozenset(actor.kinds),
                                                 relations=frozenset({"claim_approved"}),
                                                 custody_to=authority.TO_ACTOR))  # fmt: skip
    if refusal is not None:
        raise _refused(refusal)
    if CustodyClaim.objects.filter(battery=battery, claimant=actor, status=ClaimStatus.PENDING).exists():
        raise TraceabilityError(f"your claim to {battery.code} is already awaiting review", field="battery_code",
                                code="custody.claim_pending", http_status=409)  # fmt: skip
    claim = CustodyClaim.objects.create(
        battery=battery, claimant=actor, claimed_by=actor_user, receipt_kind=kind, reason=reason.strip()[:500],
        place=place[:200], place_ref=place_ref[:64], found_at=found_at,
        region=region or battery.region or actor.region, custodian_at_claim_id=battery.custodian_id,
        state_at_claim=battery.state, payload=payload or {},
    )  # fmt: skip
    hooks.records_written("custody_claim", [claim])
    audit_log(actor=actor_user, action="custody.claim", obj=claim, changes={"battery": battery.code})
    return claim


@transaction.atomic
def claim_review(
    *,
    claim: CustodyClaim,
    reviewer: Organisation,
    approve: bool,
    note: str = "",
    reviewer_user: User | None = None,
    occurred_at: datetime | None = None,
) -> CustodyClaim:
    """The regulator of the claim's region approves (custody moves with a receipt by the claimant) or rejects it."""
    claim = CustodyClaim.objects.select_for_update().select_related("battery", "claimant").get(pk=claim.pk)
    if not reviewer.is_regulator or reviewer.region != claim.region:
        raise TraceabilityError("only a regulator of the claim's region reviews it", field="actor",
                                code="custody.claim_reviewer", http_status=403)  # fmt: skip
    if claim.status != ClaimStatus.PENDING:
        raise TraceabilityError(f"the claim is already {claim.status}", field="claim", code="custody.claim_closed",
                                http_status=409)  # fmt: skip
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.reviewer, claim.reviewed_by, claim.review_note = reviewer, reviewer_user, note[:500]
    claim.reviewed_at = occurred_at or timezone.now()
    if approve:
        claim.event = event_record(
            battery=claim.battery, kind=claim.receipt_kind, actor=claim.claimant, actor_user=reviewer_user,
            occurred_at=max(claim.found_at, claim.battery.state_changed_at), place=claim.place,
            place_ref=claim.place_ref, region=claim.region, claim=claim,
            payload={"claim": claim.pk, "approved_by": reviewer.pk, "reason": claim.reason},
        )  # fmt: skip
    claim.save(update_fields=["status", "reviewer", "reviewed_by", "review_note", "reviewed_at", "event"])
    audit_log(actor=reviewer_user, action=f"custody.claim_{claim.status}", obj=claim,
              changes={"battery": claim.battery.code, "note": note})  # fmt: skip
    return claim


@transaction.atomic
def outlet_authorise(*, automaker: Organisation, outlet: Organisation) -> AfterSalesOutlet:
    """An automaker names an after-sales outlet of its vehicles (第十条)."""
    if not automaker.has_kind("automaker") or not outlet.has_kind("after_sales"):
        raise TraceabilityError("an automaker names an after-sales outlet", field="outlet", code="wrong_kind")
    link, _ = AfterSalesOutlet.objects.get_or_create(automaker=automaker, outlet=outlet)
    return link
