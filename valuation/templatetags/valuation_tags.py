"""Template helpers for the valuation pages: the pure assessment names routes, scenarios and SOH sources by
code or in English; the pages show them in the reader's language."""

import re

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from traceability.templatetags.trace_labels import vehicle_use_label
from valuation.models import Grade

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


# The pure assessment explains itself in English (stored with each valuation); the page shows the common
# sentences in the reader's language and any other one as it is.
_N = r"[\d.,]+"
REASONS = [
    (
        rf"cycles: (?P<n>{_N}) equivalent full cycles reported",
        _("cycles: %(n)s equivalent full cycles reported"),
    ),
    (
        rf"cycles: (?P<n>{_N}) EFC from (?P<km>{_N}) km reported at (?P<rate>{_N}) kWh/km \((?P<use>\w+) use\)",
        _("cycles: %(n)s EFC from %(km)s km reported at %(rate)s kWh/km (%(use)s use)"),
    ),
    (
        rf"cycles: (?P<n>{_N}) EFC estimated from (?P<years>{_N}) years of (?P<use>\w+) use \((?P<km>{_N}) km/year\)",
        _("cycles: %(n)s EFC estimated from %(years)s years of %(use)s use (%(km)s km/year)"),
    ),
    (
        rf"SOH (?P<soh>{_N}%) measured on (?P<day>\S+); model alone gives (?P<model>{_N}%)",
        _("SOH %(soh)s measured on %(day)s; model alone gives %(model)s"),
    ),
    (
        rf"SOH (?P<soh>{_N}%) from the (?P<chem>.+) calendar \+ cycle ageing model at (?P<age>{_N}) years, "
        rf"(?P<efc>{_N}) EFC",
        _("SOH %(soh)s from the %(chem)s calendar + cycle ageing model at %(age)s years, %(efc)s EFC"),
    ),
    (
        r"grade (?P<grade>\w): failed safety assessment: regeneration whatever the SOH",
        _("grade %(grade)s: failed safety assessment: regeneration whatever the SOH"),
    ),
    (
        rf"grade (?P<grade>\w): SOH (?P<soh>{_N}%) ≥ (?P<min>{_N}%): (?P<label>[^(]+?)"
        r"(?P<pending> \(subject to a safety assessment before cascade use\))?",
        None,  # built in reason_display: the grade label has its own translation
    ),
    (r"safety assessment passed", _("safety assessment passed")),
    (
        rf"capacity test far from the model \(fade ×(?P<raw>{_N})\); projection clipped to ×(?P<scale>{_N})",
        _("capacity test far from the model (fade ×%(raw)s); projection clipped to ×%(scale)s"),
    ),
    (
        rf"RUL (?P<years>{_N}) years \((?P<low>{_N})–(?P<high>{_N})\) to SOH (?P<eol>{_N}%) at (?P<rate>{_N}) EFC/year",
        _("RUL %(years)s years (%(low)s–%(high)s) to SOH %(eol)s at %(rate)s EFC/year"),
    ),
    (
        rf"already at or below the end-of-life threshold (?P<eol>{_N}%)",
        _("already at or below the end-of-life threshold %(eol)s"),
    ),
    (
        rf"value: recoverable metals less processing, (?P<value>{_N}) CNY for (?P<mass>{_N}) kg",
        _("value: recoverable metals less processing, %(value)s CNY for %(mass)s kg"),
    ),
    (
        rf"value: (?P<kwh>{_N}) kWh usable × (?P<unit>{_N}) CNY/kWh \(grade (?P<grade>\w)\) = (?P<value>{_N}) CNY",
        _("value: %(kwh)s kWh usable × %(unit)s CNY/kWh (grade %(grade)s) = %(value)s CNY"),
    ),
    (
        rf"note: regeneration would yield more \((?P<value>{_N}) CNY\)",
        _("note: regeneration would yield more (%(value)s CNY)"),
    ),
    (
        r"value unknown: pack mass and rated energy are both missing",
        _("value unknown: pack mass and rated energy are both missing"),
    ),
    (r"value unknown: rated energy is missing", _("value unknown: rated energy is missing")),
    (
        rf"cycle life (?P<life>{_N}) cycles \((?P<low>{_N})–(?P<high>{_N}), (?P<level>{_N}%)\) from early-cycle "
        rf"features, model (?P<model>\S+); cycle fade reaches (?P<fade>{_N}%) there",
        _(
            "cycle life %(life)s cycles (%(low)s–%(high)s, %(level)s) from early-cycle features, model %(model)s; "
            "cycle fade reaches %(fade)s there"
        ),
    ),
    (
        r"early-cycle features outside the training envelope \((?P<features>.*)\): cycle life from the "
        r"non-extrapolating part, interval widened",
        _(
            "early-cycle features outside the training envelope (%(features)s): cycle life from the "
            "non-extrapolating part, interval widened"
        ),
    ),
    (
        rf"cycle life limited to (?P<bound>{_N}) cycles: the fade of cycles 91–100 continued in a straight line "
        r"reaches 80% of nominal capacity there",
        _(
            "cycle life limited to %(bound)s cycles: the fade of cycles 91–100 continued in a straight line "
            "reaches 80%% of nominal capacity there"
        ),
    ),
    (
        r"early-cycle features imputed from the training data \((?P<features>.*)\): interval widened",
        _("early-cycle features imputed from the training data (%(features)s): interval widened"),
    ),
    (
        r"early-cycle features not used: the cycle-life model knows LFP cells only",
        _("early-cycle features not used: the cycle-life model knows LFP cells only"),
    ),
]


@register.filter
def reason_display(reason: str) -> str:
    for pattern, text in REASONS:
        match = re.fullmatch(pattern, reason or "")
        if not match:
            continue
        parts = match.groupdict()
        if "use" in parts:
            parts["use"] = str(vehicle_use_label(parts["use"]))
        if text is None:  # grade by SOH band
            label = str(Grade(parts["grade"]).label) if parts["grade"] in Grade.values else parts["label"]
            line = str(_("grade %(grade)s: SOH %(soh)s ≥ %(min)s: %(label)s")) % {
                **parts,
                "label": re.split(r"[:：]\s*", label, maxsplit=1)[-1],
            }
            if parts.get("pending"):
                line += str(_(" (subject to a safety assessment before cascade use)"))
            return line
        return str(text) % parts if parts else str(text)
    return reason
