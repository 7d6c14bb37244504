"""Regeneration rules as guards of the traceability core (R-REGEN; seed 四(一)3): every
``regeneration_received`` needs a valid hazardous-waste business licence covering the battery's category with
the year's scale left for its mass; dismantling, material recovery and scrapping happen only under a valid
licence of the category."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import timezone

from core.errors import Invalid
from traceability.lifecycle import EventKind

from .selectors import licence_refusal

RECEIPT = (EventKind.REGENERATION_RECEIVED,)
PROCESSING = (EventKind.DISMANTLED, EventKind.MATERIALS_RECOVERED, EventKind.SCRAPPED, EventKind.DISASSEMBLED)


class LicenceRefusal(Invalid):
    http_status = 422
    default_code = "regeneration.licence"


def _mass(proposal) -> Decimal | None:
    raw = (proposal.payload or {}).get("mass_kg")
    try:
        return Decimal(str(raw)) if raw not in (None, "") else None
    except InvalidOperation:
        raise LicenceRefusal("not a number", field="payload.mass_kg", code="invalid") from None


def licence_guard(proposal) -> None:
    actor = proposal.actor
    if proposal.kind in PROCESSING and (actor is None or not actor.has_kind("regeneration")):
        return  # the authority names the kind rule; a disassembly by the maker needs no licence
    if actor is None:
        raise LicenceRefusal(
            "a receipt for regeneration needs the enterprise that answers for it", field="actor"
        )
    receipt = proposal.kind in RECEIPT
    refusal = licence_refusal(enterprise=actor, battery=proposal.battery, on=timezone.localdate(proposal.occurred_at),
                              mass_kg=_mass(proposal) if receipt else None, check_scale=receipt)  # fmt: skip
    if refusal:
        raise LicenceRefusal(refusal.message, field="battery_code", code=f"regeneration.{refusal.code}")
