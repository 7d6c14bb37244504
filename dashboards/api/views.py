"""Read-only API of the dashboards: findings (regulators read all regions; the public, published ones)."""

from core.api.base import TenantReadOnlyViewSet
from dashboards.filtersets import FindingFilterSet
from dashboards.models import Finding

from .serializers import FindingSerializer


class FindingViewSet(TenantReadOnlyViewSet):
    queryset = Finding.objects.select_related("enterprise", "rule").order_by("-created_at", "-id")
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet
