"""Regeneration (再生利用, R-REGEN; seed 四(一)3): hazardous-waste business licences, two-stage processing
batches and the recovery-rate thresholds of the industry standard conditions (domain.md §4, data)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import localised
from core.tenancy import TenancyRule


def _localised(obj, stem: str) -> str:
    return localised(getattr(obj, f"{stem}_zh"), getattr(obj, f"{stem}_en"))


class WasteCategory(models.Model):
    """A waste category a licence can name, and the battery chemistries (GB/T 34014 position 5) it covers."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    chemistries = ArrayField(models.CharField(max_length=1), verbose_name=_("chemistries"), default=list)
    confidence = models.CharField(_("confidence"), max_length=4, default="U")
    version = models.CharField(_("data version"), max_length=20, blank=True)

    tenancy = TenancyRule(public=Q())

    class Meta:
        ordering = ["code"]
        verbose_name = _("waste category")
        verbose_name_plural = _("waste categories")

    def __str__(self) -> str:
        return f"{self.code} {_localised(self, 'name')}"


class Licence(models.Model):
    """A hazardous-waste business licence (危险废物经营许可证): categories and annual scale (seed 四(一)3)."""

    enterprise = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="regeneration_licences",
        verbose_name=_("regeneration enterprise"),
    )
    number = models.CharField(_("licence number"), max_length=64, unique=True)
    issuing_authority = models.CharField(_("issuing authority"), max_length=200)
    categories = ArrayField(models.CharField(max_length=32), verbose_name=_("waste categories"))
    annual_scale_t = models.DecimalField(_("annual scale (t)"), max_digits=12, decimal_places=3)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("enterprise",), region="enterprise__region")

    class Meta:
        ordering = ["-valid_to", "-id"]
        verbose_name = _("hazardous-waste licence")
        verbose_name_plural = _("hazardous-waste licences")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")), name="licence_valid_period"
            ),
            models.CheckConstraint(condition=Q(annual_scale_t__gt=0), name="licence_scale_positive"),
        ]

    def __str__(self) -> str:
        return self.number


class ThresholdEdition(models.Model):
    """An edition of the comprehensive-use industry standard conditions (规范条件), 2019 or 2024."""

    code = models.CharField(_("edition"), max_length=10, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    unexplained_mass_pct = models.DecimalField(
        _("unexplained mass tolerated (%)"), max_digits=5, decimal_places=2, default=2
    )
    is_default = models.BooleanField(_("default edition"), default=False)
    version = models.CharField(_("data version"), max_length=20, blank=True)

    tenancy = TenancyRule(public=Q())

    class Meta:
        ordering = ["code"]
        verbose_name = _("threshold edition")
        verbose_name_plural = _("threshold editions")

    def __str__(self) -> str:
        return self.code


class RecoveryThreshold(models.Model):
    edition = models.ForeignKey(ThresholdEdition, on_delete=models.CASCADE, related_name="thresholds")
    order = models.PositiveSmallIntegerField(default=0)
    metric = models.CharField(_("metric"), max_length=40)
    applies_to = models.CharField(_("applies to"), max_length=20)
    label_en = models.CharField(max_length=200)
    label_zh = models.CharField(max_length=200)
    elements = ArrayField(models.CharField(max_length=4), default=list, blank=True)
    routes = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    min_pct = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    max_pct = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    confidence = models.CharField(max_length=4, default="U")

    class Meta:
        ordering = ["edition", "order"]
        constraints = [models.UniqueConstraint(fields=["edition", "metric"], name="threshold_metric_once")]

    def __str__(self) -> str:
        return f"{self.edition_id} {self.metric}"

    @property
    def label(self) -> str:
        return _localised(self, "label")


class BatchStatus(models.TextChoices):
    OPEN = "open", _("Open: inputs booked")
    DISMANTLED = "dismantled", _("Stage 1 done: dismantled")
    RECOVERED = "recovered", _("Stage 2 done: materials recovered")


class Batch(models.Model):
    """A processing batch: input packs → stage 1 outputs → stage 2 recovered materials (seed 四(一)3)."""

    enterprise = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="regeneration_batches",
        verbose_name=_("regeneration enterprise"),
    )
    reference = models.CharField(_("batch reference"), max_length=64)
    edition = models.ForeignKey(
        ThresholdEdition, on_delete=models.PROTECT, verbose_name=_("threshold edition")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.OPEN
    )
    started_at = models.DateTimeField(_("started at"))
    dismantled_at = models.DateTimeField(_("stage 1 finished at"), null=True, blank=True)
    recovered_at = models.DateTimeField(_("stage 2 finished at"), null=True, blank=True)
    input_kg = models.DecimalField(_("input mass (kg)"), max_digits=12, decimal_places=2, default=0)
    powder_content_kg = models.DecimalField(
        _("electrode powder contained in the input (kg)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    energy_kgce_per_t = models.DecimalField(
        _("Li2CO3 energy use (kgce/t)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    water_recycled_pct = models.DecimalField(
        _("process water recycled (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    flags = models.JSONField(_("flags"), default=list, blank=True)
    has_shortfall = models.BooleanField(_("recovery shortfall"), default=False)
    has_unexplained_mass = models.BooleanField(_("unexplained mass"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(owners=("enterprise",), region="enterprise__region")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("processing batch")
        verbose_name_plural = _("processing batches")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "reference"], name="batch_reference_once"),
        ]
        indexes = [models.Index(fields=["enterprise", "started_at"])]

    def __str__(self) -> str:
        return self.reference


class BatchInput(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="inputs")
    battery = models.OneToOneField(
        "traceability.Battery", on_delete=models.PROTECT, related_name="regeneration_input"
    )
    mass_kg = models.DecimalField(_("mass (kg)"), max_digits=10, decimal_places=2)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(mass_kg__gt=0), name="batch_input_mass_positive")]


class OutputKind(models.TextChoices):
    MODULE = "module", _("Modules")
    CELL = "cell", _("Cells")
    CASING = "casing", _("Casings and structural parts")
    BLACK_MASS = "black_mass", _("Black mass")
    ELECTRODE_POWDER = "electrode_powder", _("Electrode powder")
    COPPER_FOIL = "copper_foil", _("Copper foil")
    ALUMINIUM_FOIL = "aluminium_foil", _("Aluminium foil")
    ELECTROLYTE = "electrolyte", _("Electrolyte")
    PLASTICS = "plastics", _("Plastics and separators")
    CABLES = "cables", _("Cables and electronics")
    RESIDUE = "residue", _("Other residue")


class DismantlingOutput(models.Model):
    """A stage-1 output (harmless dismantling and discharge, GB/T 33598 / 33598.3) with its mass."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="outputs")
    kind = models.CharField(_("output"), max_length=20, choices=OutputKind.choices)
    mass_kg = models.DecimalField(_("mass (kg)"), max_digits=12, decimal_places=2)
    cu_impurity_pct = models.DecimalField(
        _("Cu impurity (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    al_impurity_pct = models.DecimalField(
        _("Al impurity (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(mass_kg__gte=0), name="output_mass_not_negative")]


class Element(models.TextChoices):
    LI = "Li", _("Lithium")
    NI = "Ni", _("Nickel")
    CO = "Co", _("Cobalt")
    MN = "Mn", _("Manganese")
    CU = "Cu", _("Copper")
    AL = "Al", _("Aluminium")


class Route(models.TextChoices):
    WET = "wet", _("Wet (hydrometallurgy)")
    FIRE = "fire", _("Fire (pyrometallurgy)")
    REPAIR = "repair", _("Material repair")


class MaterialRecovery(models.Model):
    """A stage-2 line: an element recovered by a route, with the mass contained in the feed (GB/T 33598.2)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="recoveries")
    element = models.CharField(_("element"), max_length=4, choices=Element.choices)
    route = models.CharField(_("route"), max_length=10, choices=Route.choices)
    feed_kg = models.DecimalField(_("contained in feed (kg)"), max_digits=12, decimal_places=3)
    recovered_kg = models.DecimalField(_("recovered (kg)"), max_digits=12, decimal_places=3)
    product_form = models.CharField(
        _("product form"), max_length=60, blank=True, help_text=_("e.g. Li2CO3, NiSO4")
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "element", "route"], name="recovery_line_once"),
            models.CheckConstraint(
                condition=Q(recovered_kg__lte=models.F("feed_kg")), name="recovered_within_feed"
            ),
        ]
