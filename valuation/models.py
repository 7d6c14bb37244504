"""Residual-value records (R-VALUE): dated price sets, stored valuations and bulk assessment jobs.

A valuation stores its inputs, the parameters, grade table and prices it used and the model versions, so it can be
recomputed later and must give the same answer (see ``selectors.valuation_reproduce``).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Region
from core.tenancy import TenancyRule


class PriceSet(models.Model):
    """Prices in force from ``effective_date`` until the next set (R-ALLIANCE price guidance).

    ``prices``: ``{"currency", "per_kwh": {grade: {chemistry|"*": CNY}}, "metals_cny_per_kg": {metal: CNY},
    "processing_cost_cny_per_kg": {chemistry|"*": CNY}}``.
    """

    effective_date = models.DateField(_("effective from"), db_index=True)
    prices = models.JSONField(_("prices"))
    source = models.CharField(_("source"), max_length=300)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_by_org = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    # Reference data: every signed-in user reads it; only the alliance (through its services) writes it.
    tenancy = TenancyRule(owners=("published_by_org",), public=models.Q(pk__isnull=False))

    class Meta:
        verbose_name = _("price set")
        verbose_name_plural = _("price sets")
        ordering = ["-effective_date", "-id"]

    def __str__(self) -> str:
        return f"{self.effective_date} ({self.source[:40]})"


class Grade(models.TextChoices):
    A = "A", _("A: fit for vehicle use")
    B = "B", _("B: telecom backup, grid storage")
    C = "C", _("C: home storage, low-speed vehicles, mobile charging")
    D = "D", _("D: street lights, small storage")
    R = "R", _("R: regeneration")


class Valuation(models.Model):
    """One residual-value assessment of a battery on a date, with everything needed to reproduce it."""

    battery = models.ForeignKey("traceability.Battery", on_delete=models.PROTECT, related_name="valuations")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("requested by"),
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    valuation_date = models.DateField(_("valuation date"))
    created_at = models.DateTimeField(default=timezone.now)
    region = models.CharField(_("region"), max_length=3, choices=Region.choices, blank=True)
    # results, denormalised for lists, filters and dashboards
    soh = models.DecimalField(_("state of health"), max_digits=6, decimal_places=4)
    soh_source = models.CharField(_("SOH from"), max_length=100)
    rul_years = models.DecimalField(_("remaining life (years)"), max_digits=7, decimal_places=2, null=True)
    rul_low_years = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    rul_high_years = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices, db_index=True)
    route = models.CharField(_("route"), max_length=16)
    scenarios = models.JSONField(_("scenarios"), default=list)
    value_cny = models.DecimalField(_("value (CNY)"), max_digits=14, decimal_places=2, null=True)
    # reproducibility: inputs, parameters, prices and versions exactly as used
    inputs = models.JSONField()
    parameters = models.JSONField()
    grading = models.JSONField()
    prices = models.JSONField()
    price_set = models.ForeignKey(PriceSet, on_delete=models.PROTECT, related_name="valuations")
    parameters_version = models.CharField(max_length=40)
    grading_version = models.CharField(max_length=40)
    result = models.JSONField()

    tenancy = TenancyRule(owners=("organisation", "battery__custodian", "battery__maker"), region="region")

    class Meta:
        verbose_name = _("valuation")
        verbose_name_plural = _("valuations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["battery", "-created_at"]), models.Index(fields=["region", "grade"])]

    def __str__(self) -> str:
        return f"{self.battery} {self.grade} {self.valuation_date}"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ValuationJob(models.Model):
    """Bulk assessment of a list of batteries (e.g. a service point's stock), run by a worker with progress."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=200, blank=True)
    codes = models.JSONField(_("battery codes"), default=list)
    valuation_date = models.DateField(_("valuation date"))
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    region = models.CharField(max_length=3, choices=Region.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    tenancy = TenancyRule(owners=("organisation",), region="region")

    class Meta:
        verbose_name = _("valuation job")
        verbose_name_plural = _("valuation jobs")
        ordering = ["-created_at", "-id"]

    @property
    def progress_pct(self) -> int:
        return int(100 * (self.done + self.failed) / self.total) if self.total else 0
