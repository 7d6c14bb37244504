from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    name = "telemetry"
    verbose_name = _("Vehicle telemetry")

    def ready(self) -> None:
        from core.navigation import ADMIN, NavItem, register
        from national_sync.metrics import registry

        from .metrics import GatewayCollector

        registry.register(GatewayCollector())
        register(
            NavItem(label=_("GB/T 32960 gateway"), url_name="telemetry:gateway", audience=(ADMIN,), order=910)
        )
