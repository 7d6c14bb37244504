"""Template helpers for the valuation pages: the pure assessment names routes, scenarios and SOH sources by
code or in English; the pages show them in the reader's language."""

import re

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

register = template.Library()

ROUTES = {
    "vehicle": pgettext_lazy("route", "vehicle use"),
    "cascade": pgettext_lazy("route", "cascade use"),
    "regeneration": pgettext_lazy("route", "regeneration"),
}
SCENARIOS = {
    "vehicle": _("vehicle use"),
    "telecom_backup": _("telecom backup"),
    "grid_storage": _("grid storage"),
    "home_storage": _("home storage"),
    "low_speed_vehicle": _("low-speed vehicles"),
    "mobile_charging": _("mobile charging"),
    "street_light": _("street lights"),
    "small_storage": _("small storage"),
    "regeneration": pgettext_lazy("route", "regeneration"),
}


@register.filter
def route_label(code: str) -> str:
    return str(ROUTES.get(code, code))


@register.filter
def scenario_labels(codes) -> str:
    return ", ".join(str(SCENARIOS.get(c, c)) for c in codes or ())


@register.filter
def soh_source_label(source: str) -> str:
    match = re.fullmatch(r"capacity test on (\S+)", source or "")
    if match:
        return str(_("capacity test on %(day)s")) % {"day": match[1]}
    if source == "degradation model":
        return str(_("degradation model"))
    return source
