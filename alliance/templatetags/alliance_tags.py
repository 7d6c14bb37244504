"""Template helpers for the alliance pages: who sees the members-only tabs, and data values shown as labels."""

from django import template

from accounts.choices import EnterpriseKind
from alliance import selectors
from core.i18n import is_english, localised

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
    return localised(tier.name_zh, tier.name_en)


def _en() -> bool:
    return is_english()
