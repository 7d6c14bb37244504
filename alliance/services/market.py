"""The lot market: lots, bids, acceptance and deals (R-ALLIANCE, seed 四(四)). Custody moves only through
lifecycle events, so the trace of a traded battery follows the money; every write is audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.actors import acting_organisation, person, platform_actor
from accounts.models import Organisation, User
from core import tenancy
from core.audit import audit_log
from core.errors import NotFound
from traceability import selectors as trace
from traceability.codes import normalise as normalise_code
from traceability.services import TraceabilityError, event_record

from .. import rules, selectors
from ..config import market_rules
from ..models import (
    Bid,
    BidStatus,
    Channel,
    Deal,
    Lot,
    LotEvent,
    LotEventKind,
    LotItem,
    LotStatus,
    PriceForm,
)
from ..qualification import buyer_qualification
from .common import AllianceConflict, AllianceError, _require_member

HOLDING_STATES = ("removed", "at_service_point")
LEVEL_FOR_FORM = {PriceForm.PACK: "P", PriceForm.MODULE: "M", PriceForm.CELL: "C"}


def _lot_event(lot: Lot, kind: str, *, actor: User, **detail) -> None:
    LotEvent.objects.create(
        lot=lot,
        kind=kind,
        actor=actor.organisation,
        actor_user=person(actor),
        detail={k: str(v) if isinstance(v, Decimal | date | datetime) else v for k, v in detail.items()},
    )


@dataclass(frozen=True)
class ItemInput:
    code: str
    soh: Decimal | None = None
    grade: str = ""
    assessed_on: date | None = None
    assessment_ref: str = ""


def _build_items(*, seller: Organisation, form: str, items: list[ItemInput], on: date) -> list[LotItem]:
    """Lot items from codes: batteries in the seller's custody, retired or at a service point, of the lot's form,
    not already offered in another open lot."""
    if not items:
        raise AllianceError("a lot needs at least one battery", field="items")
    codes = [normalise_code(i.code) for i in items]
    if len(set(codes)) != len(codes):
        raise AllianceError("a battery code appears twice", field="items")
    batteries = trace.batteries_locked_by_code(codes=codes)
    offered = set(
        LotItem.objects.filter(battery__code__in=codes, lot__status=LotStatus.OPEN).values_list(
            "battery__code", flat=True
        )
    )
    errors, built = [], []
    level = LEVEL_FOR_FORM.get(form)
    rules_ = market_rules()
    for code, item in zip(codes, items, strict=True):
        battery = batteries.get(code)
        if battery is None:
            errors.append(f"{code}: unknown battery code")
            continue
        if battery.custodian_id != seller.pk:
            errors.append(f"{code}: not in the seller's custody")
            continue
        if battery.state not in HOLDING_STATES:
            errors.append(
                f"{code}: state {battery.state} cannot be traded (retired or at a service point only)"
            )
            continue
        if level and battery.level != level:
            errors.append(f"{code}: level {battery.level} does not match the lot's form {form}")
            continue
        if code in offered:
            errors.append(f"{code}: already offered in an open lot")
            continue
        soh = item.soh
        grade = item.grade or (rules.grade_for_soh(soh, rules_.grade_by_min_soh) if soh is not None else "")
        if grade and grade not in rules_.grades:
            errors.append(f"{code}: unknown grade {grade!r}")
            continue
        rated = battery.rated_energy_kwh or Decimal(0)
        energy = (rated * soh).quantize(Decimal("0.001")) if soh is not None else rated
        value, _ = selectors.value_at_guidance(
            chemistry=battery.chemistry, grade=grade, form=form, energy_kwh=energy, on=item.assessed_on or on
        )
        built.append(
            LotItem(
                battery=battery,
                chemistry=battery.chemistry,
                grade=grade,
                soh=soh,
                energy_kwh=energy,
                mass_kg=battery.mass_kg or Decimal(0),
                assessed_on=item.assessed_on,
                assessment_ref=item.assessment_ref,
                guide_value_cny=value,
            )
        )
    if errors:
        raise AllianceError("; ".join(errors), field="items", reasons=errors)
    return built


def _require_qualified(*, buyer: Organisation, lot: Lot, on: date, field: str, refusal: str) -> None:
    """Refuse a deal with a buyer the qualification rules do not admit, listing every reason."""
    ok, reasons = buyer_qualification(buyer=buyer, lot=lot, on=on)
    if not ok:
        raise AllianceError(
            refusal + ": " + "; ".join(reasons), field=field, code="not_qualified", reasons=reasons
        )


def _new_lot(*, built: list[LotItem], **fields) -> Lot:
    """A lot of the items ``built`` (saved with it), its totals summed from them and its number given."""
    lot = Lot.objects.create(
        number=uuid.uuid4().hex[:20],
        total_energy_kwh=sum((i.energy_kwh for i in built), Decimal(0)),
        total_mass_kg=sum((i.mass_kg for i in built), Decimal(0)),
        **fields,
    )
    lot.number = f"L{timezone.localdate(lot.created_at):%Y}-{lot.pk:06d}"
    lot.save(update_fields=["number"])
    for item in built:
        item.lot = lot
    LotItem.objects.bulk_create(built)
    return lot


@transaction.atomic
def lot_create(
    *,
    actor: User,
    title: str,
    form: str,
    location: str,
    region: str,
    reserve_price_cny: Decimal,
    deadline: datetime,
    items: list[ItemInput],
    sealed: bool = True,
    description: str = "",
) -> Lot:
    """A member lists retired packs or modules for residual-value trading (线上残值交易)."""
    seller = acting_organisation(actor, enterprise=True)
    _require_member(seller)
    now = timezone.now()
    if deadline < now + timedelta(hours=market_rules().min_bidding_hours):
        raise AllianceError(
            f"the deadline must leave at least {market_rules().min_bidding_hours} h for bidding",
            field="deadline",
        )
    if reserve_price_cny < 0:
        raise AllianceError("the reserve price cannot be negative", field="reserve_price_cny")
    built = _build_items(seller=seller, form=form, items=items, on=timezone.localdate(now))
    lot = _new_lot(
        seller=seller,
        title=title,
        form=form,
        location=location,
        region=region,
        reserve_price_cny=reserve_price_cny,
        deadline=deadline,
        sealed=sealed,
        description=description,
        created_by=actor,
        built=built,
    )
    _lot_event(lot, LotEventKind.LISTED, actor=actor, items=len(built), deadline=deadline, sealed=sealed)
    audit_log(
        actor=actor, action="alliance.lot_create", obj=lot, changes={"items": [i.battery.code for i in built]}
    )
    return lot


def bid_place(*, actor: User, lot: Lot, amount_cny: Decimal, note: str = "") -> Bid:
    """A qualified buyer bids; an unqualified one is refused with every reason (and the refusal is recorded).

    A new bid by the same bidder supersedes its earlier one. Sealed bids stay hidden until the deadline.
    """
    bidder = acting_organisation(actor, enterprise=True)
    if not tenancy.can_read(actor, lot):
        raise NotFound(gettext("Not found."), field="lot")
    if not lot.bidding_open():
        raise AllianceConflict("bidding on this lot is closed", field="lot", code="closed")
    if amount_cny <= 0:
        raise AllianceError("a bid must be positive", field="amount_cny")
    ok, reasons = buyer_qualification(buyer=bidder, lot=lot)
    if not ok:
        with transaction.atomic():
            _lot_event(lot, LotEventKind.BID_REFUSED, actor=actor, reasons=reasons)
            audit_log(actor=actor, action="alliance.bid_refused", obj=lot, changes={"reasons": reasons})
        raise AllianceError(
            "not qualified to buy this lot: " + "; ".join(reasons),
            field="bidder",
            code="not_qualified",
            reasons=reasons,
        )
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=lot.pk)
        if not lot.bidding_open():
            raise AllianceConflict("bidding on this lot is closed", field="lot", code="closed")
        Bid.objects.filter(lot=lot, bidder=bidder, status=BidStatus.ACTIVE).update(
            status=BidStatus.SUPERSEDED
        )
        bid = Bid.objects.create(lot=lot, bidder=bidder, amount_cny=amount_cny, note=note, placed_by=actor)
        # The lot's trail and the audit trail show that a bid came in; a sealed bid's amount stays out of both
        # (regulators read the audit trail) and is recorded with the deal once the lot is awarded.
        shown = {} if lot.sealed else {"amount_cny": amount_cny}
        _lot_event(lot, LotEventKind.BID_PLACED, actor=actor, bid=bid.pk, **shown)
        audit_log(
            actor=actor,
            action="alliance.bid_place",
            obj=bid,
            changes={"lot": lot.number, **shown},
        )
    return bid


@transaction.atomic
def bid_withdraw(*, actor: User, bid: Bid) -> Bid:
    bidder = acting_organisation(actor, enterprise=True)
    bid = Bid.objects.select_for_update().select_related("lot").get(pk=bid.pk)
    if bid.bidder_id != bidder.pk:
        raise NotFound(gettext("Not found."), field="lot")
    if bid.status != BidStatus.ACTIVE or not bid.lot.bidding_open():
        raise AllianceConflict("only an active bid on an open lot can be withdrawn", code="conflict")
    bid.status = BidStatus.WITHDRAWN
    bid.save(update_fields=["status"])
    _lot_event(bid.lot, LotEventKind.BID_WITHDRAWN, actor=actor, bid=bid.pk)
    audit_log(actor=actor, action="alliance.bid_withdraw", obj=bid)
    return bid


def _outlier(*, lot: Lot, price_cny: Decimal, on: date) -> dict:
    """Deal price per kWh against the guidance in force on the deal date, for the lot's main chemistry and grade."""
    energy = lot.total_energy_kwh or Decimal(0)
    per_kwh = (price_cny / energy).quantize(Decimal("0.01")) if energy else None
    # Reference per kWh for a mixed lot: energy-weighted over its items' reference prices.
    weighted, covered, guidance = Decimal(0), Decimal(0), None
    for item in lot.items.all():
        price, g = selectors.reference_price(on=on, chemistry=item.chemistry, grade=item.grade, form=lot.form)
        guidance = guidance or g
        if price is not None:
            weighted += price * item.energy_kwh
            covered += item.energy_kwh
    reference = (weighted / covered).quantize(Decimal("0.01")) if covered else None
    dev = rules.deviation(per_kwh, reference) if per_kwh is not None else None
    return {
        "price_per_kwh": per_kwh,
        "reference_per_kwh": reference,
        "deviation": dev,
        "is_outlier": rules.is_outlier(dev, market_rules().outlier_tolerance),
        "guidance": guidance,
    }


def _hand_over(*, deal: Deal, actor: User) -> int:
    """Move custody of exactly the lot's batteries from seller to buyer: one ``handed_over`` lifecycle event per
    battery, carrying the deal, so each battery's trace shows the trade (R-LIFE, R-ALLIANCE)."""
    lot = deal.lot
    moved = 0
    for item in lot.items.select_related("battery"):
        battery = item.battery
        if battery.custodian_id != deal.seller_id:
            raise AllianceConflict(
                f"{battery.code} is no longer in the seller's custody", field="items", code="conflict"
            )
        try:
            event_record(
                battery=battery,
                kind="handed_over",
                actor=actor,
                custodian_after=deal.buyer,
                occurred_at=deal.concluded_at,
                place=lot.location,
                region=lot.region,
                payload={
                    "trade": lot.number,
                    "deal": deal.pk,
                    "channel": deal.channel,
                    "buyer": deal.buyer.uscc,
                    "price_cny": str(deal.price_cny),
                },
            )
        except TraceabilityError as exc:
            raise AllianceError(exc.message, field="items", code=exc.code) from exc
        moved += 1
    _lot_event(lot, LotEventKind.HANDED_OVER, actor=actor, batteries=moved, to=deal.buyer.display_name)
    return moved


@transaction.atomic
def lot_accept(*, actor: User, lot: Lot, bid: Bid) -> Deal:
    """The seller accepts a bid: the deal is concluded and custody of the lot's batteries moves to the buyer.

    A sealed lot is decided after its deadline, when all bids are visible; a bid must reach the reserve price,
    and the buyer must still be qualified on the day of the deal.
    """
    seller = acting_organisation(actor, enterprise=True)
    tenancy.require_write(actor, lot)
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    bid = Bid.objects.select_for_update().select_related("bidder").get(pk=bid.pk, lot=lot)
    now = timezone.now()
    if lot.status != LotStatus.OPEN:
        raise AllianceConflict(f"the lot is {lot.get_status_display()}", field="lot", code="conflict")
    if lot.sealed and now < lot.deadline:
        raise AllianceConflict(
            "sealed bids are opened at the deadline; accept after it", field="lot", code="too_early"
        )
    if bid.status != BidStatus.ACTIVE:
        raise AllianceConflict("only an active bid can be accepted", field="bid", code="conflict")
    if bid.amount_cny < lot.reserve_price_cny:
        raise AllianceError("the bid is below the reserve price", field="bid", code="below_reserve")
    _require_qualified(buyer=bid.bidder, lot=lot, on=timezone.localdate(now), field="bid",
                       refusal="the buyer is no longer qualified")  # fmt: skip
    check = _outlier(lot=lot, price_cny=bid.amount_cny, on=timezone.localdate(now))
    deal = Deal.objects.create(
        lot=lot,
        bid=bid,
        seller=seller,
        buyer=bid.bidder,
        channel=Channel.ONLINE,
        price_cny=bid.amount_cny,
        concluded_at=now,
        recorded_by=actor,
        **check,
    )
    bid.status = BidStatus.ACCEPTED
    bid.save(update_fields=["status"])
    Bid.objects.filter(lot=lot, status=BidStatus.ACTIVE).exclude(pk=bid.pk).update(status=BidStatus.DECLINED)
    lot.status = LotStatus.AWARDED
    lot.save(update_fields=["status"])
    _lot_event(
        lot,
        LotEventKind.ACCEPTED,
        actor=actor,
        bid=bid.pk,
        amount_cny=bid.amount_cny,
        buyer=bid.bidder.display_name,
    )
    _hand_over(deal=deal, actor=actor)
    audit_log(
        actor=actor,
        action="alliance.lot_accept",
        obj=deal,
        changes={
            "lot": lot.number,
            "bid": bid.pk,
            "price_cny": bid.amount_cny,
            "outlier": check["is_outlier"],
        },
    )
    return deal


@transaction.atomic
def lot_cancel(*, actor: User, lot: Lot, reason: str = "") -> Lot:
    acting_organisation(actor, enterprise=True)
    tenancy.require_write(actor, lot)
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status != LotStatus.OPEN:
        raise AllianceConflict(f"the lot is {lot.get_status_display()}", code="conflict")
    lot.status = LotStatus.CANCELLED
    lot.save(update_fields=["status"])
    Bid.objects.filter(lot=lot, status=BidStatus.ACTIVE).update(status=BidStatus.DECLINED)
    _lot_event(lot, LotEventKind.CANCELLED, actor=actor, reason=reason)
    audit_log(actor=actor, action="alliance.lot_cancel", obj=lot, changes={"reason": reason})
    return lot


@transaction.atomic
def lots_close_expired(*, now: datetime | None = None) -> int:
    """Close lots whose deadline passed without any active bid (periodic task)."""
    now = now or timezone.now()
    expired = Lot.objects.select_for_update(skip_locked=True).filter(status=LotStatus.OPEN, deadline__lte=now)
    closed = 0
    for lot in expired:
        if lot.bids.filter(status=BidStatus.ACTIVE).exists():
            continue
        lot.status = LotStatus.UNSOLD
        lot.save(update_fields=["status"])
        _lot_event(lot, LotEventKind.CLOSED_UNSOLD, actor=platform_actor(lot.seller))
        audit_log(action="alliance.lot_close_unsold", obj=lot)
        closed += 1
    return closed


@transaction.atomic
def deal_record_offline(
    *,
    actor: User,
    buyer: Organisation,
    price_cny: Decimal,
    concluded_at: datetime,
    items: list[ItemInput],
    form: str,
    location: str,
    region: str,
    title: str = "",
    contract_ref: str = "",
) -> Deal:
    """The seller records a deal made offline (线下交易): the same qualification and custody hand-over apply."""
    seller = acting_organisation(actor, enterprise=True)
    _require_member(seller)
    if concluded_at > timezone.now():
        raise AllianceError("an offline deal cannot be in the future", field="concluded_at")
    if price_cny <= 0:
        raise AllianceError("the price must be positive", field="price_cny")
    built = _build_items(seller=seller, form=form, items=items, on=timezone.localdate(concluded_at))
    lot = _new_lot(
        seller=seller,
        title=title or f"Offline deal {contract_ref}".strip(),
        form=form,
        location=location,
        region=region,
        reserve_price_cny=Decimal(0),
        deadline=concluded_at,
        sealed=False,
        channel=Channel.OFFLINE,
        status=LotStatus.AWARDED,
        created_by=actor,
        built=built,
    )
    _require_qualified(buyer=buyer, lot=lot, on=timezone.localdate(concluded_at), field="buyer",
                       refusal="the buyer is not qualified")  # fmt: skip
    check = _outlier(lot=lot, price_cny=price_cny, on=timezone.localdate(concluded_at))
    deal = Deal.objects.create(
        lot=lot,
        seller=seller,
        buyer=buyer,
        channel=Channel.OFFLINE,
        price_cny=price_cny,
        concluded_at=concluded_at,
        recorded_by=actor,
        contract_ref=contract_ref,
        **check,
    )
    _lot_event(
        lot, LotEventKind.OFFLINE_RECORDED, actor=actor, amount_cny=price_cny, buyer=buyer.display_name
    )
    _hand_over(deal=deal, actor=actor)
    audit_log(actor=actor, action="alliance.deal_record_offline", obj=deal, changes={"price_cny": price_cny})
    return deal
