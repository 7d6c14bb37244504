from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NationalSyncConfig(AppConfig):
    name = "national_sync"
    verbose_name = _("National platform sync")

    def ready(self) -> None:
        from core import hooks
        from core.navigation import ADMIN, NavItem, register

        from .receivers import outbox_receiver

        hooks.connect(outbox_receiver)
        register(
            NavItem(
                label=_("National sync"), url_name="national_sync:operations", audience=(ADMIN,), order=900
            )
        )
