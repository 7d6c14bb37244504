from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.navigation import ADMIN, PUBLIC, REGULATOR, NavItem, register


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Regulator dashboards")

    def ready(self) -> None:
        register(
            NavItem(
                label=_("Dashboards"), url_name="dashboards:overview", audience=(REGULATOR, ADMIN), order=10
            ),
            NavItem(
                label=_("Published violations"),
                url_name="dashboards:violations",
                audience=(PUBLIC,),
                order=90,
            ),
        )
