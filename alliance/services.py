"""Writes for the alliance (R-ALLIANCE, seed 四(四)). Every write is audited; custody moves only through
lifecycle events, so the trace of a traded battery follows the money."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Organisation, User
from core import tenancy
from core.audit import audit_log
from core.errors import Conflict, Forbidden, Invalid, NotFound
from recycling_network.services import service_point_update
from traceability.codes import normalise as normalise_code
from traceability.models import Battery
from traceability.services import TraceabilityError, event_record
from valuation.services import ValuationError, price_set_publish

from . import rules, selectors
from .config import market_rules
from .models import (
    Bid,
    BidStatus,
    Channel,
    Deal,
    GuidanceStatus,
    Lot,
    LotEvent,
    LotEventKind,
    LotItem,
    LotStatus,
    Membership,
    MembershipStatus,
    MembershipTier,
    MetalPrice,
    PointShare,
    PriceForm,
    PriceGuidance,
    ReferencePrice,
    SharedServicePoint,
)
from .qualification import buyer_qualification

SECRETARIAT = "alliance_secretariat"
HOLDING_STATES = ("removed", "at_service_point")
LEVEL_FOR_FORM = {PriceForm.PACK: "P", PriceForm.MODULE: "M", PriceForm.CELL: "C"}


class AllianceError(Invalid):
    """A refused write (400); ``field`` names the input at fault, ``reasons`` lists every reason where there are
    several."""

    http_status = 400

    def __init__(self, message: str, *, field: str = "non_field_errors", code: str = "invalid", reasons=None):
        super().__init__(message, field=field, code=code)
        self.reasons = list(reasons or [message])

    def as_dict(self) -> dict:
        return {self.field: self.reasons}


class AllianceConflict(AllianceError, Conflict):
    """The write conflicts with the state of the application, guidance, lot or bid (409)."""

    http_status = 409


def _acting_org(user: User) -> Organisation:
    scope = tenancy.scope_of(user)
    if scope.read_only:
        raise Forbidden("your role is read-only")
    if user.organisation_id is None or scope.regulator:
        raise Forbidden("only an enterprise may do this")
    return user.organisation


def _require_member(org: Organisation) -> None:
    if not selectors.is_member(org):
        raise Forbidden("only approved alliance members may do this")


def _lot_event(
    lot: Lot, kind: str, *, user: User | None, actor: Organisation | None = None, **detail
) -> None:
    LotEvent.objects.create(
        lot=lot,
        kind=kind,
        actor=actor or (user.organisation if user else None),
        actor_user=user,
        detail={k: str(v) if isinstance(v, Decimal | date | datetime) else v for k, v in detail.items()},
    )


# --- membership ---------------------------------------------------------------------------------------------


@transaction.atomic
def membership_apply(
    *,
    user: User,
    tier: MembershipTier,
    statement: str = "",
    public_profile: str = "",
    listed_publicly: bool = True,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    capabilities: str = "",
) -> Membership:
    """An enterprise applies to join the alliance; the secretariat decides (R-ALLIANCE)."""
    org = _acting_org(user)
    if not tier.is_active:
        raise AllianceError("this membership tier is closed for applications", field="tier")
    existing = Membership.objects.select_for_update().filter(organisation=org).first()
    if existing and existing.status in (MembershipStatus.APPLIED, MembershipStatus.APPROVED):
        raise AllianceError(
            f"{org} already has a membership record ({existing.get_status_display()})", code="duplicate"
        )
    fields = {
        "tier": tier,
        "status": MembershipStatus.APPLIED,
        "statement": statement,
        "public_profile": public_profile,
        "listed_publicly": listed_publicly,
        "contact_name": contact_name,
        "contact_phone": contact_phone,
        "contact_email": contact_email,
        "capabilities": capabilities,
        "applied_at": timezone.now(),
        "decided_at": None,
        "decided_by": None,
        "decision_note": "",
    }
    if existing:
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save()
        membership = existing
    else:
        membership = Membership.objects.create(organisation=org, **fields)
    audit_log(actor=user, action="alliance.membership_apply", obj=membership, changes={"tier": tier.code})
    return membership


@transaction.atomic
def membership_decide(*, user: User, membership: Membership, approve: bool, note: str = "") -> Membership:
    """The secretariat approves or rejects an application."""
    tenancy.require_kind(user, SECRETARIAT)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status != MembershipStatus.APPLIED:
        raise AllianceConflict(
            f"the application is {membership.get_status_display()}, not pending", code="conflict"
        )
    now = timezone.now()
    membership.status = MembershipStatus.APPROVED if approve else MembershipStatus.REJECTED
    membership.decided_at, membership.decided_by, membership.decision_note = now, user, note
    if approve:
        membership.member_since = membership.member_since or timezone.localdate(now)
    membership.save()
    audit_log(
        actor=user, action="alliance.membership_decide", obj=membership, changes={"status": membership.status}
    )
    return membership


# --- co-built service points --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareInput:
    member: Organisation
    cost_share: Decimal
    mass_share: Decimal


@transaction.atomic
def shared_point_register(
    *,
    user: User,
    service_point,
    monthly_cost_cny: Decimal,
    opened_on: date,
    shares: list[ShareInput],
) -> SharedServicePoint:
    """Declare a recycling-network service point co-built, with the members' shares of cost and collected mass
    (R-NET, R-ALLIANCE). The secretariat or the point's operator declares it; share holders must be approved
    members. Every automaker holding a share must be served by the point, so that the network's compliance
    count credits each of them: the point's operator adds missing automakers through the network's service.
    """
    org = _acting_org(user)
    if SECRETARIAT not in org.kinds and org.pk != service_point.operator_id:
        raise Forbidden("only the alliance secretariat or the point's operator may declare it co-built")
    errors = rules.shares_valid([(s.cost_share, s.mass_share) for s in shares])
    if len(shares) < 2:
        errors.append("a co-built point is shared by at least two members")
    if len({s.member.pk for s in shares}) != len(shares):
        errors.append("a member holds at most one share of a point")
    outsiders = [str(s.member) for s in shares if not selectors.is_member(s.member)]
    if outsiders:
        errors.append("not approved alliance members: " + ", ".join(outsiders))
    if errors:
        raise AllianceError("; ".join(errors), field="shares", reasons=errors)
    service_point = type(service_point).objects.get(pk=service_point.pk)  # the network's current row
    if SharedServicePoint.objects.filter(service_point=service_point).exists():
        raise AllianceError("this service point is already declared co-built", field="service_point")
    served = list(service_point.automakers.all())
    missing = [s.member for s in shares if "automaker" in s.member.kinds and s.member not in served]
    if missing:
        if not tenancy.can_write(user, service_point):
            names = ", ".join(str(m) for m in missing)
            raise AllianceError(
                f"the point does not serve {names}; its operator must declare the sharing",
                field="service_point",
            )
        service_point_update(point=service_point, actor=user, automakers=served + missing)
    point = SharedServicePoint.objects.create(
        service_point=service_point, monthly_cost_cny=monthly_cost_cny, opened_on=opened_on
    )
    PointShare.objects.bulk_create(
        PointShare(point=point, member=s.member, cost_share=s.cost_share, mass_share=s.mass_share)
        for s in shares
    )
    audit_log(
        actor=user,
        action="alliance.shared_point_register",
        obj=point,
        changes={
            "shares": [(s.member.pk, s.cost_share, s.mass_share) for s in shares],
            "added": [m.pk for m in missing],
        },
    )
    return point


# --- price guidance -----------------------------------------------------------------------------------------


@transaction.atomic
def guidance_create(
    *,
    user: User,
    title: str,
    effective_from: date,
    prices: list[dict],
    metals: list[dict] | None = None,
    notes: str = "",
) -> PriceGuidance:
    """A third-party assessor drafts a guidance issue: reference prices per chemistry, grade and form, and metal
    prices (第三方价格指导, R-ALLIANCE). Grades are the alliance's grade list (market-rules.json)."""
    assessor = tenancy.require_kind(user, "assessor")
    if not prices:
        raise AllianceError("a guidance issue needs at least one reference price", field="prices")
    grades = set(market_rules().grades)
    seen = set()
    rows = []
    for i, p in enumerate(prices):
        grade = "" if p["form"] == PriceForm.BLACK_MASS else p.get("grade", "")
        if p["form"] != PriceForm.BLACK_MASS and grade not in grades:
            raise AllianceError(
                f"prices[{i}]: unknown grade {grade!r}; known: {', '.join(sorted(grades))}", field="prices"
            )
        key = (p["chemistry"], grade, p["form"])
        if key in seen:
            raise AllianceError(f"prices[{i}]: {key} appears twice", field="prices")
        seen.add(key)
        if Decimal(p["price"]) <= 0:
            raise AllianceError(f"prices[{i}]: a price must be positive", field="prices")
        rows.append((p, grade))
    guidance = PriceGuidance.objects.create(
        assessor=assessor, title=title, effective_from=effective_from, notes=notes
    )
    ReferencePrice.objects.bulk_create(
        ReferencePrice(
            guidance=guidance,
            chemistry=p["chemistry"],
            grade=grade,
            form=p["form"],
            price=Decimal(p["price"]),
            low=p.get("low"),
            high=p.get("high"),
        )
        for p, grade in rows
    )
    MetalPrice.objects.bulk_create(
        MetalPrice(guidance=guidance, metal=m["metal"], price_cny_per_t=Decimal(m["price_cny_per_t"]))
        for m in metals or []
    )
    audit_log(actor=user, action="alliance.guidance_create", obj=guidance, changes={"prices": len(rows)})
    return guidance


@transaction.atomic
def guidance_publish(*, user: User, guidance: PriceGuidance) -> PriceGuidance:
    """Publish a draft: from its ``effective_from`` it is the guidance in force until a later issue."""
    tenancy.require_kind(user, "assessor")
    tenancy.require_write(user, guidance)
    guidance = PriceGuidance.objects.select_for_update().get(pk=guidance.pk)
    if guidance.status != GuidanceStatus.DRAFT:
        raise AllianceConflict(
            f"the guidance is {guidance.get_status_display()}, not a draft", code="conflict"
        )
    guidance.status, guidance.published_at, guidance.published_by = (
        GuidanceStatus.PUBLISHED,
        timezone.now(),
        user,
    )
    guidance.save(update_fields=["status", "published_at", "published_by"])
    price_set = _publish_to_valuation(guidance=guidance, user=user)
    audit_log(actor=user, action="alliance.guidance_publish", obj=guidance, changes={"price_set": price_set})
    return guidance


# Li mass fraction of Li2CO3 (2 × 6.941 / 73.89): the valuation prices contained lithium per kg.
LI_IN_LI2CO3 = Decimal("0.18787")
VALUATION_METALS = {"ni": "Ni", "co": "Co", "mn": "Mn", "cu": "Cu", "al": "Al"}


def valuation_prices(guidance: PriceGuidance) -> dict:
    """The guidance as a partial price set of the residual-value assessment: pack prices per kWh by grade and
    chemistry, metal prices per kg of contained metal."""
    per_kwh: dict[str, dict[str, float]] = {}
    for p in guidance.prices.filter(form=PriceForm.PACK):
        per_kwh.setdefault(p.grade, {})[p.chemistry] = float(p.price)
    metals: dict[str, float] = {}
    for m in guidance.metal_prices.all():
        per_kg = m.price_cny_per_t / 1000
        if m.metal in VALUATION_METALS:
            metals[VALUATION_METALS[m.metal]] = float(per_kg.quantize(Decimal("0.01")))
        elif m.metal == "li2co3":
            metals["Li"] = float((per_kg / LI_IN_LI2CO3).quantize(Decimal("0.01")))
    prices: dict = {}
    if per_kwh:
        prices["per_kwh"] = per_kwh
    if metals:
        prices["metals_cny_per_kg"] = metals
    return prices


def _publish_to_valuation(*, guidance: PriceGuidance, user: User):
    """Hand the published guidance to the residual-value assessment, which prices every valuation with the set
    in force on its valuation date (R-VALUE, R-ALLIANCE)."""
    prices = valuation_prices(guidance)
    if not prices:
        return None
    try:
        price_set = price_set_publish(
            effective_date=guidance.effective_from,
            prices=prices,
            source=f"alliance price guidance #{guidance.pk}: {guidance.assessor.display_name}",
            actor=user,
        )
    except ValuationError as exc:
        raise AllianceError(
            f"the residual-value assessment refused the prices: {exc.message}", field="prices"
        ) from exc
    return price_set.pk


@transaction.atomic
def guidance_withdraw(*, user: User, guidance: PriceGuidance, reason: str) -> PriceGuidance:
    tenancy.require_kind(user, "assessor")
    tenancy.require_write(user, guidance)
    guidance.status = GuidanceStatus.WITHDRAWN
    guidance.save(update_fields=["status"])
    audit_log(actor=user, action="alliance.guidance_withdraw", obj=guidance, changes={"reason": reason})
    return guidance


# --- lots and bids ------------------------------------------------------------------------------------------


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
    batteries = {b.code: b for b in Battery.objects.select_for_update().filter(code__in=codes)}
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


def _new_lot(**fields) -> Lot:
    lot = Lot.objects.create(number=uuid.uuid4().hex[:20], **fields)
    lot.number = f"L{timezone.localdate(lot.created_at):%Y}-{lot.pk:06d}"
    lot.save(update_fields=["number"])
    return lot


@transaction.atomic
def lot_create(
    *,
    user: User,
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
    seller = _acting_org(user)
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
        total_energy_kwh=sum((i.energy_kwh for i in built), Decimal(0)),
        total_mass_kg=sum((i.mass_kg for i in built), Decimal(0)),
        created_by=user,
    )
    for item in built:
        item.lot = lot
    LotItem.objects.bulk_create(built)
    _lot_event(lot, LotEventKind.LISTED, user=user, items=len(built), deadline=deadline, sealed=sealed)
    audit_log(
        actor=user, action="alliance.lot_create", obj=lot, changes={"items": [i.battery.code for i in built]}
    )
    return lot


def bid_place(*, user: User, lot: Lot, amount_cny: Decimal, note: str = "") -> Bid:
    """A qualified buyer bids; an unqualified one is refused with every reason (and the refusal is recorded).

    A new bid by the same bidder supersedes its earlier one. Sealed bids stay hidden until the deadline.
    """
    bidder = _acting_org(user)
    if not tenancy.can_read(user, lot):
        raise NotFound(gettext("Not found."), field="lot")
    if not lot.bidding_open():
        raise AllianceConflict("bidding on this lot is closed", field="lot", code="closed")
    if amount_cny <= 0:
        raise AllianceError("a bid must be positive", field="amount_cny")
    ok, reasons = buyer_qualification(buyer=bidder, lot=lot)
    if not ok:
        with transaction.atomic():
            _lot_event(lot, LotEventKind.BID_REFUSED, user=user, reasons=reasons)
            audit_log(actor=user, action="alliance.bid_refused", obj=lot, changes={"reasons": reasons})
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
        bid = Bid.objects.create(lot=lot, bidder=bidder, amount_cny=amount_cny, note=note, placed_by=user)
        # The lot's trail and the audit trail show that a bid came in; a sealed bid's amount stays out of both
        # (regulators read the audit trail) and is recorded with the deal once the lot is awarded.
        shown = {} if lot.sealed else {"amount_cny": amount_cny}
        _lot_event(lot, LotEventKind.BID_PLACED, user=user, bid=bid.pk, **shown)
        audit_log(
            actor=user,
            action="alliance.bid_place",
            obj=bid,
            changes={"lot": lot.number, **shown},
        )
    return bid


@transaction.atomic
def bid_withdraw(*, user: User, bid: Bid) -> Bid:
    bidder = _acting_org(user)
    bid = Bid.objects.select_for_update().select_related("lot").get(pk=bid.pk)
    if bid.bidder_id != bidder.pk:
        raise NotFound(gettext("Not found."), field="lot")
    if bid.status != BidStatus.ACTIVE or not bid.lot.bidding_open():
        raise AllianceConflict("only an active bid on an open lot can be withdrawn", code="conflict")
    bid.status = BidStatus.WITHDRAWN
    bid.save(update_fields=["status"])
    _lot_event(bid.lot, LotEventKind.BID_WITHDRAWN, user=user, bid=bid.pk)
    audit_log(actor=user, action="alliance.bid_withdraw", obj=bid)
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


def _hand_over(*, deal: Deal, user: User) -> int:
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
                actor=deal.seller,
                actor_user=user,
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
    _lot_event(lot, LotEventKind.HANDED_OVER, user=user, batteries=moved, to=deal.buyer.display_name)
    return moved


@transaction.atomic
def lot_accept(*, user: User, lot: Lot, bid: Bid) -> Deal:
    """The seller accepts a bid: the deal is concluded and custody of the lot's batteries moves to the buyer.

    A sealed lot is decided after its deadline, when all bids are visible; a bid must reach the reserve price,
    and the buyer must still be qualified on the day of the deal.
    """
    seller = _acting_org(user)
    tenancy.require_write(user, lot)
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
    ok, reasons = buyer_qualification(buyer=bid.bidder, lot=lot, on=timezone.localdate(now))
    if not ok:
        raise AllianceError(
            "the buyer is no longer qualified: " + "; ".join(reasons),
            field="bid",
            code="not_qualified",
            reasons=reasons,
        )
    check = _outlier(lot=lot, price_cny=bid.amount_cny, on=timezone.localdate(now))
    deal = Deal.objects.create(
        lot=lot,
        bid=bid,
        seller=seller,
        buyer=bid.bidder,
        channel=Channel.ONLINE,
        price_cny=bid.amount_cny,
        concluded_at=now,
        recorded_by=user,
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
        user=user,
        bid=bid.pk,
        amount_cny=bid.amount_cny,
        buyer=bid.bidder.display_name,
    )
    _hand_over(deal=deal, user=user)
    audit_log(
        actor=user,
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
def lot_cancel(*, user: User, lot: Lot, reason: str = "") -> Lot:
    _acting_org(user)
    tenancy.require_write(user, lot)
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status != LotStatus.OPEN:
        raise AllianceConflict(f"the lot is {lot.get_status_display()}", code="conflict")
    lot.status = LotStatus.CANCELLED
    lot.save(update_fields=["status"])
    Bid.objects.filter(lot=lot, status=BidStatus.ACTIVE).update(status=BidStatus.DECLINED)
    _lot_event(lot, LotEventKind.CANCELLED, user=user, reason=reason)
    audit_log(actor=user, action="alliance.lot_cancel", obj=lot, changes={"reason": reason})
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
        _lot_event(lot, LotEventKind.CLOSED_UNSOLD, user=None, actor=lot.seller)
        audit_log(action="alliance.lot_close_unsold", obj=lot)
        closed += 1
    return closed


@transaction.atomic
def deal_record_offline(
    *,
    user: User,
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
    seller = _acting_org(user)
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
        total_energy_kwh=sum((i.energy_kwh for i in built), Decimal(0)),
        total_mass_kg=sum((i.mass_kg for i in built), Decimal(0)),
        created_by=user,
    )
    for item in built:
        item.lot = lot
    LotItem.objects.bulk_create(built)
    ok, reasons = buyer_qualification(buyer=buyer, lot=lot, on=timezone.localdate(concluded_at))
    if not ok:
        raise AllianceError(
            "the buyer is not qualified: " + "; ".join(reasons),
            field="buyer",
            code="not_qualified",
            reasons=reasons,
        )
    check = _outlier(lot=lot, price_cny=price_cny, on=timezone.localdate(concluded_at))
    deal = Deal.objects.create(
        lot=lot,
        seller=seller,
        buyer=buyer,
        channel=Channel.OFFLINE,
        price_cny=price_cny,
        concluded_at=concluded_at,
        recorded_by=user,
        contract_ref=contract_ref,
        **check,
    )
    _lot_event(lot, LotEventKind.OFFLINE_RECORDED, user=user, amount_cny=price_cny, buyer=buyer.display_name)
    _hand_over(deal=deal, user=user)
    audit_log(actor=user, action="alliance.deal_record_offline", obj=deal, changes={"price_cny": price_cny})
    return deal
