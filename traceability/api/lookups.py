"""Looking up batteries named in other apps' API input, through the tenancy-filtered selector."""

from rest_framework import serializers

from traceability.models import Battery
from traceability.selectors import battery_get_by_code


def battery_from_input(user, code: str, field: str = "battery") -> Battery:
    """The battery ``code`` names, if ``user`` may see it; otherwise a 400 on ``field`` (another tenant's
    battery reads as unknown)."""
    battery = battery_get_by_code(code=code, user=user)
    if battery is None:
        raise serializers.ValidationError({field: [f"no battery {code} among the records you may see"]})
    return battery
