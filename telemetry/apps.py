from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.navigation import ADMIN, NavItem, register


class TelemetryConfig(AppConfig):
    name = "telemetry"
    verbose_name = _("Vehicle telemetry")

    def ready(self) -> None:
        from national_sync.metrics import registry  # noqa: PLC0415 - imports models, so only once the registry is ready

        from .metrics import GatewayCollector  # noqa: PLC0415 - imports models, so only once the registry is ready

        registry.register(GatewayCollector())
        register(
            NavItem(label=_("GB/T 32960 gateway"), url_name="telemetry:gateway", audience=(ADMIN,), order=910)
        )
