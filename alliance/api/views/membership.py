"""Membership API: tiers, the member directory, applications and the secretariat's decisions (R-ALLIANCE)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import AuditedViewMixin, RowActionView, TenantReadOnlyViewSet
from core.api.pagination import StandardPagination

from ... import selectors, services
from ...filtersets import (
    MembershipFilterSet,
)
from ...models import Membership, MembershipTier
from .. import serializers as s


class TierViewSet(viewsets.ReadOnlyModelViewSet):
    """Membership tiers: terms and annual fees (public)."""

    queryset = MembershipTier.objects.filter(is_active=True)
    serializer_class = s.TierSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "code"
    pagination_class = None


class DirectoryView(AuditedViewMixin, APIView):
    """The member directory: public entries for everyone; contact and capability fields for members."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=s.DirectoryEntrySerializer(many=True))
    def get(self, request):
        qs = MembershipFilterSet(request.GET, queryset=selectors.directory(request.user)).qs
        paginator = StandardPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        ctx = {"members_only": selectors.sees_members_only(request.user)}
        return paginator.get_paginated_response(s.DirectoryEntrySerializer(page, many=True, context=ctx).data)


class MembershipViewSet(TenantReadOnlyViewSet):
    """Membership records and applications: your own; the secretariat and regulators see all."""

    queryset = Membership.objects.select_related("organisation", "tier")
    serializer_class = s.MembershipSerializer
    filterset_class = MembershipFilterSet


class ApplyView(AuditedViewMixin, APIView):
    """Your enterprise applies to join the alliance at a tier; the secretariat decides."""

    @extend_schema(request=s.ApplyInput, responses={201: s.MembershipSerializer})
    def post(self, request):
        data = s.ApplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_apply(actor=request.user, **data.validated_data)
        return Response(s.MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class DecideView(RowActionView):
    """The secretariat approves or rejects an application (``approve``, ``note``)."""

    queryset = Membership.objects.all()
    row_argument = "membership"
    service = staticmethod(services.membership_decide)
    input_serializer = s.DecideInput
    output_serializer = s.MembershipSerializer
