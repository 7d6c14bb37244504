"""Price guidance API: guidance, publication, the guidance in force and the price history (R-ALLIANCE)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import RowActionView, TenantReadOnlyViewSet

from ... import selectors, services
from ...filtersets import (
    PriceGuidanceFilterSet,
)
from ...models import PriceGuidance
from .. import serializers as s


class GuidanceViewSet(TenantReadOnlyViewSet):
    """Price guidance: published issues for everyone, drafts for their assessor."""

    queryset = PriceGuidance.objects.select_related("assessor").prefetch_related("prices", "metal_prices")
    serializer_class = s.GuidanceSerializer
    filterset_class = PriceGuidanceFilterSet
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @extend_schema(request=s.GuidanceInput, responses={201: s.GuidanceSerializer})
    def create(self, request):
        data = s.GuidanceInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        guidance = services.guidance_create(
            actor=request.user,
            title=v["title"],
            effective_from=v["effective_from"],
            notes=v["notes"],
            prices=v["prices"],
            metals=v["metals"],
        )
        return Response(s.GuidanceSerializer(guidance).data, status=status.HTTP_201_CREATED)


class GuidancePublishView(RowActionView):
    """The assessor publishes a draft: from its ``effective_from`` it is the guidance in force until a later one."""

    queryset = PriceGuidance.objects.all()
    row_argument = "guidance"
    service = staticmethod(services.guidance_publish)
    output_serializer = s.GuidanceSerializer


class InForceView(APIView):
    """The reference price in force on a date (the valuation date), and the value of ``energy_kwh`` at it."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[s.InForceQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        q = s.InForceQuery(data=request.GET)
        q.is_valid(raise_exception=True)
        v = q.validated_data
        price, guidance = selectors.reference_price(
            on=v["on"], chemistry=v["chemistry"], grade=v["grade"], form=v["form"]
        )
        body = {
            "on": v["on"].isoformat(),
            "price": str(price) if price is not None else None,
            "guidance": guidance.pk if guidance else None,
            "guidance_effective_from": guidance.effective_from.isoformat() if guidance else None,
        }
        if "energy_kwh" in v and price is not None:
            body["value_cny"] = str((price * v["energy_kwh"]).quantize(price.__class__("0.01")))
        return Response(body)


class PriceHistoryView(APIView):
    """Reference price history of one series, with the deal prices the caller may see and their outlier flag."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter(n, str) for n in ("chemistry", "grade", "form")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        chemistry = request.GET.get("chemistry", "B")
        grade = request.GET.get("grade", "B")
        form = request.GET.get("form", "pack")
        return Response(
            {
                "guidance": selectors.price_history(chemistry=chemistry, grade=grade, form=form),
                "trades": selectors.trade_points(
                    chemistry=chemistry, grade=grade, form=form, user=request.user
                ),
            }
        )
