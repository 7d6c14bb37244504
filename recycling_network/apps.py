from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import hooks
from core.navigation import ADMIN, ENTERPRISE, PUBLIC, REGULATOR, NavItem, register


class RecyclingNetworkConfig(AppConfig):
    name = "recycling_network"
    verbose_name = _("Recycling network")

    def ready(self) -> None:
        from .guards import scrap_relation  # noqa: PLC0415 - imports models, so only once the registry is ready

        hooks.relation_provider("scrap_dismantler", scrap_relation)

        register(
            NavItem(_("Service points"), "recycling_network:public-list", audience=(PUBLIC,), order=20),
            NavItem(_("Recycling guide"), "recycling_network:guide", audience=(PUBLIC,), order=21),
            NavItem(
                _("Intake"),
                "recycling_network:intake",
                audience=(ENTERPRISE, ADMIN),
                kinds=("service_operator", "automaker", "dismantler", "after_sales", "logistics"),
                order=30,
            ),
            NavItem(
                _("My points and stock"),
                "recycling_network:points",
                audience=(ENTERPRISE, REGULATOR, ADMIN),
                order=31,
            ),
            NavItem(
                _("Transfers"),
                "recycling_network:transfers",
                audience=(ENTERPRISE, REGULATOR, ADMIN),
                order=32,
            ),
            NavItem(_("Network alerts"), "recycling_network:alerts", audience=(REGULATOR, ADMIN), order=33),
        )
