"""Two-party custody (R-LIFE): releases, receipts, claims reviewed by the region's regulator, outlets."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.actors import acting_organisation, person
from accounts.models import Organisation, User
from core import hooks
from core.audit import audit_log

from .. import authority, codes
from ..lifecycle import TERMINAL, EventKind, State
from ..models import (
    AfterSalesOutlet,
    Battery,
    ClaimStatus,
    CustodyClaim,
    CustodyRelease,
    LifecycleEvent,
    ReleaseStatus,
)
from .events import (
    RELEASES,
    EventSpec,
    TraceabilityConflict,
    TraceabilityError,
    TraceabilityForbidden,
    TraceabilityNotFound,
    _event_write,
    _refused,
    _require_writer,
    event_record,
)

# --- two-party custody: releases, receipts, claims (R-LIFE) -------------------------------------------------


def _battery_for(code: str, *, field_name: str = "battery_code") -> Battery:
    battery = Battery.objects.filter(code=codes.normalise(code or "")).first()
    if battery is None:
        raise TraceabilityNotFound("no battery with this code is available to you", field=field_name,
                                code="not_found")  # fmt: skip
    return battery


@transaction.atomic
def release_record(
    *,
    battery: Battery,
    actor: User,
    receiver: Organisation,
    occurred_at: datetime,
    kind: str = EventKind.HANDED_OVER,
    manifest: str = "",
    place: str = "",
    payload: dict | None = None,
) -> CustodyRelease:
    """The holder releases ``battery`` to ``receiver`` (a ``handed_over`` in place, or ``dispatched`` under a
    manifest). Custody stays with the holder until the receiver confirms with :func:`receipt_confirm`."""
    if kind not in RELEASES:
        raise TraceabilityError(
            "a release is a hand-over or a dispatch", field="kind", code="custody.release_kind"
        )
    event_record(battery=battery, kind=kind, actor=actor, occurred_at=occurred_at,
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
    actor: User,
    occurred_at: datetime,
    kind: str | None = None,
    place: str = "",
    place_ref: str = "",
    region: str | None = None,
    payload: dict | None = None,
    on_behalf_of: Organisation | None = None,
) -> LifecycleEvent:
    """The receiver named by the open release confirms it: the receipt event makes it the custodian
    (``on_behalf_of`` as for :func:`event_record`)."""
    receiver = on_behalf_of or acting_organisation(actor)
    return event_record(battery=battery, kind=kind or receipt_kind_for(receiver), actor=actor,
                        occurred_at=occurred_at, place=place, place_ref=place_ref, region=region,
                        payload=payload, on_behalf_of=on_behalf_of)  # fmt: skip


@transaction.atomic
def release_cancel(
    *,
    battery: Battery,
    actor: User,
    occurred_at: datetime,
    reason: str = "",
) -> LifecycleEvent:
    """The holder withdraws an unconfirmed release; a dispatched battery returns to its state before."""
    return event_record(
        battery=battery,
        kind=EventKind.RELEASE_CANCELLED,
        actor=actor,
        occurred_at=occurred_at,
        payload={"reason": reason[:300]} if reason else None,
    )


@transaction.atomic
def claim_record(
    *,
    battery: Battery,
    actor: User,
    reason: str,
    found_at: datetime,
    place: str = "",
    place_ref: str = "",
    region: str = "",
    payload: dict | None = None,
) -> CustodyClaim:
    """A battery that turned up without a release (orphan, left with a repairer, a lost one found): a claim for
    the regulator of the region to review. Nothing about the battery changes until it is approved."""
    org, actor_user = acting_organisation(actor), person(actor)
    _require_writer(actor_user)
    if battery.state in TERMINAL:
        raise TraceabilityConflict(f"{battery.code} is in final state '{battery.state}' and cannot be claimed",
                                field="battery_code", code="custody.claim_terminal")  # fmt: skip
    if battery.custodian_id == org.pk and battery.state != State.LOST:
        raise TraceabilityConflict(f"{battery.code} is already in your custody", field="battery_code",
                                code="custody.claim_own")  # fmt: skip
    if not (reason or "").strip():
        raise TraceabilityError("say how the battery came to you", field="reason", code="required")
    if found_at is None or timezone.is_naive(found_at) or found_at > timezone.now():
        raise TraceabilityError("a past, time zone-aware time is required", field="found_at")
    kind = receipt_kind_for(org)
    # Only an enterprise that may record this receipt at all may claim (a logistics firm may not).
    refusal = authority.decide(authority.Request(kind=kind, state=battery.state, actor_kinds=frozenset(org.kinds),
                                                 relations=frozenset({"claim_approved"}),
                                                 custody_to=authority.TO_ACTOR))  # fmt: skip
    if refusal is not None:
        raise _refused(refusal)
    if CustodyClaim.objects.filter(battery=battery, claimant=org, status=ClaimStatus.PENDING).exists():
        raise TraceabilityConflict(f"your claim to {battery.code} is already awaiting review", field="battery_code",
                                code="custody.claim_pending")  # fmt: skip
    claim = CustodyClaim.objects.create(
        battery=battery, claimant=org, claimed_by=actor_user, receipt_kind=kind, reason=reason.strip()[:500],
        place=place[:200], place_ref=place_ref[:64], found_at=found_at,
        region=region or battery.region or org.region, custodian_at_claim_id=battery.custodian_id,
        state_at_claim=battery.state, payload=payload or {},
    )  # fmt: skip
    hooks.records_written("custody_claim", [claim])
    audit_log(actor=actor_user, action="custody.claim", obj=claim, changes={"battery": battery.code})
    return claim


@transaction.atomic
def claim_review(
    *,
    claim: CustodyClaim,
    actor: User,
    approve: bool,
    note: str = "",
    occurred_at: datetime | None = None,
) -> CustodyClaim:
    """The regulator of the claim's region approves (custody moves with a receipt by the claimant) or rejects it."""
    reviewer, reviewer_user = acting_organisation(actor), person(actor)
    _require_writer(reviewer_user)
    claim = CustodyClaim.objects.select_for_update().select_related("battery", "claimant").get(pk=claim.pk)
    if not reviewer.is_regulator or reviewer.region != claim.region:
        raise TraceabilityForbidden("only a regulator of the claim's region reviews it", field="actor",
                                code="custody.claim_reviewer")  # fmt: skip
    if claim.status != ClaimStatus.PENDING:
        raise TraceabilityConflict(
            f"the claim is already {claim.status}", field="claim", code="custody.claim_closed"
        )
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.reviewer, claim.reviewed_by, claim.review_note = reviewer, reviewer_user, note[:500]
    claim.reviewed_at = occurred_at or timezone.now()
    if approve:
        # The claimant's receipt, carried out by the reviewer's approval: the event names both.
        receipt = EventSpec(
            battery=claim.battery, kind=claim.receipt_kind, occurred_at=max(claim.found_at, claim.battery.state_changed_at),
            place=claim.place, place_ref=claim.place_ref, region=claim.region, claim=claim,
            payload={"claim": claim.pk, "approved_by": reviewer.pk, "reason": claim.reason},
        )  # fmt: skip
        claim.event = _event_write(receipt, org=claim.claimant, user=reviewer_user)
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
