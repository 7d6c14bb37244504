from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        from . import schema  # noqa: F401 - registers the OpenAPI extension
        from .navigation import ADMIN, ENTERPRISE, REGULATOR, NavItem, register

        register(NavItem(_("Audit trail"), "audit-log", audience=(ENTERPRISE, REGULATOR, ADMIN), order=900))
