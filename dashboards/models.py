"""Regulator dashboards: forecast parameters and cohorts, compliance rules, findings and their publication.

R-FORECAST (Weibull parameters, cohorts, the plan's reference series), R-COMPLY (rules as data, findings,
exposure of violations), R-SHARE (regulators of the three regions read each other's figures).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Region
from core.tenancy import TenancyRule
from traceability.choices import VehicleUse


class WeibullParameter(models.Model):
    """Lifetime (years from sale to retirement) of a pack per vehicle use: F(t) = 1 - exp(-(t/scale)^shape).

    Filled from ``dashboards/data/weibull_v1.json``; ``manage.py calibrate_forecast --save`` replaces them.
    """

    use = models.CharField(_("vehicle use"), max_length=16, choices=VehicleUse.choices, unique=True)
    shape = models.FloatField(_("shape k"))
    scale = models.FloatField(_("scale λ (years)"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    fit_error = models.FloatField(_("fit error (RMSE, t)"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Weibull lifetime parameter")
        verbose_name_plural = _("Weibull lifetime parameters")
        ordering = ["use"]

    def __str__(self) -> str:
        return f"{self.use}: k={self.shape:.2f} λ={self.scale:.2f}"


class ForecastReference(models.Model):
    """The pilot plan's retirement figures (tonnes) per region and year, the forecast's reference line."""

    year = models.PositiveSmallIntegerField(_("year"))
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    tonnes = models.FloatField(_("tonnes"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("forecast reference figure")
        verbose_name_plural = _("forecast reference figures")
        ordering = ["year", "region"]
        constraints = [models.UniqueConstraint(fields=["year", "region"], name="forecast_reference_once")]


class ForecastCalibration(models.Model):
    """A fit of the lifetime per vehicle use to the pilot plan's figures on the sourced cohorts, with its error
    and the bootstrap band (R-FORECAST); written by ``manage.py calibrate_forecast --save``, the newest is used
    by the forecast page and API."""

    created_at = models.DateTimeField(default=timezone.now)
    data_version = models.CharField(_("cohort data version"), max_length=20)
    lifetimes = models.JSONField(_("lifetime per use"), default=dict)  # use -> {shape, mean, scale}
    rmse = models.FloatField(_("RMSE (t)"))
    mape = models.FloatField(_("MAPE (0..1)"))
    holdout_mape = models.FloatField(_("2020 MAPE of the 2018-2019 fit (0..1)"), null=True)
    fitted = models.JSONField(default=list)  # [{region, year, reference, fitted}]
    band = models.JSONField(default=list)  # [{region, year, central, low, high}]
    draws = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("forecast calibration")
        verbose_name_plural = _("forecast calibrations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.data_version} {self.created_at:%Y-%m-%d}: MAPE {100 * self.mape:.1f}%"


class CohortRow(models.Model):
    """An imported cohort: vehicles of one use sold in one region and year, with their average pack mass."""

    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    year = models.PositiveSmallIntegerField(_("sale year"))
    use = models.CharField(_("vehicle use"), max_length=16, choices=VehicleUse.choices)
    vehicles = models.PositiveIntegerField(_("vehicles"))
    avg_pack_kg = models.FloatField(_("average pack mass (kg)"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(region="region")

    class Meta:
        verbose_name = _("cohort row")
        verbose_name_plural = _("cohort rows")
        ordering = ["region", "year", "use"]
        constraints = [models.UniqueConstraint(fields=["region", "year", "use"], name="cohort_row_once")]


class ComplianceRule(models.Model):
    """One scored obligation of an automaker (R-COMPLY); points are lost when the measure misses the threshold."""

    class Comparison(models.TextChoices):
        GTE = "gte", "≥"
        LTE = "lte", "≤"

    code = models.CharField(_("code"), max_length=40, unique=True)
    label_en = models.CharField(_("label (English)"), max_length=200)
    label_zh = models.CharField(_("label (Chinese)"), max_length=200)
    points = models.PositiveSmallIntegerField(_("points"))
    threshold = models.FloatField(_("threshold"))
    comparison = models.CharField(_("comparison"), max_length=3, choices=Comparison.choices)
    measure = models.CharField(_("measure"), max_length=10, default="count")
    version = models.CharField(_("version"), max_length=20)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("compliance rule")
        verbose_name_plural = _("compliance rules")
        ordering = ["-points", "code"]

    def __str__(self) -> str:
        return self.code


class CreditBand(models.Model):
    """Credit status by score: good / warning / listed (linked to the integrity system, R-COMPLY)."""

    class Status(models.TextChoices):
        GOOD = "good", _("Good")
        WARNING = "warning", _("Warning")
        LISTED = "listed", _("Listed")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, unique=True)
    min_score = models.FloatField(_("minimum score"))
    version = models.CharField(_("version"), max_length=20)

    class Meta:
        verbose_name = _("credit band")
        verbose_name_plural = _("credit bands")
        ordering = ["-min_score"]


class Finding(models.Model):
    """A regulator's finding against an enterprise: proposed from a rule breach, confirmed by the regulator of
    the enterprise's region, then published in the public list of violations (R-COMPLY: exposure)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")
        PUBLISHED = "published", _("Published")

    enterprise = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="dashboard_findings",
        verbose_name=_("enterprise"),
    )
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    rule = models.ForeignKey(ComplianceRule, on_delete=models.PROTECT, verbose_name=_("rule"))
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY or YYYY-MM"))
    measured = models.FloatField(_("measured value"))
    points_lost = models.FloatField(_("points lost"))
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    publication = models.ForeignKey(
        "ViolationPublication", on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )

    # Regulators read every region's findings; only the enterprise's own region writes them.
    tenancy = TenancyRule(region="region", public=Q(status="published"))

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "rule", "period"],
                condition=~Q(status="dismissed"),
                name="one_open_finding_per_rule_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.rule.code} {self.period}"


class ViolationPublication(models.Model):
    """One release of the public list of confirmed violations of a region."""

    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    tenancy = TenancyRule(region="region", public=Q(pk__isnull=False))

    class Meta:
        verbose_name = _("violation publication")
        verbose_name_plural = _("violation publications")
        ordering = ["-published_at", "-id"]


class MaterialisedViewRefresh(models.Model):
    """When each materialised view was last refreshed, shown on the pages as "figures as of"."""

    name = models.CharField(max_length=63, unique=True)
    refreshed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("materialised view refresh")
