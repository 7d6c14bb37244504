"""Vehicle–pack bindings and replacements (R-BIND)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from accounts.actors import acting_organisation, person
from accounts.models import User
from core import hooks
from core.audit import audit_log

from ..lifecycle import EventKind
from ..models import (
    Battery,
    Binding,
    Replacement,
    Vehicle,
)
from .events import EventSpec, TraceabilityError, events_record_bulk

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
    actor: User,
    occurred_at: datetime,
    place: str = "",
    reported_at: datetime | None = None,
) -> Replacement:
    """A maintenance swap, "one in, one out" (第十条): the old pack leaves the vehicle into the outlet's custody,
    the new pack is bound in its place."""
    org, actor_user = acting_organisation(actor), person(actor)
    if not org.has_kind("after_sales", "automaker"):
        raise TraceabilityError(
            "only an after-sales outlet or the automaker reports a replacement", field="actor"
        )
    if org.has_kind("automaker") and not org.has_kind("after_sales") and vehicle.automaker_id != org.pk:
        raise TraceabilityError("no vehicle with this VIN is available to you", field="vin", code="not_found")
    if not Binding.objects.filter(vehicle=vehicle, pack=pack_out, unbound_at__isnull=True).exists():
        raise TraceabilityError("this pack is not in this vehicle", field="old_pack_code", code="not_bound")
    if not (pack_in.registered and pack_in.level == "P") or pack_in.custodian_id not in (
        None,
        org.pk,
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
                custodian_after=org,
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
    )
    binding = Binding.objects.create(vehicle=vehicle, pack=pack_in, bound_at=occurred_at)
    replacement = Replacement.objects.create(
        vehicle=vehicle, pack_out=pack_out, pack_in=pack_in, actor=org, occurred_at=occurred_at, place=place
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
