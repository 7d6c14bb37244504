from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import hooks
from core.navigation import ADMIN, ENTERPRISE, PUBLIC, REGULATOR, NavItem, register


class AllianceConfig(AppConfig):
    name = "alliance"
    verbose_name = _("Industry alliance")

    def ready(self) -> None:
        from .guards import deal_guard, deal_relation  # noqa: PLC0415 - imports models, so only once the registry is ready

        hooks.relation_provider("deal_counterparty", deal_relation)
        hooks.guard(("handed_over",), deal_guard)

        everyone = (PUBLIC, ENTERPRISE, REGULATOR, ADMIN)
        register(
            NavItem(_("Alliance"), "alliance:home", audience=everyone, order=70, group="alliance"),
            NavItem(_("Price guidance"), "alliance:guidance", audience=everyone, order=71, group="alliance"),
            NavItem(_("Residual-value trading"), "alliance:lots", order=72, group="alliance"),
        )
