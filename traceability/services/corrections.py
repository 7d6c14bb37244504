"""Corrections without rewriting (R-LIFE), in the manner of GS1 EPCIS 2.0 ``errorDeclaration`` (CBV 2.0 §7.5):
a wrong event is declared erroneous with a declaration time, a coded reason and the corrective events; the history
stays append-only.

Rules, each refusal naming its rule in ``code``:

- ``correction.not_original_actor``: only the event's own actor declares it, or a regulator of the battery's region
  (a regulator-initiated correction, e.g. of an event the platform recorded with no actor such as a wrong
  missing-in-transit report). A regulator's declaration is effective at once: the regulator is the reviewer.
- ``correction.not_latest``: an event that moved the battery (its state, custodian, a release or a binding) is
  corrected only while it is the battery's latest such event; a longer history is corrected by declaring the later
  events first, never by rewriting it. An event that moved nothing (stored, assessed, ...) may be corrected at any
  time.
- ``correction.already_declared`` (an event has at most one pending or effective declaration; a rejected one may be
  declared again), ``correction.of_correction``, ``correction.first_event``, ``correction.terminal`` (a battery in
  a final state is not corrected), ``correction.reason``, ``correction.corrective_kind``.
- The correction is a ``corrected`` event (a ledger leaf whose payload names the declaration, the wrong event and
  the reason) that returns the battery to its state, custodian, region, binding and release before the wrong
  event; the corrective events then go through the event engine as the declarant: the authority and the sibling
  apps' guards apply to them as to any event, and a refusal refuses the whole correction (nothing is written).
- Where the correction moves custody (the battery's custodian after the correction and its corrective events is not
  its custodian now), the declaration is ``pending`` and nothing changes until the region's regulator approves it
  (:func:`error_review`); approval applies it then, under the same checks.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.actors import acting_organisation, person
from accounts.models import Organisation, User
from core import hooks
from core.audit import audit_log
from core.dates import parse_when

from .. import codes
from ..lifecycle import ENDS_VEHICLE_USE, TERMINAL, EventKind
from ..models import (
    Battery,
    Binding,
    CustodyRelease,
    DeclarationStatus,
    ErrorDeclaration,
    ErrorReason,
    LifecycleEvent,
    ReleaseStatus,
    not_declared_erroneous,
)
from .events import (
    RELEASES,
    UNBINDING,
    EventSpec,
    TraceabilityError,
    _events_write,
    _require_writer,
    refusal_class,
)

# Beyond a change of state or custodian, these kinds move a battery: they open or close a release or a binding.
MOVING_KINDS = RELEASES | UNBINDING | {EventKind.RELEASE_CANCELLED, EventKind.BOUND, EventKind.REPLACED_IN}
# Corrective events are ordinary engine events; these have services of their own (registration, bindings,
# disassembly) or are the correction itself.
NOT_CORRECTIVE = frozenset(
    {EventKind.PRODUCED, EventKind.BOUND, EventKind.REPLACED_IN, EventKind.CORRECTED, EventKind.DISASSEMBLED}
)
MAX_CORRECTIVE = 10
OPEN_STATUSES = (DeclarationStatus.EFFECTIVE, DeclarationStatus.PENDING, DeclarationStatus.APPROVED)


def _moved(event: LifecycleEvent) -> bool:
    return (
        event.state_before != event.state_after
        or event.custodian_before_id != event.custodian_after_id
        or event.kind in MOVING_KINDS
    )


def _error(
    message: str, *, code: str, field: str = "non_field_errors", status: int = 422
) -> TraceabilityError:
    return refusal_class(status)(message, field=field, code=code)


def _parse_corrective(items, *, battery: Battery) -> list[dict]:
    """The corrective events as JSON-ready dicts (kept on the declaration until it takes effect)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise _error("corrective events are a list", code="invalid", field="corrective")
    if len(items) > MAX_CORRECTIVE:
        raise _error(f"at most {MAX_CORRECTIVE} corrective events", code="invalid", field="corrective")
    out = []
    for i, item in enumerate(items):
        where = f"corrective[{i}]"
        if not isinstance(item, dict):
            raise _error("each corrective event is an object", code="invalid", field=where)
        kind = str(item.get("kind") or "")
        if kind not in set(EventKind) or kind in NOT_CORRECTIVE:
            raise _error(f"'{kind[:40]}' cannot be a corrective event; record it through its own service",
                         code="correction.corrective_kind", field=f"{where}.kind")  # fmt: skip
        occurred_at = parse_when(
            item.get("occurred_at"), field=f"{where}.occurred_at", refusal=TraceabilityError
        )
        code = codes.normalise(str(item.get("battery_code") or battery.code))[:64]
        payload = item.get("payload") or {}
        if not isinstance(payload, dict) or len(json.dumps(payload, default=str)) > 4000:
            raise _error("the payload is an object of at most 4,000 characters", code="invalid",
                         field=f"{where}.payload")  # fmt: skip
        to_uscc = str(item.get("to_uscc") or "")[:18]
        if to_uscc and not Organisation.objects.filter(uscc=to_uscc).exists():
            raise _error("no organisation with this USCC", code="not_found", field=f"{where}.to_uscc")
        if code != battery.code and not Battery.objects.filter(code=code).exists():
            raise _error(
                "no battery with this code", code="not_found", field=f"{where}.battery_code", status=404
            )
        out.append({
            "battery_code": code, "kind": kind, "occurred_at": occurred_at.isoformat(),
            "place": str(item.get("place") or "")[:200], "place_ref": str(item.get("place_ref") or "")[:64],
            "to_uscc": to_uscc, "manifest": str(item.get("manifest") or "")[:64],
            "payload": json.loads(json.dumps(payload, default=str)),
        })  # fmt: skip
    return out


def _check_correctable(event: LifecycleEvent, battery: Battery) -> None:
    """The rules that hold at declaration and again at approval (the battery may have moved in between)."""
    if battery.state in TERMINAL:
        raise _error(f"{battery.code} is in final state '{battery.state}' and is not corrected",
                     code="correction.terminal", field="event_id", status=409)  # fmt: skip
    if not _moved(event):
        return
    # Later events already corrected (and the corrections themselves) no longer stand in the way.
    later = (
        LifecycleEvent.objects.filter(battery_id=battery.pk, id__gt=event.pk)
        .filter(not_declared_erroneous())
        .exclude(kind=EventKind.CORRECTED)
    ).only("kind", "state_before", "state_after", "custodian_before_id", "custodian_after_id")
    if any(_moved(e) for e in later):
        raise _error(
            f"event {event.pk} is not the latest event that moved {battery.code}: declare the later ones first",
            code="correction.not_latest", field="event_id", status=409,
        )  # fmt: skip


class _Hold(Exception):
    """The correction would move custody: roll its trial back and wait for the regulator."""


@transaction.atomic
def error_declare(
    *,
    actor: User,
    event_id: int,
    reason: str,
    note: str = "",
    corrective: list[dict] | None = None,
) -> ErrorDeclaration:
    """Declare event ``event_id`` erroneous (EPCIS 2.0 ``errorDeclaration``) and, unless the correction moves
    custody, carry it out at once: a ``corrected`` event back to the state before, then the ``corrective`` events
    (``[{"kind", "occurred_at", "battery_code", "to_uscc", "manifest", "place", "place_ref", "payload"}]``).
    Returns the declaration, ``effective`` or ``pending`` the region's regulator."""
    org, actor_user = acting_organisation(actor), person(actor)
    _require_writer(actor_user)
    event = None
    if str(event_id).isdigit() and len(str(event_id)) < 19:
        event = LifecycleEvent.objects.filter(pk=int(event_id)).select_related("battery").first()
    if event is None:
        raise _error("no such event is available to you", code="not_found", field="event_id", status=404)
    battery = Battery.objects.select_for_update().get(pk=event.battery_id)
    by_regulator = org.is_regulator and org.region == battery.region
    if event.actor_id != org.pk and not by_regulator:
        raise _error("only the enterprise that recorded the event (or the region's regulator) declares it erroneous",
                     code="correction.not_original_actor", field="actor", status=403)  # fmt: skip
    if reason not in ErrorReason.values:
        raise _error(f"the reason is one of: {', '.join(ErrorReason.values)}", code="correction.reason",
                     field="reason")  # fmt: skip
    if event.kind == EventKind.CORRECTED:
        raise _error("a correction is not itself corrected; declare its corrective events instead",
                     code="correction.of_correction", field="event_id", status=409)  # fmt: skip
    if not event.state_before:
        raise _error("the first event of a battery is not corrected", code="correction.first_event",
                     field="event_id", status=409)  # fmt: skip
    if ErrorDeclaration.objects.filter(event=event, status__in=OPEN_STATUSES).exists():
        raise _error(f"event {event.pk} is already declared erroneous", code="correction.already_declared",
                     field="event_id", status=409)  # fmt: skip
    _check_correctable(event, battery)
    specs = _parse_corrective(corrective, battery=battery)
    now = timezone.now()
    declaration = ErrorDeclaration.objects.create(
        battery=battery, event=event, declarant=org, declared_by=actor_user, declared_at=now, reason=reason,
        note=(note or "").strip()[:500], corrective=specs, region=battery.region or org.region,
        status=DeclarationStatus.PENDING,
    )  # fmt: skip
    try:
        with transaction.atomic():
            moves = _apply(declaration, event=event, actor_user=actor_user, now=now)
            if moves and not by_regulator:
                raise _Hold
    except _Hold:
        declaration.correction_event = None
        declaration.moves_custody = True
    else:
        declaration.status = DeclarationStatus.EFFECTIVE
        if by_regulator:
            declaration.reviewer, declaration.reviewed_by, declaration.reviewed_at = org, actor_user, now
    declaration.save()
    hooks.records_written("error_declaration", [declaration])
    audit_log(actor=actor_user, action=f"correction.declared_{declaration.status}", obj=declaration,
              changes={"event": event.pk, "battery": battery.code, "reason": reason,
                       "corrective": len(specs)})  # fmt: skip
    return declaration


@transaction.atomic
def error_review(
    *,
    actor: User,
    declaration_id: int,
    decision: str,
    note: str = "",
) -> ErrorDeclaration:
    """The regulator of the declaration's region approves a pending correction (it is carried out now, under the
    same checks as any event) or rejects it (nothing changes)."""
    org, actor_user = acting_organisation(actor), person(actor)
    _require_writer(actor_user)
    declaration = None
    if str(declaration_id).isdigit() and len(str(declaration_id)) < 19:
        declaration = (
            ErrorDeclaration.objects.select_for_update()
            .select_related("event", "battery")
            .filter(pk=int(declaration_id))
        ).first()
    if declaration is None:
        raise _error("no such declaration", code="not_found", field="declaration_id", status=404)
    if not org.is_regulator or org.region != declaration.region:
        raise _error("only a regulator of the declaration's region reviews it", code="correction.reviewer",
                     field="actor", status=403)  # fmt: skip
    if declaration.status != DeclarationStatus.PENDING:
        raise _error(f"the declaration is already {declaration.status}", code="correction.closed",
                     field="declaration_id", status=409)  # fmt: skip
    if decision not in ("approve", "reject"):
        raise _error("approve or reject", code="invalid", field="decision")
    now = timezone.now()
    declaration.reviewer, declaration.reviewed_by = org, actor_user
    declaration.review_note, declaration.reviewed_at = (note or "").strip()[:500], now
    if decision == "approve":
        battery = Battery.objects.select_for_update().get(pk=declaration.battery_id)
        _check_correctable(declaration.event, battery)
        _apply(declaration, event=declaration.event, actor_user=actor_user, now=now, approved_by=org)
        declaration.status = DeclarationStatus.APPROVED
    else:
        declaration.status = DeclarationStatus.REJECTED
    declaration.save()
    hooks.records_written("error_declaration", [declaration])
    audit_log(actor=actor_user, action=f"correction.{declaration.status}", obj=declaration,
              changes={"event": declaration.event_id, "note": declaration.review_note})  # fmt: skip
    return declaration


def _before(event: LifecycleEvent) -> tuple[LifecycleEvent | None, bool]:
    """The latest event in force that moved the battery before ``event``, and whether its vehicle use had ended."""
    earlier = list(
        LifecycleEvent.objects.filter(battery_id=event.battery_id, id__lt=event.pk)
        .filter(not_declared_erroneous())
        .exclude(kind=EventKind.CORRECTED)
        .order_by("-id")
        .only(
            "kind",
            "state_before",
            "state_after",
            "custodian_before_id",
            "custodian_after_id",
            "region",
            "occurred_at",
        )  # fmt: skip
    )
    ended = any(e.state_after in ENDS_VEHICLE_USE for e in earlier)
    return next((e for e in earlier if _moved(e)), None), ended


def _apply(
    declaration: ErrorDeclaration,
    *,
    event: LifecycleEvent,
    actor_user: User | None,
    now: datetime,
    approved_by: Organisation | None = None,
) -> bool:
    """Write the correction and its corrective events; True when the battery's custodian ends up elsewhere."""
    battery = Battery.objects.get(pk=event.battery_id)
    custodian_now = battery.custodian_id
    moved = _moved(event)
    previous, ended = _before(event) if moved else (None, battery.vehicle_use_ended)
    payload = {
        "error_declaration": declaration.pk,
        "corrects": event.pk,
        "reason": declaration.reason,
        "declared_by": declaration.declarant_id,
        "declared_at": declaration.declared_at.isoformat(),
    }
    if declaration.note:
        payload["note"] = declaration.note
    if approved_by is not None:
        payload["approved_by"] = approved_by.pk
    spec = EventSpec(
        battery=battery,
        kind=EventKind.CORRECTED,
        occurred_at=now,
        reported_at=now,
        payload=payload,
        region=(previous.region if previous else "") or battery.region or None,
        relations=frozenset({"correction_declarant", "correction_effective"}),
    )
    if moved:
        spec.restore_state = event.state_before
        spec.custodian_after = (
            Organisation.objects.get(pk=event.custodian_before_id) if event.custodian_before_id else None
        )
    correction = _record([spec], declaration.declarant, actor_user, field="event_id")[0]
    if moved:
        _restore_links(event, correction, now)
        Battery.objects.filter(pk=battery.pk).update(
            vehicle_use_ended=ended, state_changed_at=previous.occurred_at if previous else battery.created_at
        )
    corrective = _corrective_specs(declaration, event)
    written = _record(corrective, declaration.declarant, actor_user, field="corrective") if corrective else []
    declaration.correction_event = correction
    declaration.save(update_fields=["correction_event"])
    declaration.corrective_events.set(written)
    return Battery.objects.filter(pk=battery.pk).values_list("custodian_id", flat=True).get() != custodian_now


def _record(specs: list[EventSpec], org, actor_user, *, field: str) -> list[LifecycleEvent]:
    # The declarant's events, recorded with the person who declared or approved the correction.
    try:
        return _events_write(specs, org=org, user=actor_user).events
    except TraceabilityError as exc:
        what = "the correction" if field == "event_id" else "a corrective event"
        raise type(exc)(f"{what} is refused, nothing was recorded: {exc.message}", field=field,
                        code=exc.code) from exc  # fmt: skip


def _corrective_specs(declaration: ErrorDeclaration, event: LifecycleEvent) -> list[EventSpec]:
    items = declaration.corrective or []
    batteries = {b.code: b for b in Battery.objects.filter(code__in={i["battery_code"] for i in items})}
    receivers = {
        o.uscc: o for o in Organisation.objects.filter(uscc__in={i["to_uscc"] for i in items} - {""})
    }
    specs = []
    for i, item in enumerate(items):
        battery = batteries.get(item["battery_code"])
        if battery is None:
            raise _error("no battery with this code", code="not_found", field=f"corrective[{i}].battery_code",
                         status=404)  # fmt: skip
        spec = EventSpec(
            battery=battery, kind=item["kind"], occurred_at=parse_when(item["occurred_at"], field="occurred_at", refusal=TraceabilityError),
            place=item["place"], place_ref=item["place_ref"], manifest=item["manifest"],
            payload={**item["payload"], "corrective_of": event.pk, "error_declaration": declaration.pk},
        )  # fmt: skip
        # As in the bulk upload: ``to_uscc`` names a release's receiver, on any other kind a new custodian (which
        # the authority refuses unless the kind may name one).
        if item["to_uscc"] and item["kind"] in RELEASES:
            spec.release_to = receivers.get(item["to_uscc"])
        elif item["to_uscc"]:
            spec.custodian_after = receivers.get(item["to_uscc"])
        specs.append(spec)
    return specs


def _restore_links(event: LifecycleEvent, correction: LifecycleEvent, now: datetime) -> None:
    """Releases and bindings as they were before ``event``: the release it opened is withdrawn, the one it closed
    is open again; the binding it closed is open again, the one it opened is closed as never in force."""
    CustodyRelease.objects.filter(release_event_id=event.pk, status=ReleaseStatus.OPEN).update(
        status=ReleaseStatus.CANCELLED, closing_event_id=correction.pk, closed_at=now
    )
    CustodyRelease.objects.filter(closing_event_id=event.pk).update(
        status=ReleaseStatus.OPEN, closing_event_id=None, closed_at=None
    )
    if event.kind in UNBINDING:
        closed = (
            Binding.objects.filter(
                pack_id=event.battery_id, unbound_at=event.occurred_at, unbound_reason=event.kind
            )
            .order_by("-id")
            .first()
        )
        if closed is not None:
            Binding.objects.filter(pk=closed.pk).update(unbound_at=None, unbound_reason="")
    elif event.kind in (EventKind.BOUND, EventKind.REPLACED_IN):
        for binding in Binding.objects.filter(pack_id=event.battery_id, unbound_at__isnull=True):
            Binding.objects.filter(pk=binding.pk).update(
                unbound_at=binding.bound_at, unbound_reason="corrected"
            )
