"""Template helpers for the regeneration pages."""

import re

from django import template
from django.utils.translation import gettext_lazy as _

from core.i18n import is_english
from regeneration.models import Element, Route

register = template.Library()

# Subjects the pure balance module names in English, besides "<element> (<route>)".
SUBJECTS = {"electrode powder": _("electrode powder"), "process water": _("process water")}


@register.filter
def subject_label(subject: str) -> str:
    """A rate's subject ("Li (wet)", "electrode powder") in the reader's language."""
    if is_english():
        return subject
    match = re.fullmatch(r"(\w+) \((\w+)\)", subject or "")
    if match and match[1] in Element.values and match[2] in Route.values:
        return f"{Element(match[1]).label}（{Route(match[2]).label}）"
    return str(SUBJECTS.get(subject, subject))
