"""The event engine (R-LIFE): every lifecycle event, single or bulk, is planned here, asked of the authority
and the sibling apps' guards, written, ledgered and announced to the hooks inside one transaction.

Every write path ends in :func:`_after_events` (ledger + ``core.hooks.records_written("lifecycle_event", ...)``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from accounts.actors import acting_for, organisation_of, person
from accounts.models import Organisation, User
from core import hooks
from core.audit import audit_log
from core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

from .. import authority
from ..ledger_store import ledger_append
from ..lifecycle import (
    CONSUMING,
    ENDS_VEHICLE_USE,
    EventKind,
    IllegalTransition,
    State,
    next_state,
    separated_state,
)
from ..models import (
    AfterSalesOutlet,
    Battery,
    Binding,
    ClaimStatus,
    CustodyClaim,
    CustodyRelease,
    LifecycleEvent,
    ReleaseStatus,
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
# A separated module or cell goes to the holder of the parent it came out of.
RECEIVING = RECEIPTS | {EventKind.REMOVED, EventKind.SEPARATED}
VEHICLE_KINDS = frozenset(
    {EventKind.REMOVED, EventKind.REPLACED_OUT, EventKind.REPLACED_IN, EventKind.ASSESSED}
)


# The fields a refusal may name that are not one input of the request: a rule refused on them answers 422.
_NOT_INPUT = frozenset({"non_field_errors", "kind", "battery_code", "actor", "to_uscc"})


class TraceabilityError(Invalid):
    """A refused write; ``field`` names the input at fault where there is one. Invalid input (a refusal naming
    a field of the request) answers 400, a refused business rule 422; the subclasses below answer 403, 404
    and 409."""

    def __init__(self, message: str, *, field: str = "non_field_errors", code: str | None = None):
        super().__init__(message, field=field, code=code)
        if type(self).http_status == Invalid.http_status and field not in _NOT_INPUT:
            self.http_status = 400


class TraceabilityForbidden(Forbidden, TraceabilityError):
    """The actor has no standing for this write (403)."""


class TraceabilityNotFound(NotFound, TraceabilityError):
    """No battery or record with this key is visible to the actor (404)."""


class TraceabilityConflict(Conflict, TraceabilityError):
    """The write conflicts with custody or the lifecycle state (409)."""


_BY_STATUS = {c.http_status: c for c in (TraceabilityForbidden, TraceabilityNotFound, TraceabilityConflict)}


def _require_writer(user: User | None) -> None:
    """A read-only account records nothing; the platform, acting with no account, is not one."""
    if user is not None and not user.can_write:
        raise TraceabilityForbidden("a read-only account cannot record custody", field="actor",
                                    code="actor.read_only")  # fmt: skip


def refusal_class(status: int) -> type[TraceabilityError]:
    """The traceability refusal answering ``status`` (another app's refusal keeps its status through it)."""
    return _BY_STATUS.get(status, TraceabilityError)


def _refused(exc: ServiceError) -> TraceabilityError:
    """An authority refusal or a guard's error as the core's error, keeping its rule, field and status."""
    if isinstance(exc, TraceabilityError):
        return exc
    status = getattr(exc, "http_status", 422)
    return refusal_class(status)(exc.message, field=exc.field, code=exc.code)


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
    restore_state: str = ""  # a correction returns the battery to this state (``corrected``)
    relations: frozenset[str] = frozenset()  # relations to the battery the calling service established


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
    # Packs, modules and cells: parent id -> parent (this write's instance where it is in it); parent id -> its
    # registered children and those separated in this write; parent id -> its state when taken apart here.
    parents: dict[int, Battery] = field(default_factory=dict)
    children_of: dict[int, set[int]] = field(default_factory=dict)
    separating: dict[int, set[int]] = field(default_factory=dict)
    taken_apart: dict[int, str] = field(default_factory=dict)


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
    _family_facts(specs, facts)
    return facts


def _family_facts(specs: list[EventSpec], facts: _Facts) -> None:
    """Parents of the children in this write, and the children of the packs or modules taken apart in it (no
    query when no spec concerns a module, a cell or a disassembly)."""
    mine = {s.battery.pk: s.battery for s in specs}
    parent_ids = {s.battery.parent_id for s in specs if s.battery.parent_id is not None}
    if parent_ids:
        facts.parents = {pk: mine[pk] for pk in parent_ids if pk in mine}
        missing = parent_ids - set(facts.parents)
        if missing:
            facts.parents.update({b.pk: b for b in Battery.objects.filter(pk__in=missing)})
    for s in specs:
        if s.kind == EventKind.SEPARATED and s.battery.parent_id is not None:
            facts.separating.setdefault(s.battery.parent_id, set()).add(s.battery.pk)
    taken = [s.battery.pk for s in specs if s.kind == EventKind.DISASSEMBLED]
    if taken:
        for pk, parent_id in Battery.objects.filter(parent_id__in=taken).values_list("pk", "parent_id"):
            facts.children_of.setdefault(parent_id, set()).add(pk)


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
    parent = facts.parents.get(battery.parent_id) if battery.parent_id is not None else None
    if (
        spec.kind == EventKind.SEPARATED
        and parent is not None
        and parent.pk in facts.taken_apart
        and parent.custodian_id == actor.pk
    ):
        rel.add("disassembling_parent")
    return rel | spec.relations


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
    _check_family(battery, spec, facts)
    try:
        step = next_state(battery.state or None, spec.kind, vehicle_use_ended=battery.vehicle_use_ended)
    except IllegalTransition as exc:
        raise TraceabilityConflict(f"{battery.code}: {exc}", field="kind", code=exc.rule) from exc
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
    if spec.kind == EventKind.CORRECTED and spec.restore_state:
        state_after = State(spec.restore_state)
    if spec.kind == EventKind.SEPARATED and battery.parent_id in facts.taken_apart:
        state_after = separated_state(facts.taken_apart[battery.parent_id])
    release = facts.releases.get(battery.pk)
    if spec.kind == EventKind.RELEASE_CANCELLED:
        if release is None:
            raise TraceabilityConflict(f"{battery.code} has no open release to cancel", field="battery_code",
                                       code="custody.no_open_release")  # fmt: skip
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
        receiver = _check_release(battery, spec, actor, release)
        payload.setdefault("to", receiver.uscc)
        if spec.manifest:
            payload.setdefault("manifest", spec.manifest)
    proposal = Proposal(battery=battery, kind=spec.kind, actor=actor, occurred_at=spec.occurred_at,
                        payload=payload, state_before=battery.state, custodian_after_id=after_id,
                        release=release)  # fmt: skip
    try:
        hooks.guards_check(spec.kind, proposal)
    except ServiceError as exc:
        raise _refused(exc) from exc
    after_region = custodian_after.region if isinstance(custodian_after, Organisation) else None
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
    if spec.kind == EventKind.DISASSEMBLED:
        facts.taken_apart[battery.pk] = battery.state
    battery.state, battery.custodian_id, battery.region = state_after, after_id, region or battery.region
    battery.state_changed_at = spec.occurred_at
    if state_after in ENDS_VEHICLE_USE:
        battery.vehicle_use_ended = True
    return event


def _check_family(battery: Battery, spec: EventSpec, facts: _Facts) -> None:
    """Packs, modules and cells (R-CODE, R-LIFE): a child inside an intact parent has no path of its own (the
    parent's events are its trace, by reference), and a disassembly gives every registered child its own path
    in the same write."""
    parent = facts.parents.get(battery.parent_id) if battery.parent_id is not None else None
    if parent is not None and parent.state != State.DISASSEMBLED:
        refusal = authority.inside_parent(spec.kind, code=battery.code, parent_code=parent.code,
                                          parent_state=parent.state)  # fmt: skip
        if refusal is not None:
            raise _refused(refusal)
    if spec.kind == EventKind.DISASSEMBLED:
        separated = facts.separating.get(battery.pk, set())
        left = facts.children_of.get(battery.pk, set()) - separated
        if left or not separated:
            raise TraceabilityError(
                f"{battery.code}: a disassembly names the modules or cells it gives, and every registered one "
                f"is separated with it ({len(left)} left inside)",
                field="children", code="disassembly.children_separated",
            )  # fmt: skip


def _check_release(battery: Battery, spec: EventSpec, actor: Organisation | None, release) -> Organisation:
    """The receiver a release names, refused unless it may take the battery in and no release is open."""
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
        raise TraceabilityConflict(
            f"{battery.code} is already released to {release.receiver}; cancel that release first",
            field="battery_code", code="custody.release_open",
        )  # fmt: skip
    return receiver


def _track_release(battery, spec, actor, event, release, facts: _Facts) -> None:
    """Keep the open releases of this write up to date in memory; rows are written with the events."""
    if (
        spec.kind in RELEASES
        and spec.release_to is not None
        and event.custodian_after_id == event.custodian_before_id
    ):
        new = CustodyRelease(
            battery_id=battery.pk,
            releaser=actor,
            receiver=spec.release_to,
            kind=spec.kind,
            manifest=spec.manifest[:64],
            state_before=battery.state,
            region=battery.region or "",
        )
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
    actor: User | None,
    occurred_at: datetime,
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
    on_behalf_of: Organisation | None = None,
) -> LifecycleEvent:
    """Record one lifecycle event: check the state machine, ask the authority and the guards, append the event,
    move the battery (R-LIFE). ``actor`` is None for the platform on its own. The event is the actor's
    organisation's, or ``on_behalf_of``'s where a platform administrator records it for another enterprise (the
    authority then asks about that enterprise; the trace names both).

    ``release_to`` names the receiver of a dispatch or hand-over: custody stays with the holder until the
    receiver records its receipt (``received``, ``cascade_received``, ``regeneration_received``), which then
    makes it the custodian. The battery row is locked for the duration, so concurrent events on one battery are
    serialised. Raises :class:`TraceabilityError` whose ``code`` names the refusing rule.
    """
    spec = EventSpec(
        battery=battery,
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
    org = organisation_of(actor) if on_behalf_of is None else _acting_for(actor, on_behalf_of)
    return _event_write(spec, org=org, user=person(actor))


def _acting_for(actor: User | None, organisation: Organisation) -> Organisation:
    try:
        return acting_for(actor, organisation)
    except Forbidden as exc:
        raise TraceabilityForbidden(exc.message, field=exc.field, code=exc.code) from exc


def _event_write(spec: EventSpec, *, org: Organisation | None, user: User | None) -> LifecycleEvent:
    """:func:`event_record` for the services of this package, which may record an organisation's event with
    another organisation's person (a regulator's approval carries out the claimant's receipt); the caller's
    ``spec.battery`` reflects the move."""
    _require_writer(user)
    battery, kind, occurred_at = spec.battery, spec.kind, spec.occurred_at
    locked = spec.battery = Battery.objects.select_for_update().get(pk=battery.pk)
    now = timezone.now()
    facts = _facts([spec], org)
    event = _plan(locked, spec, actor=org, actor_user=user, now=now, facts=facts)
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
    audit_log(actor=user, action=f"battery.event.{kind}", obj=locked, changes={"event": event.pk})
    return event


@transaction.atomic
def events_record_bulk(
    *,
    specs: list[EventSpec],
    actor: User | None,
    skip_errors: bool = False,
) -> BulkOutcome:
    """Record many events in a handful of statements (internal and bulk writes), with the checks of
    :func:`event_record`. Several specs may concern one battery; they apply in order.

    With ``skip_errors`` a refused spec is reported in ``errors`` and the others are written; without it the first
    refusal raises and nothing is written. ``actor`` is None for the platform on its own.
    """
    return _events_write(specs, org=organisation_of(actor), user=person(actor), skip_errors=skip_errors)


def _events_write(
    specs: list[EventSpec], *, org: Organisation | None, user: User | None, skip_errors: bool = False
) -> BulkOutcome:
    """:func:`events_record_bulk` for the services of this package, as :func:`_event_write` is for one event."""
    _require_writer(user)
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
    facts = _facts(specs, org)
    for i, spec in enumerate(specs):
        battery = spec.battery
        try:
            event = _plan(battery, spec, actor=org, actor_user=user, now=now, facts=facts, index=i)
        except TraceabilityError as exc:
            if not skip_errors:
                raise type(exc)(f"item {i}: {exc.message}", field=exc.field, code=exc.code) from exc
            outcome.errors[i] = exc
            continue
        outcome.events.append(event)
        if spec.kind in UNBINDING:
            unbind[battery.pk] = (spec.occurred_at, spec.kind)
    _write_events(outcome.events, [locked[i] for i in {e.battery_id for e in outcome.events}])
    _write_releases(facts, now)
    _close_bindings_at(unbind)
    if outcome.events:
        audit_log(
            actor=user,
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


def _close_bindings_at(unbind: dict[int, tuple[datetime, str]]) -> None:
    """:func:`_close_bindings` for packs leaving at their own times, in two statements whatever their number."""
    if not unbind:
        return
    ids, ats, reasons = zip(*((pk, at, str(reason)) for pk, (at, reason) in unbind.items()), strict=True)
    values = "unnest(%s::bigint[], %s::timestamptz[], %s::varchar[]) AS v(pack_id, at, reason)"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT EXISTS (SELECT 1 FROM traceability_binding k JOIN {values} ON k.pack_id = v.pack_id "
            "WHERE k.unbound_at IS NULL AND k.bound_at > v.at)",
            [list(ids), list(ats), list(reasons)],
        )
        if cur.fetchone()[0]:
            raise TraceabilityError(
                "the pack cannot leave the vehicle before it was bound", field="occurred_at"
            )
        cur.execute(
            f"UPDATE traceability_binding AS k SET unbound_at = v.at, unbound_reason = v.reason FROM {values} "
            "WHERE k.pack_id = v.pack_id AND k.unbound_at IS NULL",
            [list(ids), list(ats), list(reasons)],
        )


def _deadline_for(*, kind: str, actor: Organisation | None, occurred_at: datetime, reported_at: datetime):
    return _deadline_for_kinds(kind, tuple(actor.kinds) if actor else (), occurred_at, reported_at)


def _deadline_for_kinds(kind: str, actor_kinds: tuple, occurred_at: datetime, reported_at: datetime):
    from ..deadlines import evaluate_cached  # noqa: PLC0415 - keeps the calendar cache out of import time

    return evaluate_cached(
        kind=kind, actor_kinds=actor_kinds, occurred_at=occurred_at, reported_at=reported_at
    )


def _after_events(events: list[LifecycleEvent]) -> None:
    """Ledger and outbox for newly written events, inside the caller's transaction."""
    ledger_append(events)
    hooks.records_written("lifecycle_event", events)
