from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import localised

from .choices import Department, EnterpriseKind, Region, Role
from .uscc import UsccError, parse_uscc


def validate_uscc(value: str) -> None:
    try:
        parse_uscc(value)
    except UsccError as exc:
        raise ValidationError(exc.message, code=exc.field) from exc


class Organisation(models.Model):
    """An enterprise (identified by its USCC) or a regulator body (region x department)."""

    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    is_regulator = models.BooleanField(_("regulator body"), default=False)
    kinds = ArrayField(
        models.CharField(max_length=32, choices=EnterpriseKind.choices),
        verbose_name=_("kinds"),
        default=list,
        blank=True,
    )
    region = models.CharField(_("home region"), max_length=3, choices=Region.choices)
    department = models.CharField(_("department"), max_length=32, choices=Department.choices, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["region", "name_zh"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_regulator=False) | ~models.Q(department=""),
                name="regulator_has_department",
            ),
            models.UniqueConstraint(
                fields=["region", "department"],
                condition=models.Q(is_regulator=True),
                name="one_regulator_per_region_department",
            ),
        ]
        indexes = [models.Index(fields=["is_regulator", "region"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localised(self.name_zh, self.name_en)

    def has_kind(self, *kinds: str) -> bool:
        return any(kind in self.kinds for kind in kinds)


class User(AbstractUser):
    """A person acting for one organisation with one role."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OPERATOR)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_regulator(self) -> bool:
        return bool(self.organisation_id and self.organisation.is_regulator)

    @property
    def can_write(self) -> bool:
        return self.is_superuser or self.role != Role.VIEWER


class ApiToken(models.Model):
    """A per-user API token: shown once, stored as a SHA-256 digest, revocable, with last-used time."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, default="default")
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
