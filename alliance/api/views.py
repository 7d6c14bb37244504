"""Alliance API (R-ALLIANCE): directory and applications, co-built points and statements, price guidance,
residual-value trading and market reports. Views validate, call one service or selector, and answer."""

from __future__ import annotations

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation
from core import tenancy
from core.api.base import AuditedViewMixin, TenantReadOnlyViewSet
from core.api.pagination import StandardPagination
from core.dates import require_date
from core.tabular import export_response
from recycling_network import selectors as network_selectors

from .. import selectors, services
from ..filtersets import (
    DealFilterSet,
    LotFilterSet,
    MembershipFilterSet,
    PriceGuidanceFilterSet,
    SharedServicePointFilterSet,
)
from ..models import Bid, Deal, Lot, Membership, MembershipTier, PriceGuidance, SharedServicePoint
from ..qualification import buyer_qualification
from . import serializers as s


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
    @extend_schema(request=s.ApplyInput, responses={201: s.MembershipSerializer})
    def post(self, request):
        data = s.ApplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_apply(user=request.user, **data.validated_data)
        return Response(s.MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class DecideView(AuditedViewMixin, APIView):
    @extend_schema(request=s.DecideInput, responses=s.MembershipSerializer)
    def post(self, request, pk: int):
        membership = tenancy.get_visible_or_404(Membership.objects.all(), request.user, pk=pk)
        data = s.DecideInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_decide(
            user=request.user, membership=membership, **data.validated_data
        )
        return Response(s.MembershipSerializer(membership).data)


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
            user=request.user,
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
            user=request.user,
            title=v["title"],
            effective_from=v["effective_from"],
            notes=v["notes"],
            prices=v["prices"],
            metals=v["metals"],
        )
        return Response(s.GuidanceSerializer(guidance).data, status=status.HTTP_201_CREATED)


class GuidancePublishView(AuditedViewMixin, APIView):
    @extend_schema(request=None, responses=s.GuidanceSerializer)
    def post(self, request, pk: int):
        guidance = tenancy.get_visible_or_404(PriceGuidance.objects.all(), request.user, pk=pk)
        guidance = services.guidance_publish(user=request.user, guidance=guidance)
        return Response(s.GuidanceSerializer(guidance).data)


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


class LotViewSet(TenantReadOnlyViewSet):
    """Lots on the market: members see online lots; sellers their own; regulators all."""

    queryset = Lot.objects.select_related("seller").prefetch_related("items__battery__maker")
    serializer_class = s.LotSerializer
    filterset_class = LotFilterSet

    @extend_schema(request=s.LotInput, responses={201: s.LotSerializer})
    def create(self, request):
        data = s.LotInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        items = [services.ItemInput(**i) for i in v.pop("items")]
        lot = services.lot_create(user=request.user, items=items, **v)
        return Response(
            s.LotSerializer(lot, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


def _lot(request, pk: int) -> Lot:
    return tenancy.get_visible_or_404(Lot.objects.all(), request.user, pk=pk)


class LotBidsView(AuditedViewMixin, APIView):
    """GET: bids you may see (sealed bids: only your own until the deadline). POST: place a bid."""

    @extend_schema(responses=s.BidSerializer(many=True))
    def get(self, request, pk: int):
        lot = _lot(request, pk)
        bids = selectors.bids_visible(lot=lot, user=request.user)
        return Response({"revealed": lot.bids_revealed(), "results": s.BidSerializer(bids, many=True).data})

    @extend_schema(request=s.BidInput, responses={201: s.BidSerializer})
    def post(self, request, pk: int):
        lot = _lot(request, pk)
        data = s.BidInput(data=request.data)
        data.is_valid(raise_exception=True)
        bid = services.bid_place(user=request.user, lot=lot, **data.validated_data)
        return Response(s.BidSerializer(bid).data, status=status.HTTP_201_CREATED)


class BidWithdrawView(AuditedViewMixin, APIView):
    @extend_schema(request=None, responses=s.BidSerializer)
    def post(self, request, pk: int):
        bid = tenancy.get_visible_or_404(Bid.objects.all(), request.user, pk=pk)
        bid = services.bid_withdraw(user=request.user, bid=bid)
        return Response(s.BidSerializer(bid).data)


class LotQualificationView(AuditedViewMixin, APIView):
    """Whether your organisation may bid on the lot, and the reasons when not."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        lot = _lot(request, pk)
        if request.user.organisation is None:
            return Response({"qualified": False, "reasons": ["act for an organisation to bid"]})
        ok, reasons = buyer_qualification(buyer=request.user.organisation, lot=lot)
        return Response({"qualified": ok, "reasons": reasons})


class LotAcceptView(AuditedViewMixin, APIView):
    @extend_schema(request=s.AcceptInput, responses={201: s.DealSerializer})
    def post(self, request, pk: int):
        lot = _lot(request, pk)
        data = s.AcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        bid = get_object_or_404(Bid, pk=data.validated_data["bid"], lot=lot)
        deal = services.lot_accept(user=request.user, lot=lot, bid=bid)
        return Response(s.DealSerializer(deal).data, status=status.HTTP_201_CREATED)


class LotCancelView(AuditedViewMixin, APIView):
    @extend_schema(request=None, responses=s.LotSerializer)
    def post(self, request, pk: int):
        lot = _lot(request, pk)
        lot = services.lot_cancel(user=request.user, lot=lot, reason=request.data.get("reason", ""))
        return Response(s.LotSerializer(lot, context={"request": request}).data)


class LotEventsView(AuditedViewMixin, APIView):
    """The lot's trail; bidders of sealed bids stay hidden from other readers until the bids are revealed."""

    @extend_schema(responses=s.LotEventSerializer(many=True))
    def get(self, request, pk: int):
        lot = _lot(request, pk)
        return Response(
            s.LotEventSerializer(selectors.lot_events(lot=lot, user=request.user), many=True).data
        )


class DealViewSet(TenantReadOnlyViewSet):
    """Deals you are party to (regulators: all), with their deviation from guidance."""

    queryset = Deal.objects.select_related("lot", "seller", "buyer").prefetch_related("lot__items__battery")
    serializer_class = s.DealSerializer
    filterset_class = DealFilterSet


class OfflineDealView(AuditedViewMixin, APIView):
    @extend_schema(request=s.OfflineDealInput, responses={201: s.DealSerializer})
    def post(self, request):
        data = s.OfflineDealInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        items = [services.ItemInput(**i) for i in v.pop("items")]
        deal = services.deal_record_offline(user=request.user, items=items, **v)
        return Response(s.DealSerializer(deal).data, status=status.HTTP_201_CREATED)


def require_report_reader(user) -> None:
    """Market reports are for members, the secretariat and regulators."""
    if not selectors.sees_members_only(user):
        raise exceptions.PermissionDenied("market reports are for alliance members and regulators")


class MarketReportView(AuditedViewMixin, APIView):
    """Volumes and prices by month, chemistry and grade; ``?format=csv`` or ``xlsx`` downloads it."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", date),
            OpenApiParameter("to", date),
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"]),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        require_report_reader(request.user)
        rows = selectors.market_report(
            date_from=require_date(request.GET.get("from"), field="date"),
            date_to=require_date(request.GET.get("to"), field="date"),
        )
        fmt = request.GET.get("format", "json")
        if fmt in ("csv", "xlsx"):
            return export_response(
                selectors.report_rows(rows),
                selectors.REPORT_HEADER,
                filename="alliance-market-report",
                fmt=fmt,
            )
        return Response(
            [
                dict(
                    zip(
                        selectors.REPORT_HEADER, [str(v) if v is not None else None for v in row], strict=True
                    )
                )
                for row in selectors.report_rows(rows)
            ]
        )

    # DRF reserves ?format= for renderer negotiation; this view answers csv/xlsx itself.
    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)
