"""Co-built service points API: shared points and each member's monthly statement (R-ALLIANCE)."""

from __future__ import annotations

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation
from core import tenancy
from core.api.base import AuditedViewMixin, TenantReadOnlyViewSet
from recycling_network import selectors as network_selectors

from ... import selectors, services
from ...filtersets import (
    SharedServicePointFilterSet,
)
from ...models import SharedServicePoint
from .. import serializers as s


class SharedPointViewSet(TenantReadOnlyViewSet):
    """Co-built service points with each member's shares."""

    queryset = SharedServicePoint.objects.select_related("service_point__operator").prefetch_related(
        "shares__member", "service_point__automakers"
    )
    serializer_class = s.SharedPointSerializer
    filterset_class = SharedServicePointFilterSet

    @extend_schema(request=s.SharedPointInput, responses={201: s.SharedPointSerializer})
    def create(self, request):
        data = s.SharedPointInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        point = get_object_or_404(network_selectors.service_points(), pk=v["service_point"])
        shares = [services.ShareInput(**share) for share in v["shares"]]
        shared = services.shared_point_register(
            actor=request.user,
            service_point=point,
            monthly_cost_cny=v["monthly_cost_cny"],
            opened_on=v["opened_on"],
            shares=shares,
        )
        return Response(s.SharedPointSerializer(shared).data, status=status.HTTP_201_CREATED)


def _month(value: str | None) -> tuple[int, int]:
    today = timezone.localdate()
    if not value:
        return today.year, today.month
    try:
        year, month = (int(x) for x in value.split("-"))
        date(year, month, 1)
    except ValueError as exc:
        raise exceptions.ValidationError({"month": ["expected YYYY-MM"]}) from exc
    return year, month


class StatementView(AuditedViewMixin, APIView):
    """A member's monthly statement: mass collected for it at co-built points and its cost share.

    Members get their own; the secretariat and regulators may name a member with ``member=<USCC>``."""

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description="YYYY-MM"), OpenApiParameter("member", str)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        year, month = _month(request.GET.get("month"))
        member = request.user.organisation
        uscc = request.GET.get("member")
        if uscc and (member is None or uscc != member.uscc):
            if not (selectors.is_secretariat(request.user) or tenancy.scope_of(request.user).regulator):
                raise exceptions.NotFound()
            member = get_object_or_404(Organisation, uscc=uscc)
        if member is None:
            raise exceptions.ValidationError({"member": ["name a member by its USCC"]})
        st = selectors.member_statement(member=member, year=year, month=month)
        return Response(
            {
                "member": member.uscc,
                "month": f"{year:04d}-{month:02d}",
                "total_kg": str(st.total_kg),
                "total_cost_cny": str(st.total_cost_cny),
                "lines": [
                    {
                        "point": line.point.service_point.code,
                        "name": line.point.service_point.display_name,
                        "collected_kg": str(line.collected_kg),
                        "mass_share": str(line.mass_share),
                        "member_kg": str(line.member_kg),
                        "monthly_cost_cny": str(line.monthly_cost_cny),
                        "cost_share": str(line.cost_share),
                        "member_cost_cny": str(line.member_cost_cny),
                    }
                    for line in st.lines
                ],
            }
        )
