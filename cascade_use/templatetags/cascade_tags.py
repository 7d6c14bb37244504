"""Template helpers for the cascade-use pages."""

from django import template

from cascade_use.models import Verdict

register = template.Library()


@register.filter
def verdict_label(code: str | None) -> str:
    """A safety-assessment verdict code ("pass", "pass_limited", "fail") as its label."""
    return str(Verdict(code).label) if code in Verdict.values else (code or "")
