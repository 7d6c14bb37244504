from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import hooks
from core.navigation import ADMIN, ENTERPRISE, REGULATOR, NavItem, register


class RegenerationConfig(AppConfig):
    name = "regeneration"
    verbose_name = _("Regeneration")

    def ready(self) -> None:
        from .guards import PROCESSING, RECEIPT, licence_guard  # noqa: PLC0415 - imports models, so only once the registry is ready

        hooks.guard((*RECEIPT, *PROCESSING), licence_guard)

        register(
            NavItem(
                _("Regeneration"),
                "regeneration:home",
                audience=(ENTERPRISE,),
                kinds=("regeneration",),
                order=45,
            ),
            NavItem(_("Regeneration batches"), "regeneration:batches", audience=(REGULATOR, ADMIN), order=46),
        )
