"""Display labels for the codes that trace dictionaries carry (event kinds, states, regions)."""

from django import template

from accounts.choices import Region
from traceability.models import BatteryState, ErrorReason, EventKindChoices, Level, VehicleUse

register = template.Library()

_KINDS = dict(EventKindChoices.choices)
_STATES = dict(BatteryState.choices)
_REGIONS = dict(Region.choices)
_LEVELS = dict(Level.choices)
_USES = dict(VehicleUse.choices)
_REASONS = dict(ErrorReason.choices)


@register.filter
def event_kind_label(value):
    return _KINDS.get(value, value)


@register.filter
def state_label(value):
    return _STATES.get(value, value) if value else value


@register.filter
def region_label(value):
    return _REGIONS.get(value, value) if value else value


@register.filter
def level_label(value):
    return _LEVELS.get(value, value) if value else value


@register.filter
def vehicle_use_label(value):
    return _USES.get(value, value) if value else value


@register.filter
def correction_reason_label(value):
    return _REASONS.get(value, value) if value else value
