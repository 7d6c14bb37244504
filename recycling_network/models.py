"""Recycling network (R-NET, R-SCRAP, R-PUBLIC): service points, intake, stock, transfers, scrapped vehicles.

Custody itself lives in ``traceability`` (``Battery.custodian`` and lifecycle events); the rows here are the
network's working records (who received what where, manifests, certificates) plus a stock view saying which
service point physically holds a pack.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Region
from core.i18n import localised
from core.tenancy import TenancyRule

from .choices import (
    AlertKind,
    CertificateCheck,
    ChangeRequestKind,
    ChangeRequestStatus,
    Condition,
    ItemStatus,
    PointKind,
    PointStatus,
    ReviewAction,
    SourceKind,
    TransferStatus,
)


class NetworkParameter(models.Model):
    """Thresholds and rules marked [S2]/[U] in domain.md, as data (filled from ``data/parameters.json``)."""

    key = models.CharField(max_length=64, unique=True)
    value = models.JSONField()
    description = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    confidence = models.CharField(max_length=4, default="U")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("network parameter")
        verbose_name_plural = _("network parameters")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Division(models.Model):
    """Administrative divisions (GB/T 2260) of Beijing, Tianjin and Hebei: the regions, Beijing's and Tianjin's
    districts and Hebei's prefecture-level cities, from ``data/divisions.json``."""

    code = models.CharField(_("division code"), max_length=6, primary_key=True)
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    level = models.CharField(max_length=16)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50)
    lat = models.FloatField()
    lon = models.FloatField()

    class Meta:
        verbose_name = _("administrative division")
        ordering = ["code"]

    def __str__(self) -> str:
        return localised(self.name_zh, self.name_en)


def _serves_automaker(org_id: int) -> Q:
    return Q(
        Exists(
            ServicePoint.automakers.through.objects.filter(servicepoint=OuterRef("pk"), organisation=org_id)
        )
    )


class ServicePoint(models.Model):
    """A recycling service point (回收服务网点), mobile station or the regional hub (R-NET, seed 四(一)1).

    Coordinates are WGS-84; ``coordinate_input`` says what the submitter gave (see :mod:`recycling_network.geo`).
    """

    code = models.CharField(_("point code"), max_length=20, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=PointKind.choices, default=PointKind.FIXED)
    operator = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="operated_points",
        verbose_name=_("operator"),
    )
    registered_by = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="registered_points",
        verbose_name=_("registered by"),
    )
    automakers = models.ManyToManyField(
        "accounts.Organisation", related_name="service_points", verbose_name=_("automakers served")
    )
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    district = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="points", verbose_name=_("district")
    )
    address = models.CharField(_("address"), max_length=300)
    lat = models.FloatField(_("latitude (WGS-84)"))
    lon = models.FloatField(_("longitude (WGS-84)"))
    coordinate_input = models.CharField(
        _("coordinates given as"), max_length=8, default="wgs84", help_text=_("wgs84 or gcj02")
    )
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    phone_public = models.BooleanField(_("publish the contact phone"), default=False)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    capacity_packs = models.PositiveIntegerField(_("storage capacity (packs)"), default=0)
    capacity_kg = models.PositiveIntegerField(_("storage capacity (kg)"), default=0)
    storage_area_m2 = models.DecimalField(
        _("storage area (m²)"), max_digits=9, decimal_places=1, null=True, blank=True
    )
    has_isolation_area = models.BooleanField(_("isolation area for damaged packs"), default=False)
    has_fire_suppression = models.BooleanField(_("fire suppression"), default=False)
    fire_rating = models.CharField(_("fire-resistance rating"), max_length=40, blank=True)
    can_test = models.BooleanField(_("can test"), default=False)
    can_sort = models.BooleanField(_("can sort"), default=False)
    can_pre_dismantle = models.BooleanField(_("can pre-dismantle"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=PointStatus.choices, default=PointStatus.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    # Only the operator changes a point (a co-built point serves several automakers; none of them may cut the
    # others out or close it): the registering and the served automakers read it and file change requests.
    tenancy = TenancyRule(
        owners=("operator",),
        region="region",
        public=Q(status=PointStatus.PUBLISHED),
        extra_readers=("registered_by", _serves_automaker),
    )

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["region", "district_id", "code"]
        indexes = [models.Index(fields=["status", "region"]), models.Index(fields=["operator", "status"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localised(self.name_zh, self.name_en)

    @property
    def place_ref(self) -> str:
        return f"sp:{self.pk}"


class PointReview(models.Model):
    """One step of the review workflow (draft → submitted → published ↔ suspended → closed), kept for audit."""

    point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="reviews")
    action = models.CharField(max_length=16, choices=ReviewAction.choices)
    status_before = models.CharField(max_length=16, choices=PointStatus.choices)
    status_after = models.CharField(max_length=16, choices=PointStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("point__operator", "point__registered_by"), region="point__region")

    class Meta:
        ordering = ["-created_at", "-id"]


class PointChangeRequest(models.Model):
    """A served automaker asks for a change to, or the closing of, a point it does not operate (R-NET, seed
    四(一)1 共建共享). The operator or the regulator of the point's region decides; an approved request is
    applied through the same service as the operator's own edits, and so audited and re-reviewed alike."""

    point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(_("request"), max_length=8, choices=ChangeRequestKind.choices)
    changes = models.JSONField(_("requested changes"), default=dict, blank=True)
    note = models.TextField(_("reason"), blank=True)
    requested_by = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=ChangeRequestStatus.choices,
        default=ChangeRequestStatus.PENDING,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(
        owners=("point__operator",), region="point__region", extra_readers=("requested_by",)
    )

    class Meta:
        verbose_name = _("service-point change request")
        verbose_name_plural = _("service-point change requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.point.code} {self.kind} #{self.pk}"


class Intake(models.Model):
    """A pack received at a service point (the outlets' main job)."""

    point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="intakes")
    battery = models.ForeignKey("traceability.Battery", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code as scanned"), max_length=40)
    source_kind = models.CharField(_("received from"), max_length=16, choices=SourceKind.choices)
    source_org = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_name = models.CharField(_("handed in by"), max_length=200, blank=True)
    condition = models.CharField(_("condition"), max_length=16, choices=Condition.choices)
    mass_kg = models.DecimalField(_("mass (kg)"), max_digits=9, decimal_places=2, null=True, blank=True)
    photo = models.FileField(_("photo"), upload_to="intake/%Y/%m/", blank=True)
    unregistered = models.BooleanField(_("unregistered code"), default=False)
    received_at = models.DateTimeField(_("received at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("traceability.LifecycleEvent", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    # The operator owns the record; the automakers of the point read it only where they may read the battery
    # (``selectors.intakes_visible``), never through the point alone.
    tenancy = TenancyRule(owners=("point__operator",), region="point__region")

    class Meta:
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["point", "received_at"]), models.Index(fields=["unregistered"])]


class StockEntry(models.Model):
    """Which service point physically holds a pack now. One row per pack at most; removed when it leaves."""

    battery = models.OneToOneField("traceability.Battery", on_delete=models.PROTECT, related_name="+")
    point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="stock")
    since = models.DateTimeField()
    condition = models.CharField(max_length=16, choices=Condition.choices, default=Condition.INTACT)
    mass_kg = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    bay = models.CharField(_("storage bay"), max_length=40, blank=True)

    # As for intakes: the automakers of the point read stock through ``selectors.stock_visible``.
    tenancy = TenancyRule(owners=("point__operator",), region="point__region")

    class Meta:
        verbose_name = _("stock entry")
        verbose_name_plural = _("stock")
        ordering = ["point", "since"]


class Transfer(models.Model):
    """A hand-over under a transport manifest: between points, to the hub, to a cascade-use or regeneration
    enterprise. Custody changes per pack only when the receiver confirms its arrival."""

    number = models.CharField(_("manifest number"), max_length=32, unique=True)
    from_point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="transfers_out")
    sender = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    to_point = models.ForeignKey(
        ServicePoint, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers_in"
    )
    receiver = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("receiver")
    )
    carrier = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    carrier_name = models.CharField(_("carrier"), max_length=200)
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=16)
    dangerous_goods = models.CharField(_("dangerous-goods entry"), max_length=16)
    total_mass_kg = models.DecimalField(_("total mass (kg)"), max_digits=11, decimal_places=2, default=0)
    departed_at = models.DateTimeField(_("departure"))
    expected_arrival_at = models.DateTimeField(_("expected arrival"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrival"), null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=TransferStatus.choices, default=TransferStatus.IN_TRANSIT, db_index=True
    )
    region = models.CharField(max_length=3, choices=Region.choices)
    receiver_region = models.CharField(max_length=3, choices=Region.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("sender", "receiver", "carrier"), region="region")

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-departed_at", "-id"]

    def __str__(self) -> str:
        return self.number


class TransferItem(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="items")
    battery = models.ForeignKey("traceability.Battery", on_delete=models.PROTECT, related_name="+")
    condition = models.CharField(max_length=16, choices=Condition.choices, default=Condition.INTACT)
    mass_kg = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.IN_TRANSIT)
    received_at = models.DateTimeField(null=True, blank=True)
    missing_since = models.DateTimeField(null=True, blank=True)

    tenancy = TenancyRule(
        owners=("transfer__sender", "transfer__receiver", "transfer__carrier"), region="transfer__region"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["transfer", "battery"], name="transfer_item_once")]
        indexes = [models.Index(fields=["status", "transfer"])]


class ScrapCertificate(models.Model):
    """A scrapped NEV's 《报废汽车回收证明》 recorded by its dismantler (R-SCRAP, 第十三条)."""

    number = models.CharField(_("scrap certificate number"), max_length=40, unique=True)
    dismantler = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    vehicle = models.ForeignKey("traceability.Vehicle", on_delete=models.PROTECT, related_name="+")
    vin = models.CharField(max_length=17)
    pack = models.ForeignKey(
        "traceability.Battery",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pack named by the certificate"),
    )
    issued_at = models.DateTimeField(_("issued at"))
    pack_present = models.BooleanField(_("pack arrived with the vehicle"), default=True)
    region = models.CharField(max_length=3, choices=Region.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(
        owners=("dismantler", "vehicle__automaker", "vehicle__fleet_owner"), region="region"
    )

    class Meta:
        verbose_name = _("scrap certificate")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number


class PackRemoval(models.Model):
    """A pack taken out of a scrapped vehicle; its custodian afterwards is the dismantler, or the fleet owner
    where the fleet owns packs separately from its vehicles."""

    certificate = models.ForeignKey(ScrapCertificate, on_delete=models.PROTECT, related_name="removals")
    battery = models.ForeignKey("traceability.Battery", on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField()
    custodian = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("traceability.LifecycleEvent", on_delete=models.PROTECT, related_name="+")

    tenancy = TenancyRule(owners=("certificate__dismantler", "custodian"), region="certificate__region")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["battery"], name="pack_removed_once")]


class BatteryRecycledCertificate(models.Model):
    """For a vehicle scrapped without its pack: the certificate that the pack was recycled, naming where it
    went, checked against the trace (R-SCRAP)."""

    scrap_certificate = models.OneToOneField(
        ScrapCertificate, on_delete=models.PROTECT, related_name="recycled_certificate"
    )
    number = models.CharField(_("certificate number"), max_length=40)
    battery_code = models.CharField(_("pack code"), max_length=25)
    battery = models.ForeignKey("traceability.Battery", on_delete=models.PROTECT, null=True, related_name="+")
    recycled_by = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("pack went to")
    )
    issued_at = models.DateField()
    check_result = models.CharField(max_length=16, choices=CertificateCheck.choices)
    check_notes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(
        owners=("scrap_certificate__dismantler", "recycled_by"), region="scrap_certificate__region"
    )


class NetworkAlert(models.Model):
    """Something a regulator should look at: a pack missing in transit, an unregistered code taken in, a
    vehicle scrapped without its pack, a certificate that contradicts the trace."""

    kind = models.CharField(max_length=32, choices=AlertKind.choices, db_index=True)
    region = models.CharField(max_length=3, choices=Region.choices)
    battery = models.ForeignKey("traceability.Battery", on_delete=models.PROTECT, null=True, related_name="+")
    point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    transfer_item = models.ForeignKey(
        TransferItem, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, related_name="+"
    )
    message = models.CharField(max_length=300)
    raised_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    tenancy = TenancyRule(owners=("organisation",), region="region")

    class Meta:
        verbose_name = _("network alert")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer_item"],
                condition=Q(kind="missing_in_transit", resolved_at__isnull=True),
                name="one_open_transit_alert_per_item",
            )
        ]


class GuideSection(models.Model):
    """A section of the public recycling guide, zh and en (R-PUBLIC); filled from ``data/guide.json`` and
    editable in the admin."""

    key = models.SlugField(unique=True)
    order = models.PositiveSmallIntegerField(default=100)
    icon = models.CharField(max_length=40, blank=True)
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_zh = models.TextField()
    body_en = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("recycling guide section")
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.key
