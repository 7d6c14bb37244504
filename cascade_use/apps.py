from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import hooks
from core.navigation import ADMIN, ENTERPRISE, REGULATOR, NavItem, register


class CascadeUseConfig(AppConfig):
    name = "cascade_use"
    verbose_name = _("Cascade use")

    def ready(self) -> None:
        from .guards import KINDS, cascade_guard  # noqa: PLC0415 - imports models, so only once the registry is ready

        hooks.guard(KINDS, cascade_guard)

        register(
            NavItem(
                _("Cascade use"), "cascade_use:home", audience=(ENTERPRISE,), kinds=("cascade_use",), order=40
            ),
            NavItem(
                _("Authorisations"),
                "cascade_use:authorisations",
                audience=(ENTERPRISE, ADMIN),
                kinds=("battery_maker",),
                order=41,
            ),
            NavItem(_("Repurposed products"), "cascade_use:products", audience=(REGULATOR, ADMIN), order=42),
        )
