"""Cascade use (梯次利用, R-CASCADE): authorisations from battery makers, safety assessments of retired packs,
repurposed second-life products and the reference data they rely on (scenarios, waste hand-over periods)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import localised
from core.tenancy import TenancyRule


class Scenario(models.Model):
    """An application scenario of second life with its SOH band (domain.md §6: data, not code)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    family = models.SlugField(_("family"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    min_soh_pct = models.DecimalField(_("minimum SOH (%)"), max_digits=5, decimal_places=2)
    max_soh_pct = models.DecimalField(_("typical maximum SOH (%)"), max_digits=5, decimal_places=2)
    confidence = models.CharField(_("confidence"), max_length=4, default="S2")
    version = models.CharField(_("data version"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    tenancy = TenancyRule(public=Q(is_active=True))

    class Meta:
        ordering = ["-min_soh_pct", "key"]
        verbose_name = _("application scenario")
        verbose_name_plural = _("application scenarios")

    def __str__(self) -> str:
        return localised(self.name_zh, self.name_en)


class WasteReason(models.TextChoices):
    ASSESSMENT_FAILED = "assessment_failed", _("Failed safety assessment")
    END_OF_SECOND_LIFE = "end_of_second_life", _("End of second life")


class WasteDeadlineRule(models.Model):
    """How long a cascade-use enterprise may hold its own waste before handing it to regeneration (R-CASCADE).

    Calendar days, data not code (the period is not confirmed by a source: confidence U)."""

    reason = models.CharField(_("reason"), max_length=32, choices=WasteReason.choices, unique=True)
    days = models.PositiveSmallIntegerField(_("days"))
    confidence = models.CharField(_("confidence"), max_length=4, default="U")
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("waste hand-over period")
        verbose_name_plural = _("waste hand-over periods")

    def __str__(self) -> str:
        return f"{self.reason}: {self.days} d"


class AuthorisationKind(models.TextChoices):
    AUTHORISATION = "authorisation", _("Authorisation")
    TECHNICAL_SUPPORT = "technical_support", _("Technical-support agreement")


class ProductType(models.TextChoices):
    """Position 4 of the GB/T 34014 code."""

    PACK = "P", _("Pack")
    MODULE = "M", _("Module")
    CELL = "C", _("Cell")


class Authorisation(models.Model):
    """A battery maker's authorisation (or technical-support agreement) for a cascade-use enterprise to
    repurpose its packs (R-CASCADE, seed 四(一)2). Empty chemistries or product types mean all of them."""

    kind = models.CharField(
        _("kind"), max_length=20, choices=AuthorisationKind.choices, default=AuthorisationKind.AUTHORISATION
    )
    battery_maker = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="cascade_authorisations_granted",
        verbose_name=_("battery maker"),
    )
    enterprise = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="cascade_authorisations",
        verbose_name=_("cascade-use enterprise"),
    )
    chemistries = ArrayField(
        models.CharField(max_length=1), verbose_name=_("chemistries"), default=list, blank=True
    )
    product_types = ArrayField(
        models.CharField(max_length=1, choices=ProductType.choices),
        verbose_name=_("product types"),
        default=list,
        blank=True,
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    document_ref = models.CharField(_("document reference"), max_length=100)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)

    tenancy = TenancyRule(owners=("battery_maker", "enterprise"), region="enterprise__region")

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("cascade-use authorisation")
        verbose_name_plural = _("cascade-use authorisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")), name="authorisation_valid_period"
            ),
            models.CheckConstraint(
                condition=~Q(battery_maker=models.F("enterprise")), name="authorisation_not_to_self"
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "battery_maker", "valid_to"])]

    def __str__(self) -> str:
        return self.document_ref


class Verdict(models.TextChoices):
    PASS = "pass", _("Pass")
    PASS_LIMITED = "pass_limited", _("Pass with limits")
    FAIL = "fail", _("Fail")


class SafetyAssessment(models.Model):
    """Safety assessment of a pack, module or cell before reuse (R-CASCADE), with the GB/T 34015.1 residual
    capacity steps as recorded fields: visual inspection → polarity → voltage check → choice of test current →
    remaining-capacity measurement; plus insulation and internal resistance."""

    battery = models.ForeignKey(
        "traceability.Battery",
        on_delete=models.PROTECT,
        related_name="safety_assessments",
        verbose_name=_("battery"),
    )
    enterprise = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="safety_assessments",
        verbose_name=_("enterprise"),
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessor_name = models.CharField(_("assessor"), max_length=100)
    assessed_at = models.DateTimeField(_("assessed at"))
    # GB/T 34015.1 step 1: visual inspection
    visual_ok = models.BooleanField(_("visual inspection passed"))
    visual_notes = models.CharField(_("visual findings"), max_length=300, blank=True)
    # step 2: polarity
    polarity_ok = models.BooleanField(_("polarity correct"), default=True)
    # step 3: voltage check and consistency
    voltage_v = models.DecimalField(_("open-circuit voltage (V)"), max_digits=8, decimal_places=3)
    voltage_spread_mv = models.DecimalField(_("cell voltage spread (mV)"), max_digits=8, decimal_places=1)
    voltage_consistency_ok = models.BooleanField(_("voltage consistency passed"))
    # step 4: test current; step 5: remaining capacity
    test_current_a = models.DecimalField(_("test current (A)"), max_digits=8, decimal_places=2)
    remaining_capacity_ah = models.DecimalField(_("remaining capacity (Ah)"), max_digits=9, decimal_places=2)
    soh_pct = models.DecimalField(_("state of health (%)"), max_digits=5, decimal_places=2)
    insulation_mohm = models.DecimalField(_("insulation resistance (MΩ)"), max_digits=9, decimal_places=2)
    insulation_ok = models.BooleanField(_("insulation passed"))
    internal_resistance_mohm = models.DecimalField(
        _("internal resistance (mΩ)"), max_digits=9, decimal_places=3
    )
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)
    limits = models.CharField(_("limits of use"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("enterprise",), region="enterprise__region")

    class Meta:
        ordering = ["-assessed_at", "-id"]
        verbose_name = _("safety assessment")
        verbose_name_plural = _("safety assessments")
        indexes = [
            models.Index(fields=["battery", "-assessed_at"]),
            models.Index(fields=["enterprise", "verdict"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(soh_pct__gte=0) & Q(soh_pct__lte=120), name="assessment_soh_range"
            ),
            models.CheckConstraint(
                condition=Q(verdict="pass") | Q(verdict="fail") | ~Q(limits=""),
                name="assessment_limits_stated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.battery} {self.verdict} {self.assessed_at:%Y-%m-%d}"


class ProductStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")
    RETIRED = "retired", _("Second life ended")
    HANDED_OVER = "handed_over", _("Handed to regeneration")


class RepurposedProduct(models.Model):
    """A second-life product under a new code, built from modules or cells of retired packs (domain.md §1)."""

    battery = models.OneToOneField(
        "traceability.Battery",
        on_delete=models.PROTECT,
        related_name="repurposed_product",
        verbose_name=_("new code"),
    )
    enterprise = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="repurposed_products",
        verbose_name=_("cascade-use enterprise"),
    )
    name = models.CharField(_("product"), max_length=150)
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, verbose_name=_("application scenario"))
    site = models.CharField(_("site"), max_length=200)
    site_region = models.CharField(_("site region"), max_length=3)
    operator = models.CharField(_("operator"), max_length=200)
    rated_energy_kwh = models.DecimalField(_("rated energy (kWh)"), max_digits=9, decimal_places=3, null=True)
    nominal_voltage_v = models.DecimalField(
        _("nominal voltage (V)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    commissioned_at = models.DateTimeField(_("commissioned at"))
    status = models.CharField(
        _("status"), max_length=16, choices=ProductStatus.choices, default=ProductStatus.IN_SERVICE
    )
    retired_at = models.DateTimeField(_("second life ended at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("enterprise",), region="site_region")

    class Meta:
        ordering = ["-commissioned_at", "-id"]
        verbose_name = _("repurposed product")
        verbose_name_plural = _("repurposed products")
        indexes = [models.Index(fields=["enterprise", "status"])]

    def __str__(self) -> str:
        return f"{self.battery} {self.name}"


class ProductSource(models.Model):
    """One original battery built into a product, with the authorisation and assessment that allowed it."""

    product = models.ForeignKey(RepurposedProduct, on_delete=models.PROTECT, related_name="sources")
    battery = models.ForeignKey(
        "traceability.Battery", on_delete=models.PROTECT, related_name="cascade_product_sources"
    )
    authorisation = models.ForeignKey(Authorisation, on_delete=models.PROTECT, related_name="uses")
    assessment = models.ForeignKey(SafetyAssessment, on_delete=models.PROTECT, related_name="uses")

    tenancy = TenancyRule(owners=("product__enterprise",), region="product__site_region")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["battery"], name="original_used_once")]
