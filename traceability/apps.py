from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.navigation import ADMIN, ENTERPRISE, PUBLIC, REGULATOR, NavItem, register


class TraceabilityConfig(AppConfig):
    name = "traceability"
    verbose_name = _("Battery traceability")

    def ready(self) -> None:
        register(
            NavItem(
                _("Batteries"),
                "traceability:battery-search",
                audience=(ENTERPRISE, REGULATOR, ADMIN),
                order=10,
            ),
            NavItem(
                _("Uploads"),
                "traceability:upload-index",
                audience=(ENTERPRISE, ADMIN),
                kinds=("automaker", "battery_maker", "after_sales"),
                order=11,
            ),
            NavItem(
                _("Custody: releases and claims"),
                "traceability:custody",
                audience=(ENTERPRISE, REGULATOR),
                order=12,
            ),
            NavItem(_("Code decoder"), "traceability:code-decode", audience=(PUBLIC,), order=90),
        )
