from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from .navigation import ADMIN, ENTERPRISE, REGULATOR, NavItem, register


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from . import schema  # noqa: F401, PLC0415 - registers the OpenAPI extension once DRF is configured

        register(NavItem(_("Audit trail"), "audit-log", audience=(ENTERPRISE, REGULATOR, ADMIN), order=900))
