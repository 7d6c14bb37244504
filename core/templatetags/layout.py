"""The page frame's tags: the window title names the page once, then the platform."""

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter(is_safe=True)
def page_title(value) -> str:
    """``"<page> · <platform>"``; only the platform where a page names none (or names the platform)."""
    site = gettext("Jingjinji Battery Trace")
    page = " ".join(str(value).split())
    return f"{page} · {site}" if page and page != site else site
