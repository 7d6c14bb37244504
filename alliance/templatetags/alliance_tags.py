"""Template helpers for the alliance pages: who sees the members-only tabs, and data values shown as labels."""

from django import template
from django.utils.translation import get_language

from accounts.choices import EnterpriseKind
from alliance import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def sees_members_only(context) -> bool:
    request = context.get("request")
    return bool(request and selectors.sees_members_only(request.user))


@register.filter
def kind_labels(kinds) -> str:
    """An organisation's kinds in the reader's language (the database keeps the codes)."""
    labels = dict(EnterpriseKind.choices)
    return (", " if _en() else "、").join(str(labels.get(k, k)) for k in kinds or ())


@register.filter
def tier_name(tier) -> str:
    if tier is None:
        return ""
    return tier.name_en if _en() else tier.name_zh


def _en() -> bool:
    return (get_language() or "").startswith("en")
