"""The JJJ power-battery recycling alliance (R-ALLIANCE, seed 四(四)): membership, co-built service points,
third-party price guidance and residual-value trading.

A co-built point is a recycling-network service point with the members' shares attached; the mass collected
there is read from the lifecycle events that carry its place reference (``sp:<id>``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Region
from accounts.models import Organisation
from core.tenancy import TenancyRule
from traceability.choices import Chemistry


def _is_secretariat(org_id: int) -> Q:
    """The alliance secretariat reads every membership record, application and statement."""
    return Q(Exists(Organisation.objects.filter(pk=org_id, kinds__contains=["alliance_secretariat"])))


def _is_member(org_id: int) -> Q:
    """True for every row when ``org_id`` is an approved alliance member (members-only reads)."""
    return Q(Exists(Membership.objects.filter(organisation_id=org_id, status=MembershipStatus.APPROVED)))


# --- membership ---------------------------------------------------------------------------------------------


class MembershipTier(models.Model):
    """Membership terms and fees (会员类别与会费), loaded from ``alliance/data/membership-terms.json``."""

    code = models.SlugField(_("code"), max_length=32)
    version = models.CharField(_("terms version"), max_length=16)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    annual_fee_cny = models.DecimalField(_("annual fee (CNY)"), max_digits=12, decimal_places=2)
    votes = models.PositiveSmallIntegerField(_("votes in the general assembly"), default=1)
    terms = models.TextField(_("terms"), blank=True)
    valid_from = models.DateField(_("valid from"))
    is_active = models.BooleanField(_("open for applications"), default=True)

    class Meta:
        verbose_name = _("membership tier")
        verbose_name_plural = _("membership tiers")
        ordering = ["-annual_fee_cny"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="alliance_tier_version_once")]

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.version})"


class MembershipStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    LEFT = "left", _("Left")


class Membership(models.Model):
    """One organisation's application and, once approved by the secretariat, its membership."""

    organisation = models.OneToOneField(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="alliance_membership",
        verbose_name=_("organisation"),
    )
    tier = models.ForeignKey(MembershipTier, on_delete=models.PROTECT, verbose_name=_("tier"))
    status = models.CharField(
        _("status"), max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.APPLIED
    )
    statement = models.TextField(_("application statement"), blank=True)
    public_profile = models.TextField(_("public profile"), blank=True)
    listed_publicly = models.BooleanField(_("listed in the public directory"), default=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    capabilities = models.TextField(_("capabilities and capacity (members only)"), blank=True)
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    member_since = models.DateField(_("member since"), null=True, blank=True)
    fee_paid_until = models.DateField(_("fee paid until"), null=True, blank=True)

    tenancy = TenancyRule(
        owners=("organisation",),
        region="organisation__region",
        public=Q(status=MembershipStatus.APPROVED, listed_publicly=True),
        extra_readers=(_is_secretariat,),
    )

    class Meta:
        verbose_name = _("alliance membership")
        verbose_name_plural = _("alliance memberships")
        ordering = ["-applied_at"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_status_display()}"


# --- co-built service points --------------------------------------------------------------------------------


class SharedServicePoint(models.Model):
    """A recycling-network service point co-built and shared by several members (共建共享网点, R-NET, R-ALLIANCE):
    the alliance keeps each member's share of its running cost and of the mass collected there."""

    service_point = models.OneToOneField(
        "recycling_network.ServicePoint",
        on_delete=models.PROTECT,
        related_name="alliance_sharing",
        verbose_name=_("service point"),
    )
    monthly_cost_cny = models.DecimalField(_("monthly running cost (CNY)"), max_digits=12, decimal_places=2)
    opened_on = models.DateField(_("shared since"))
    closed_on = models.DateField(_("shared until"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    tenancy = TenancyRule(
        owners=(
            "service_point__operator",
            lambda org_id: Q(Exists(PointShare.objects.filter(point=OuterRef("pk"), member_id=org_id))),
        ),
        region="service_point__region",
        extra_readers=(_is_secretariat,),
    )

    class Meta:
        verbose_name = _("co-built service point")
        verbose_name_plural = _("co-built service points")
        ordering = ["service_point__region", "service_point__code"]

    def __str__(self) -> str:
        return str(self.service_point)

    @property
    def place_ref(self) -> str:
        return self.service_point.place_ref

    def active_on(self, day) -> bool:
        return self.opened_on <= day and (self.closed_on is None or day <= self.closed_on)


class PointShare(models.Model):
    """One member's share of a co-built point's cost and of the mass collected there."""

    point = models.ForeignKey(SharedServicePoint, on_delete=models.CASCADE, related_name="shares")
    member = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    cost_share = models.DecimalField(_("share of cost"), max_digits=5, decimal_places=4)
    mass_share = models.DecimalField(_("share of collected mass"), max_digits=5, decimal_places=4)

    class Meta:
        verbose_name = _("point share")
        verbose_name_plural = _("point shares")
        constraints = [
            models.UniqueConstraint(fields=["point", "member"], name="alliance_point_share_once"),
            models.CheckConstraint(
                condition=Q(cost_share__gte=0, cost_share__lte=1, mass_share__gte=0, mass_share__lte=1),
                name="alliance_point_share_fraction",
            ),
        ]


# --- price guidance -----------------------------------------------------------------------------------------


class PriceForm(models.TextChoices):
    PACK = "pack", _("Pack")
    MODULE = "module", _("Module")
    CELL = "cell", _("Cell")
    BLACK_MASS = "black_mass", _("Black mass")


class Metal(models.TextChoices):
    LITHIUM_CARBONATE = "li2co3", _("Lithium carbonate")
    LITHIUM_HYDROXIDE = "lioh", _("Lithium hydroxide")
    NICKEL = "ni", _("Nickel")
    COBALT = "co", _("Cobalt")
    MANGANESE = "mn", _("Manganese")
    COPPER = "cu", _("Copper")
    ALUMINIUM = "al", _("Aluminium")


class GuidanceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PriceGuidance(models.Model):
    """A dated issue of third-party price guidance (第三方价格指导): in force from ``effective_from`` until the
    next published issue takes over."""

    assessor = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("assessor")
    )
    title = models.CharField(_("title"), max_length=200)
    effective_from = models.DateField(_("in force from"))
    status = models.CharField(
        _("status"), max_length=16, choices=GuidanceStatus.choices, default=GuidanceStatus.DRAFT
    )
    notes = models.TextField(_("method and notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    tenancy = TenancyRule(owners=("assessor",), public=Q(status=GuidanceStatus.PUBLISHED))

    class Meta:
        verbose_name = _("price guidance")
        verbose_name_plural = _("price guidance")
        ordering = ["-effective_from", "-published_at"]
        indexes = [models.Index(fields=["status", "effective_from"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.effective_from:%Y-%m-%d})"


class ReferencePrice(models.Model):
    """A reference price per chemistry, grade and form: CNY/kWh for packs, modules and cells, CNY/t for black
    mass (whose grade is blank)."""

    guidance = models.ForeignKey(PriceGuidance, on_delete=models.CASCADE, related_name="prices")
    chemistry = models.CharField(_("chemistry"), max_length=1, choices=Chemistry.choices)
    grade = models.CharField(_("grade"), max_length=8, blank=True)
    form = models.CharField(_("form"), max_length=16, choices=PriceForm.choices)
    price = models.DecimalField(_("reference price"), max_digits=12, decimal_places=2)
    low = models.DecimalField(_("range low"), max_digits=12, decimal_places=2, null=True, blank=True)
    high = models.DecimalField(_("range high"), max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("reference price")
        verbose_name_plural = _("reference prices")
        constraints = [
            models.UniqueConstraint(
                fields=["guidance", "chemistry", "grade", "form"], name="alliance_reference_price_once"
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="alliance_reference_price_positive"),
        ]

    @property
    def unit(self) -> str:
        return "CNY/t" if self.form == PriceForm.BLACK_MASS else "CNY/kWh"


class MetalPrice(models.Model):
    guidance = models.ForeignKey(PriceGuidance, on_delete=models.CASCADE, related_name="metal_prices")
    metal = models.CharField(_("metal"), max_length=16, choices=Metal.choices)
    price_cny_per_t = models.DecimalField(_("price (CNY/t)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("metal price")
        verbose_name_plural = _("metal prices")
        constraints = [
            models.UniqueConstraint(fields=["guidance", "metal"], name="alliance_metal_price_once")
        ]


# --- residual-value trading ---------------------------------------------------------------------------------


class LotStatus(models.TextChoices):
    OPEN = "open", _("Open for bids")
    AWARDED = "awarded", _("Sold")
    UNSOLD = "unsold", _("Closed unsold")
    CANCELLED = "cancelled", _("Cancelled")


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline")


class Lot(models.Model):
    """Retired packs or modules a seller offers for residual-value trading (线上残值交易)."""

    number = models.CharField(_("lot number"), max_length=20, unique=True)
    seller = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("seller")
    )
    title = models.CharField(_("title"), max_length=200)
    form = models.CharField(_("form"), max_length=16, choices=PriceForm.choices, default=PriceForm.PACK)
    location = models.CharField(_("location"), max_length=300)
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    reserve_price_cny = models.DecimalField(_("reserve price (CNY)"), max_digits=14, decimal_places=2)
    deadline = models.DateTimeField(_("bidding deadline"))
    sealed = models.BooleanField(_("sealed bids"), default=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    status = models.CharField(_("status"), max_length=16, choices=LotStatus.choices, default=LotStatus.OPEN)
    description = models.TextField(_("description"), blank=True)
    total_energy_kwh = models.DecimalField(_("remaining energy (kWh)"), max_digits=12, decimal_places=3)
    total_mass_kg = models.DecimalField(_("mass (kg)"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # Members see open and closed online lots (the market); the seller and regulators see everything.
    tenancy = TenancyRule(
        owners=("seller",),
        region="region",
        extra_readers=(lambda org_id: _is_member(org_id) & Q(channel=Channel.ONLINE),),
    )

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "deadline"]), models.Index(fields=["seller", "status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def bidding_open(self, now=None) -> bool:
        return self.status == LotStatus.OPEN and (now or timezone.now()) < self.deadline

    def bids_revealed(self, now=None) -> bool:
        """Sealed bids stay hidden from everyone but their bidder until the deadline."""
        return not self.sealed or (now or timezone.now()) >= self.deadline


class LotItem(models.Model):
    """One pack or module in a lot, with the assessment it is offered on."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="items")
    battery = models.ForeignKey("traceability.Battery", on_delete=models.PROTECT, related_name="+")
    chemistry = models.CharField(_("chemistry"), max_length=1, choices=Chemistry.choices, blank=True)
    grade = models.CharField(_("grade"), max_length=8, blank=True)
    soh = models.DecimalField(_("state of health"), max_digits=5, decimal_places=4, null=True, blank=True)
    energy_kwh = models.DecimalField(_("remaining energy (kWh)"), max_digits=10, decimal_places=3)
    mass_kg = models.DecimalField(_("mass (kg)"), max_digits=10, decimal_places=2)
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    assessment_ref = models.CharField(_("assessment reference"), max_length=64, blank=True)
    guide_value_cny = models.DecimalField(
        _("value at guidance (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("lot item")
        verbose_name_plural = _("lot items")
        constraints = [models.UniqueConstraint(fields=["lot", "battery"], name="alliance_lot_item_once")]


class BidStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUPERSEDED = "superseded", _("Superseded")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Not accepted")


def _seller_after_reveal(org_id: int) -> Q:
    return Q(lot__seller_id=org_id) & (Q(lot__sealed=False) | Q(lot__deadline__lte=models.functions.Now()))


class Bid(models.Model):
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="bids")
    bidder = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("bidder")
    )
    amount_cny = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    status = models.CharField(_("status"), max_length=16, choices=BidStatus.choices, default=BidStatus.ACTIVE)
    note = models.CharField(_("note"), max_length=300, blank=True)
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # A sealed bid is readable by its bidder; by the seller only once the deadline has passed. Regulators
    # read bids through the selector, which applies the same deadline.
    tenancy = TenancyRule(owners=("bidder",), region="lot__region", extra_readers=(_seller_after_reveal,))

    class Meta:
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        ordering = ["-amount_cny", "placed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["lot", "bidder"], condition=Q(status="active"), name="alliance_one_active_bid"
            ),
            models.CheckConstraint(condition=Q(amount_cny__gt=0), name="alliance_bid_positive"),
        ]

    def __str__(self) -> str:
        # Names the lot and the bidder, not the amount: the audit trail shows this text next to sealed bids.
        return f"{self.lot.number} · {self.bidder}"


class Deal(models.Model):
    """A concluded trade, online (an accepted bid) or recorded offline; its hand-over moves custody."""

    lot = models.OneToOneField(Lot, on_delete=models.PROTECT, related_name="deal")
    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, null=True, blank=True, related_name="deal")
    seller = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    buyer = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    price_cny = models.DecimalField(_("price (CNY)"), max_digits=14, decimal_places=2)
    price_per_kwh = models.DecimalField(_("price (CNY/kWh)"), max_digits=12, decimal_places=2, null=True)
    reference_per_kwh = models.DecimalField(
        _("guidance (CNY/kWh)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    deviation = models.DecimalField(_("deviation from guidance"), max_digits=7, decimal_places=4, null=True)
    is_outlier = models.BooleanField(_("outlier against guidance"), default=False)
    guidance = models.ForeignKey(
        PriceGuidance, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    concluded_at = models.DateTimeField(_("concluded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contract_ref = models.CharField(_("contract reference"), max_length=100, blank=True)

    tenancy = TenancyRule(owners=("seller", "buyer"), region="lot__region")

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-concluded_at"]
        indexes = [models.Index(fields=["concluded_at"])]

    def __str__(self) -> str:
        return f"{self.lot.number} → {self.buyer}"


class LotEventKind(models.TextChoices):
    LISTED = "listed", _("Listed")
    BID_PLACED = "bid_placed", _("Bid placed")
    BID_WITHDRAWN = "bid_withdrawn", _("Bid withdrawn")
    BID_REFUSED = "bid_refused", _("Bid refused")
    ACCEPTED = "accepted", _("Bid accepted")
    HANDED_OVER = "handed_over", _("Custody handed over")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED_UNSOLD = "closed_unsold", _("Closed unsold")
    OFFLINE_RECORDED = "offline_recorded", _("Offline deal recorded")


class LotEvent(models.Model):
    """The lot's own audit trail, shown to its participants (amounts of sealed bids are not written here)."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=24, choices=LotEventKind.choices)
    actor = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, null=True, related_name="+")
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("lot event")
        verbose_name_plural = _("lot events")
