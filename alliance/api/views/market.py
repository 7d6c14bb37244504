"""Lot market API: lots, bids, qualification, acceptance, cancellation, events and deals (R-ALLIANCE)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import tenancy
from core.api.base import AuditedViewMixin, RowActionView, TenantReadOnlyViewSet

from ... import selectors, services
from ...filtersets import (
    DealFilterSet,
    LotFilterSet,
)
from ...models import Bid, Deal, Lot
from ...qualification import buyer_qualification
from .. import serializers as s


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
        lot = services.lot_create(actor=request.user, items=items, **v)
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
        bid = services.bid_place(actor=request.user, lot=lot, **data.validated_data)
        return Response(s.BidSerializer(bid).data, status=status.HTTP_201_CREATED)


class BidWithdrawView(RowActionView):
    """The bidder withdraws its active bid while bidding is open."""

    queryset = Bid.objects.all()
    row_argument = "bid"
    service = staticmethod(services.bid_withdraw)
    output_serializer = s.BidSerializer


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
    """The seller accepts a bid (``{"bid": id}``): the deal is concluded and custody of the lot's batteries moves
    to the buyer, one hand-over event each. A sealed lot is decided after its deadline."""

    @extend_schema(request=s.AcceptInput, responses={201: s.DealSerializer})
    def post(self, request, pk: int):
        lot = _lot(request, pk)
        data = s.AcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        bid = get_object_or_404(Bid, pk=data.validated_data["bid"], lot=lot)
        deal = services.lot_accept(actor=request.user, lot=lot, bid=bid)
        return Response(s.DealSerializer(deal).data, status=status.HTTP_201_CREATED)


class LotCancelView(RowActionView):
    """The seller cancels its open lot (``reason`` optional); active bids are declined."""

    queryset = Lot.objects.all()
    row_argument = "lot"
    service = staticmethod(services.lot_cancel)
    input_serializer = s.LotCancelInput
    output_serializer = s.LotSerializer


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
    """The seller records a deal made offline (线下交易): the same buyer qualification and custody hand-over apply."""

    @extend_schema(request=s.OfflineDealInput, responses={201: s.DealSerializer})
    def post(self, request):
        data = s.OfflineDealInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        items = [services.ItemInput(**i) for i in v.pop("items")]
        deal = services.deal_record_offline(actor=request.user, items=items, **v)
        return Response(s.DealSerializer(deal).data, status=status.HTTP_201_CREATED)
