from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import hooks
from core.navigation import ADMIN, NavItem, register


class NationalSyncConfig(AppConfig):
    name = "national_sync"
    verbose_name = _("National platform sync")

    def ready(self) -> None:
        from .receivers import outbox_receiver  # noqa: PLC0415 - imports models, so only once the registry is ready

        hooks.connect(outbox_receiver)
        register(
            NavItem(
                label=_("National sync"), url_name="national_sync:operations", audience=(ADMIN,), order=900
            )
        )
