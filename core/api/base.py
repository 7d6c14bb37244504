"""Base classes for API views: tenancy-filtered querysets and audit context for token-authenticated calls."""

from rest_framework import viewsets

from core import tenancy
from core.audit import _context


class AuditedViewMixin:
    """DRF authenticates after middleware runs; hand the API user to the audit context."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # mixed into an APIView
        ctx = _context.get()
        if ctx is not None:
            ctx.user = request.user


class TenantQuerysetMixin(AuditedViewMixin):
    """``get_queryset`` narrowed by :mod:`core.tenancy` to what the caller may read."""

    def get_queryset(self):
        return tenancy.visible(super().get_queryset(), self.request.user)  # type: ignore[misc, attr-defined]  # mixed into a GenericAPIView


class TenantReadOnlyViewSet(TenantQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass
