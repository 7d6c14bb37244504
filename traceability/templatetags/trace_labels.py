"""Display labels for the codes that trace dictionaries carry (event kinds, states, regions)."""

from django import template

from accounts.choices import Region
from traceability.models import BatteryState, ErrorReason, EventKindChoices, Level, VehicleUse

register = template.Library()


def _label_filter(name: str, choices):
    """Register filter ``name``: a code's label in ``choices``; an unknown or empty code as it came."""
    labels = dict(choices)

    def label(value):
        return labels.get(value, value) if value else value

    label.__name__ = name
    return register.filter(name, label)


event_kind_label = _label_filter("event_kind_label", EventKindChoices.choices)
state_label = _label_filter("state_label", BatteryState.choices)
region_label = _label_filter("region_label", Region.choices)
level_label = _label_filter("level_label", Level.choices)
vehicle_use_label = _label_filter("vehicle_use_label", VehicleUse.choices)
correction_reason_label = _label_filter("correction_reason_label", ErrorReason.choices)
