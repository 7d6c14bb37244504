"""API rate limits (DRF throttling on the shared Redis cache): anonymous callers, signed-in callers, and a
stricter ``auth`` scope for the token endpoints. A throttled call gets the platform's JSON error (429, code
``throttled``) with ``Retry-After``.

Rates are read at each request, not at import, so settings decide them everywhere (tests switch them off
with ``None`` and a dedicated test turns them on). Callers are told apart by ``core.audit.client_ip``: a
forged ``X-Forwarded-For`` does not buy a fresh allowance.
"""

from rest_framework import throttling
from rest_framework.settings import api_settings

from core.audit import client_ip


class _LiveRates:
    scope: str | None  # named by each throttle class

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")

    def get_ident(self, request):
        return client_ip(request) or "unknown"


class AnonThrottle(_LiveRates, throttling.AnonRateThrottle):
    pass


class UserThrottle(_LiveRates, throttling.UserRateThrottle):
    pass


class AuthScopeThrottle(_LiveRates, throttling.ScopedRateThrottle):
    """Applies to views that declare ``throttle_scope = "auth"`` (issuing and revoking tokens)."""
