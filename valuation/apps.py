from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.navigation import ADMIN, ENTERPRISE, REGULATOR, NavItem, register

from . import datafiles


class ValuationConfig(AppConfig):
    name = "valuation"
    verbose_name = _("Residual-value assessment")

    def ready(self) -> None:
        # Load the cycle-life artefact once, so a broken artefact fails at start-up rather than per request.
        datafiles.cycle_life_model()
        register(
            NavItem(
                label=_("Residual value"),
                url_name="valuation:valuation_list",
                audience=(ENTERPRISE, REGULATOR, ADMIN),
                order=60,
            )
        )
