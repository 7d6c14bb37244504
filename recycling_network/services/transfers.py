"""Transfers between points and to dismantlers (R-NET): dispatch, receipt, and packs missing in transit."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.actors import acting_organisation
from accounts.models import Organisation, User
from core import tenancy
from core.audit import audit_log
from core.errors import Forbidden, NotFound
from regeneration.selectors import licence_refusal
from traceability import services as trace
from traceability.codes import normalise as normalise_code
from traceability.lifecycle import EventKind

from ..choices import (
    CONDITION_SEVERITY,
    AlertKind,
    Condition,
    ItemStatus,
    PointStatus,
    TransferStatus,
)
from ..models import (
    NetworkAlert,
    ServicePoint,
    StockEntry,
    Transfer,
    TransferItem,
)
from ..selectors import network_parameter
from .common import (
    CustodyConflict,
    NetworkError,
    require_operator,
)

RECEIVER_KINDS = (
    "service_operator",
    "automaker",
    "logistics",
    "dismantler",
    "after_sales",
    "cascade_use",
    "regeneration",
)


def dangerous_goods_entry(conditions: list[str]) -> str:
    """The manifest's dangerous-goods entry for the worst pack condition (mapping is data: parameter
    ``dangerous_goods_class``)."""
    mapping = network_parameter("dangerous_goods_class", {"intact": "UN3480"})
    worst = max(conditions or [Condition.INTACT], key=lambda c: CONDITION_SEVERITY.get(c, 0))
    return mapping.get(worst, "UN3480")


@transaction.atomic
def transfer_dispatch(
    *,
    actor: User,
    from_point: ServicePoint,
    codes: list[str],
    carrier_name: str,
    vehicle_plate: str,
    departed_at: datetime | None = None,
    to_point: ServicePoint | None = None,
    receiver: Organisation | None = None,
    carrier: Organisation | None = None,
    expected_arrival_at: datetime | None = None,
    note: str = "",
) -> Transfer:
    """Send packs from a point under a manifest: to another point or the hub (``to_point``), or to a
    cascade-use or regeneration enterprise (``receiver``). Each pack gets a ``dispatched`` event and leaves
    the point's stock; custody stays with the sender until the receiver confirms (:func:`transfer_receive`)."""
    sender = require_operator(actor=actor, point=from_point)
    if (to_point is None) == (receiver is None):
        raise NetworkError("name either a destination point or a receiving enterprise", field="to_point")
    if to_point is not None:
        if to_point.pk == from_point.pk:
            raise NetworkError("a transfer goes to another point", field="to_point")
        if to_point.status != PointStatus.PUBLISHED:
            raise NetworkError(
                f"{to_point.code} is {to_point.status} and takes no packs in", field="to_point"
            )
        receiver = to_point.operator
    elif not receiver.has_kind("cascade_use", "regeneration"):
        raise NetworkError(
            "a transfer leaves the network only to a cascade-use or regeneration enterprise", field="receiver"
        )
    if not carrier_name.strip() or not vehicle_plate.strip():
        raise NetworkError("the manifest names the carrier and the vehicle plate", field="carrier_name")
    departed_at = departed_at or timezone.now()
    codes = list(dict.fromkeys(normalise_code(c) for c in codes if normalise_code(c)))
    if not codes:
        raise NetworkError("a manifest lists at least one pack", field="codes")
    entries = {
        e.battery.code: e
        for e in StockEntry.objects.select_for_update(of=("self",))
        .select_related("battery")
        .filter(point=from_point, battery__code__in=codes)
    }
    absent = [c for c in codes if c not in entries]
    if absent:
        raise NetworkError(f"not in stock at {from_point.code}: {', '.join(absent)}", field="codes")
    items = [entries[c] for c in codes]
    if receiver.has_kind("regeneration"):
        _require_licence_cover(
            receiver, [(e.battery, e.mass_kg) for e in items], timezone.localdate(departed_at)
        )
    transfer = Transfer.objects.create(
        number=f"TMP-{secrets.token_hex(8)}",
        from_point=from_point,
        sender=sender,
        to_point=to_point,
        receiver=receiver,
        carrier=carrier,
        carrier_name=carrier_name.strip(),
        vehicle_plate=vehicle_plate.strip().upper(),
        dangerous_goods=dangerous_goods_entry([e.condition for e in items]),
        total_mass_kg=sum((e.mass_kg or Decimal(0) for e in items), Decimal(0)),
        departed_at=departed_at,
        expected_arrival_at=expected_arrival_at,
        region=from_point.region,
        receiver_region=to_point.region if to_point else receiver.region,
        created_by=actor,
        note=note,
    )
    transfer.number = f"TM{departed_at:%Y%m%d}-{transfer.pk:06d}"
    transfer.save(update_fields=["number"])
    destination = to_point.code if to_point else str(receiver)
    for entry in items:
        trace.event_record(
            battery=entry.battery,
            kind=EventKind.DISPATCHED,
            actor=actor,
            on_behalf_of=sender,
            occurred_at=departed_at,
            release_to=receiver,
            manifest=transfer.number,
            place=from_point.name_zh,
            place_ref=from_point.place_ref,
            region=from_point.region,
            payload={
                "manifest": transfer.number,
                "to": destination,
                "carrier": transfer.carrier_name,
                "plate": transfer.vehicle_plate,
                "dangerous_goods": transfer.dangerous_goods,
            },
        )
        TransferItem.objects.create(
            transfer=transfer, battery=entry.battery, condition=entry.condition, mass_kg=entry.mass_kg
        )
    StockEntry.objects.filter(pk__in=[e.pk for e in items]).delete()
    audit_log(
        actor=actor,
        action="transfer.dispatch",
        obj=transfer,
        changes={"packs": codes, "to": destination, "dangerous_goods": transfer.dangerous_goods},
    )
    return transfer


def _require_licence_cover(receiver: Organisation, packs: list, on) -> None:
    """A regeneration enterprise takes packs only under its hazardous-waste licence (R-REGEN): each pack's
    category and the licence's validity, and the whole load against the year's remaining scale."""
    problems = []
    for battery, _mass in packs:
        refusal = licence_refusal(enterprise=receiver, battery=battery, on=on, check_scale=False)
        if refusal:
            problems.append(f"{battery.code}: {refusal.message}")
    if not problems and packs:
        total = sum((m or b.mass_kg or Decimal(0) for b, m in packs), Decimal(0))
        refusal = licence_refusal(enterprise=receiver, battery=packs[0][0], on=on, mass_kg=total)
        if refusal:
            problems.append(refusal.message)
    if problems:
        raise NetworkError("; ".join(problems), field="receiver", code="licence")


def _arrival_kind(transfer: Transfer) -> str:
    if transfer.to_point_id:
        return EventKind.RECEIVED
    if transfer.receiver.has_kind("regeneration"):
        return EventKind.REGENERATION_RECEIVED
    return EventKind.CASCADE_RECEIVED


@transaction.atomic
def transfer_receive(
    *,
    transfer: Transfer,
    actor: User,
    codes: list[str],
    received_at: datetime | None = None,
    close: bool = False,
) -> Transfer:
    """The receiver confirms which packs arrived; custody of each passes to it now, with a ``received``
    (point), ``cascade_received`` or ``regeneration_received`` event. Packs not confirmed stay in transit in
    the sender's custody; ``close`` ends the manifest and reports them missing at once."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if not tenancy.can_read(actor, transfer):
        raise NotFound(gettext("Not found."), field="id")
    org = acting_organisation(actor)
    if org.pk != transfer.receiver_id and not actor.is_superuser:
        raise Forbidden(f"only the receiver ({transfer.receiver}) confirms arrivals on {transfer.number}")
    if transfer.status in (TransferStatus.RECEIVED, TransferStatus.CLOSED_SHORT) and codes:
        raise NetworkError(f"manifest {transfer.number} is {transfer.status}", field="codes")
    received_at = received_at or timezone.now()
    if received_at < transfer.departed_at:
        raise NetworkError("arrival before departure", field="received_at")
    codes = list(dict.fromkeys(normalise_code(c) for c in codes if normalise_code(c)))
    items = {
        i.battery.code: i
        for i in transfer.items.select_for_update(of=("self",))
        .select_related("battery")
        .filter(battery__code__in=codes)
    }
    foreign = [c for c in codes if c not in items]
    if foreign:
        raise NetworkError(f"not on manifest {transfer.number}: {', '.join(foreign)}", field="codes")
    done = [c for c in codes if items[c].status == ItemStatus.RECEIVED]
    if done:
        raise NetworkError(f"already received: {', '.join(done)}", field="codes")
    kind = _arrival_kind(transfer)
    point = transfer.to_point
    if kind == EventKind.REGENERATION_RECEIVED and codes:
        _require_licence_cover(
            transfer.receiver,
            [(items[c].battery, items[c].mass_kg) for c in codes],
            timezone.localdate(received_at),
        )
    for code in codes:
        item = items[code]
        try:
            trace.receipt_confirm(
                battery=item.battery,
                kind=kind,
                actor=actor,
                on_behalf_of=transfer.receiver,
                occurred_at=received_at,
                place=point.name_zh if point else str(transfer.receiver),
                place_ref=point.place_ref if point else f"org:{transfer.receiver_id}",
                region=point.region if point else transfer.receiver_region,
                payload={"manifest": transfer.number, "from": transfer.from_point.code},
            )
        except trace.TraceabilityError as exc:
            raise CustodyConflict(f"{code}: {exc.message}", code=exc.code) from exc
        item.status, item.received_at = ItemStatus.RECEIVED, received_at
        item.save(update_fields=["status", "received_at"])
        NetworkAlert.objects.filter(transfer_item=item, resolved_at__isnull=True).update(
            resolved_at=received_at
        )
        if point is not None:
            StockEntry.objects.create(
                battery=item.battery,
                point=point,
                since=received_at,
                condition=item.condition,
                mass_kg=item.mass_kg,
            )
    if codes and transfer.arrived_at is None:
        transfer.arrived_at = received_at
    if close:
        pending = list(transfer.items.select_related("battery").filter(status=ItemStatus.IN_TRANSIT))
        for item in pending:
            _flag_missing(item, now=received_at, reason="not delivered when the receiver closed the manifest")
    _refresh_status(transfer, closed=close)
    audit_log(
        actor=actor,
        action="transfer.receive",
        obj=transfer,
        changes={"received": codes, "close": close, "status": transfer.status},
    )
    return transfer


def _refresh_status(transfer: Transfer, *, closed: bool = False) -> None:
    statuses = list(transfer.items.values_list("status", flat=True))
    if all(s == ItemStatus.RECEIVED for s in statuses):
        transfer.status = TransferStatus.RECEIVED
    elif closed or transfer.status == TransferStatus.CLOSED_SHORT:
        transfer.status = TransferStatus.CLOSED_SHORT
    elif any(s == ItemStatus.RECEIVED for s in statuses):
        transfer.status = TransferStatus.PARTIAL
    else:
        transfer.status = TransferStatus.IN_TRANSIT
    transfer.save(update_fields=["status", "arrived_at"])


def _flag_missing(item: TransferItem, *, now: datetime, reason: str) -> NetworkAlert | None:
    if item.status != ItemStatus.IN_TRANSIT:
        return None
    transfer = item.transfer
    trace.event_record(
        battery=item.battery,
        kind=EventKind.LOST,
        actor=None,
        occurred_at=now,
        place=f"manifest {transfer.number}",
        place_ref=f"tm:{transfer.pk}",
        region=transfer.region,
        payload={"manifest": transfer.number, "reason": reason},
    )
    item.status, item.missing_since = ItemStatus.MISSING, now
    item.save(update_fields=["status", "missing_since"])
    alert = NetworkAlert.objects.create(
        kind=AlertKind.MISSING_IN_TRANSIT,
        region=transfer.region,
        battery=item.battery,
        point=transfer.from_point,
        transfer_item=item,
        organisation=transfer.sender,
        message=f"{item.battery.code} missing in transit on {transfer.number} ({reason})",
        raised_at=now,
    )
    audit_log(actor=None, action="transfer.missing", obj=item.transfer, changes={"code": item.battery.code})
    return alert


@transaction.atomic
def transit_missing_flag(*, now: datetime | None = None, hours: float | None = None) -> int:
    """Report every pack that left more than ``hours`` (parameter ``transit_missing_hours``) ago and has not
    arrived: a ``lost`` event in its trace (custody unchanged) and a missing-in-transit alert. Returns how
    many were flagged; run hourly by Celery beat."""
    now = now or timezone.now()
    hours = float(hours if hours is not None else network_parameter("transit_missing_hours", 72))
    cutoff = now - timedelta(hours=hours)
    items = list(
        TransferItem.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("transfer", "battery", "transfer__from_point", "transfer__sender")
        .filter(status=ItemStatus.IN_TRANSIT, transfer__departed_at__lt=cutoff)
    )
    touched = set()
    for item in items:
        _flag_missing(item, now=now, reason=f"not arrived {hours:g} h after departure")
        touched.add(item.transfer_id)
    for transfer in Transfer.objects.filter(pk__in=touched):
        _refresh_status(transfer)
    return len(items)
