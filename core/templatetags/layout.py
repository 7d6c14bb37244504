"""The page frame's tags: the window title names the page once, then the platform."""

from django import forms, template
from django.utils.translation import gettext

register = template.Library()


@register.filter(is_safe=True)
def page_title(value) -> str:
    """``"<page> · <platform>"``; only the platform where a page names none (or names the platform)."""
    site = gettext("Jingjinji Battery Trace")
    page = " ".join(str(value).split())
    return f"{page} · {site}" if page and page != site else site


BLANK_DASHES = "---------"


@register.filter
def readable_blank(bound_field):
    """The field with its empty choice reading "Choose…" rather than Django's "---------" (forms rendered by the
    house's form and filter partials)."""
    field = bound_field.field
    if getattr(field, "empty_label", None) == BLANK_DASHES:  # model choice fields
        field.empty_label = gettext("Choose…")
    elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        choices = list(field.choices)  # type: ignore[arg-type]  # a ChoiceField holds its choices normalised to a list
        if any(value == "" and label == BLANK_DASHES for value, label in choices):
            field.choices = [
                (v, gettext("Choose…") if v == "" and lbl == BLANK_DASHES else lbl) for v, lbl in choices
            ]
    return bound_field
