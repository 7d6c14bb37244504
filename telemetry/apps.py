from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    name = "telemetry"
    verbose_name = _("Vehicle telemetry")

    def ready(self) -> None:
        from national_sync.metrics import registry

        from .metrics import GatewayCollector

        registry.register(GatewayCollector())
