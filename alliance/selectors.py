"""Reads for the alliance (R-ALLIANCE, R-NET): directory, co-built points, guidance in force, bids, reports."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Organisation
from core import tenancy
from traceability import selectors as trace

from . import rules
from .models import (
    Bid,
    Deal,
    GuidanceStatus,
    Lot,
    LotEvent,
    LotEventKind,
    LotItem,
    Membership,
    MembershipStatus,
    PointShare,
    PriceGuidance,
    ReferencePrice,
    SharedServicePoint,
)

# --- membership ---------------------------------------------------------------------------------------------


def is_member(org: Organisation | None) -> bool:
    if org is None:
        return False
    return Membership.objects.filter(organisation=org, status=MembershipStatus.APPROVED).exists()


def is_secretariat(user) -> bool:
    org = getattr(user, "organisation", None)
    return bool(org and "alliance_secretariat" in org.kinds)


def sees_members_only(user) -> bool:
    """Members-only directory fields: approved members, the secretariat, regulators and administrators."""
    scope = tenancy.scope_of(user)
    if scope.superuser or scope.regulator:
        return True
    return scope.authenticated and (is_secretariat(user) or is_member(getattr(user, "organisation", None)))


def directory(user) -> QuerySet[Membership]:
    """Approved members; the public sees only those listed publicly."""
    qs = Membership.objects.filter(status=MembershipStatus.APPROVED).select_related("organisation", "tier")
    if not sees_members_only(user):
        qs = qs.filter(listed_publicly=True)
    return qs.order_by("organisation__region", "organisation__name_zh")


def applications(user) -> QuerySet[Membership]:
    return tenancy.visible(Membership.objects.select_related("organisation", "tier"), user)


# --- co-built points ----------------------------------------------------------------------------------------


def automakers_served(point: SharedServicePoint) -> set[int]:
    served = {a.pk for a in point.service_point.automakers.all()}
    served |= {s.member_id for s in point.shares.all() if "automaker" in s.member.kinds}
    return served


def points_visible(user) -> QuerySet[SharedServicePoint]:
    return tenancy.visible(
        SharedServicePoint.objects.select_related("service_point__operator").prefetch_related(
            "service_point__automakers",
            Prefetch("shares", queryset=PointShare.objects.select_related("member").order_by("-cost_share")),
        ),
        user,
    )


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    last = calendar.monthrange(year, month)[1]
    start = timezone.make_aware(datetime.combine(date(year, month, 1), time.min), tz)
    end = timezone.make_aware(datetime.combine(date(year, month, last), time.max), tz)
    return start, end


def collected_kg(*, point: SharedServicePoint, year: int, month: int) -> Decimal:
    """Mass received at the point in the month, from the lifecycle events carrying its place reference."""
    start, end = month_bounds(year, month)
    return trace.mass_received_at(place_ref=point.place_ref, start=start, end=end)


@dataclass(frozen=True)
class StatementLine:
    point: SharedServicePoint
    collected_kg: Decimal
    mass_share: Decimal
    member_kg: Decimal
    monthly_cost_cny: Decimal
    cost_share: Decimal
    member_cost_cny: Decimal


@dataclass(frozen=True)
class Statement:
    member: Organisation
    year: int
    month: int
    lines: list[StatementLine]

    @property
    def total_kg(self) -> Decimal:
        return sum((line.member_kg for line in self.lines), Decimal(0))

    @property
    def total_cost_cny(self) -> Decimal:
        return sum((line.member_cost_cny for line in self.lines), Decimal(0))


def member_statement(*, member: Organisation, year: int, month: int) -> Statement:
    """A member's monthly statement: mass collected for it at shared points and its cost share."""
    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    lines = []
    shares = (
        PointShare.objects.filter(member=member)
        .select_related("point__service_point")
        .order_by("point__service_point__code")
    )
    for share in shares:
        point = share.point
        if point.opened_on > last or (point.closed_on is not None and point.closed_on < first):
            continue
        kg = collected_kg(point=point, year=year, month=month)
        lines.append(
            StatementLine(
                point=point,
                collected_kg=kg,
                mass_share=share.mass_share,
                member_kg=rules.share_of(kg, share.mass_share),
                monthly_cost_cny=point.monthly_cost_cny,
                cost_share=share.cost_share,
                member_cost_cny=rules.share_of(point.monthly_cost_cny, share.cost_share),
            )
        )
    return Statement(member=member, year=year, month=month, lines=lines)


# --- price guidance -----------------------------------------------------------------------------------------


def guidance_in_force(*, on: date, assessor: Organisation | None = None) -> PriceGuidance | None:
    """The published guidance in force on ``on`` (the latest effective on or before it)."""
    qs = PriceGuidance.objects.filter(status=GuidanceStatus.PUBLISHED, effective_from__lte=on)
    if assessor is not None:
        qs = qs.filter(assessor=assessor)
    issues = [
        rules.Issue(id=g.pk, effective_from=g.effective_from, published_at_key=g.published_at.timestamp())
        for g in qs.only("pk", "effective_from", "published_at").order_by("-effective_from")[:20]
    ]
    chosen = rules.in_force(issues, on)
    return None if chosen is None else PriceGuidance.objects.get(pk=chosen.id)


def reference_price(
    *, on: date, chemistry: str, grade: str, form: str
) -> tuple[Decimal | None, PriceGuidance | None]:
    """The reference price (CNY/kWh; CNY/t for black mass) in force on ``on`` and the guidance it comes from.

    This is what the residual-value assessment prices with: the guidance in force on the valuation date.
    """
    guidance = guidance_in_force(on=on)
    if guidance is None:
        return None, None
    row = ReferencePrice.objects.filter(
        guidance=guidance, chemistry=chemistry, grade=grade, form=form
    ).first()
    return (row.price if row else None), guidance


def value_at_guidance(
    *, chemistry: str, grade: str, form: str, energy_kwh: Decimal, on: date
) -> tuple[Decimal | None, PriceGuidance | None]:
    """Residual value of ``energy_kwh`` at the guidance in force on ``on`` (None when no price applies)."""
    price, guidance = reference_price(on=on, chemistry=chemistry, grade=grade, form=form)
    if price is None:
        return None, guidance
    return rules.share_of(Decimal(energy_kwh), price), guidance


def guidance_visible(user) -> QuerySet[PriceGuidance]:
    return tenancy.visible(PriceGuidance.objects.select_related("assessor"), user)


def price_history(*, chemistry: str, grade: str, form: str) -> list[dict]:
    """Published reference prices over time for one series, oldest first (for the chart)."""
    rows = (
        ReferencePrice.objects.filter(
            guidance__status=GuidanceStatus.PUBLISHED, chemistry=chemistry, grade=grade, form=form
        )
        .select_related("guidance__assessor")
        .order_by("guidance__effective_from", "guidance__published_at")
    )
    return [
        {
            "date": r.guidance.effective_from.isoformat(),
            "price": float(r.price),
            "low": float(r.low) if r.low is not None else None,
            "high": float(r.high) if r.high is not None else None,
            "assessor": r.guidance.assessor.display_name,
        }
        for r in rows
    ]


def trade_points(*, chemistry: str, grade: str, form: str, user) -> list[dict]:
    """Deal prices per kWh for the chart, from deals the user may read, with their outlier flag."""
    items = LotItem.objects.filter(chemistry=chemistry, grade=grade, lot__form=form, lot__deal__isnull=False)
    deals = tenancy.visible(Deal.objects.filter(lot__in=items.values("lot")), user).order_by("concluded_at")
    return [
        {
            "date": timezone.localdate(d.concluded_at).isoformat(),
            "price": float(d.price_per_kwh),
            "outlier": d.is_outlier,
            "lot": d.lot.number,
        }
        for d in deals.select_related("lot")
        if d.price_per_kwh is not None
    ]


# --- trading ------------------------------------------------------------------------------------------------


def lots_visible(user) -> QuerySet[Lot]:
    return tenancy.visible(Lot.objects.select_related("seller"), user)


def bids_visible(*, lot: Lot, user) -> QuerySet[Bid]:
    """Bids on ``lot`` the user may read: always their own; everyone else's only after a sealed lot's deadline
    (sealed bids are hidden from the seller, other bidders and regulators until then)."""
    qs = Bid.objects.filter(lot=lot).select_related("bidder")
    if lot.bids_revealed():
        return tenancy.visible(qs, user)
    org_id = tenancy.scope_of(user).org_id
    return qs.filter(bidder_id=org_id) if org_id is not None else qs.none()


BID_EVENT_KINDS = (LotEventKind.BID_PLACED, LotEventKind.BID_WITHDRAWN, LotEventKind.BID_REFUSED)


def lot_events(*, lot: Lot, user) -> list[LotEvent]:
    """The lot's trail as ``user`` may read it (R-ALLIANCE, sealed bids): every event is listed, but a bid
    event names its bidder (and carries its details) only for those who may read that bid, i.e. the bidder
    itself and, once the deadline has passed, the seller and regulators. Others see that a bid came in."""
    events = list(lot.events.select_related("actor").order_by("at", "id"))
    scope = tenancy.scope_of(user)
    readable_bids = {str(pk) for pk in bids_visible(lot=lot, user=user).values_list("pk", flat=True)}
    sees_refusals = lot.bids_revealed() and (
        scope.superuser or scope.regulator or (scope.org_id is not None and scope.org_id == lot.seller_id)
    )
    for event in events:
        if event.kind not in BID_EVENT_KINDS or (scope.org_id and event.actor_id == scope.org_id):
            continue
        bid = event.detail.get("bid")
        if (str(bid) in readable_bids) if bid is not None else sees_refusals:
            continue
        # Masked in memory only, for this reader; the stored trail keeps the bidder.
        event.actor = event.actor_user = None
        event.detail = {}
    return events


def deals_visible(user) -> QuerySet[Deal]:
    return tenancy.visible(Deal.objects.select_related("lot", "seller", "buyer"), user)


# --- market report ------------------------------------------------------------------------------------------


@dataclass
class ReportRow:
    month: str
    chemistry: str
    grade: str
    deals: int
    items: int
    energy_kwh: Decimal
    mass_kg: Decimal
    value_cny: Decimal
    reference_per_kwh: Decimal | None

    @property
    def price_per_kwh(self) -> Decimal | None:
        if not self.energy_kwh:
            return None
        return (self.value_cny / self.energy_kwh).quantize(Decimal("0.01"))


REPORT_HEADER = [
    "month",
    "chemistry",
    "grade",
    "deals",
    "items",
    "energy_kwh",
    "mass_kg",
    "value_cny",
    "price_per_kwh",
    "reference_per_kwh",
]


def market_report(*, date_from: date | None = None, date_to: date | None = None) -> list[ReportRow]:
    """Volumes and prices by month, chemistry and grade (R-ALLIANCE). A deal's price is spread over its items
    by remaining energy, so a mixed lot contributes to each of its chemistry-grade groups."""
    deals = Deal.objects.all()
    if date_from:
        deals = deals.filter(concluded_at__date__gte=date_from)
    if date_to:
        deals = deals.filter(concluded_at__date__lte=date_to)
    items = LotItem.objects.filter(lot__deal__in=deals).select_related("lot__deal").order_by()
    groups: dict[tuple[str, str, str], ReportRow] = {}
    deal_ids: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    ref_sum: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
    for item in items:
        deal = item.lot.deal
        lot_energy = item.lot.total_energy_kwh or Decimal(1)
        month = timezone.localtime(deal.concluded_at).strftime("%Y-%m")
        key = (month, item.chemistry, item.grade)
        row = groups.get(key) or ReportRow(
            month, item.chemistry, item.grade, 0, 0, Decimal(0), Decimal(0), Decimal(0), None
        )
        groups[key] = row
        deal_ids[key].add(deal.pk)
        row.items += 1
        row.energy_kwh += item.energy_kwh
        row.mass_kg += item.mass_kg
        row.value_cny += (deal.price_cny * item.energy_kwh / lot_energy).quantize(Decimal("0.01"))
        if deal.reference_per_kwh is not None:
            ref_sum[key].append(deal.reference_per_kwh)
    for key, row in groups.items():
        row.deals = len(deal_ids[key])
        refs = ref_sum[key]
        row.reference_per_kwh = (sum(refs) / len(refs)).quantize(Decimal("0.01")) if refs else None
    return [groups[k] for k in sorted(groups)]


def report_rows(rows: list[ReportRow]) -> list[list]:
    return [
        [
            r.month,
            r.chemistry,
            r.grade,
            r.deals,
            r.items,
            r.energy_kwh,
            r.mass_kg,
            r.value_cny,
            r.price_per_kwh,
            r.reference_per_kwh,
        ]
        for r in rows
    ]
