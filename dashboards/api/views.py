"""Read-only API of the dashboards: findings (regulators read all regions; the public, published ones)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import TenantReadOnlyViewSet
from core.tenancy import scope_of
from dashboards import selectors
from dashboards.filtersets import FindingFilterSet
from dashboards.models import Finding

from .serializers import FindingSerializer, ForecastOutlookSerializer


class FindingViewSet(TenantReadOnlyViewSet):
    """Compliance findings on enterprises: a regulator reads its own region's and, read-only, the others';
    published violations are public."""

    queryset = Finding.objects.select_related("enterprise", "rule").order_by("-created_at", "-id")
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet


class ForecastView(APIView):
    """Retired tonnes per year for ``?region=BJ|TJ|HB|JJJ``: the Stanford model on the sourced cohorts with
    its bootstrap band, the plan's figures and the platform's observed retirements (R-FORECAST). Regulators
    read every region, as on the forecast page."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("region", str, enum=["BJ", "TJ", "HB", "JJJ"], required=False)],
        responses=ForecastOutlookSerializer,
    )
    def get(self, request):
        scope = scope_of(request.user)
        if not (scope.regulator or scope.superuser):
            raise PermissionDenied("regulators only")
        view = selectors.region_view(request.user, request.query_params.get("region"))
        return Response(selectors.forecast_outlook(view.regions, view.code))
