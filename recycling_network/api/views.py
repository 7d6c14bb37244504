"""REST API of the recycling network (R-NET, R-SCRAP, R-PUBLIC). Workflow endpoints are thin: validate,
look up (tenancy-scoped), call one service, answer."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, permissions, renderers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core import tenancy
from core.api.base import AuditedViewMixin, RowActionView, TenantQuerysetMixin
from core.api.bulk import ERROR, BulkAPIView, item_result
from core.api.parsers import StrictJSONParser
from core.tabular import TabularError, export_response, read_rows

from .. import selectors, services
from ..filtersets import (
    IntakeFilterSet,
    NetworkAlertFilterSet,
    ServicePointFilterSet,
    StockEntryFilterSet,
    TransferFilterSet,
)
from ..models import (
    Intake,
    NetworkAlert,
    PointChangeRequest,
    ScrapCertificate,
    ServicePoint,
    StockEntry,
    Transfer,
)
from ..public import PUBLIC_CSV_HEADER, nearest_origin, public_csv_row
from . import serializers as s


class CSVRenderer(renderers.BaseRenderer):
    """Lets ``?format=csv`` through content negotiation; the view itself streams the file."""

    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class XLSXRenderer(CSVRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"


# --------------------------------------------------------------------------------------------------------------
# Public, open data


NEAR_PARAMS = [
    OpenApiParameter("near", str, description="lat,lon (WGS-84) to sort by distance, e.g. 39.9042,116.4074"),
    OpenApiParameter("near_system", str, enum=["wgs84", "gcj02"], description="datum of `near`"),
    OpenApiParameter("near_district", str, description="sort by distance from a district's centroid"),
    OpenApiParameter("format", str, enum=["json", "csv", "xlsx"]),
]


class PublicServicePointListView(generics.ListAPIView):
    """Published recycling service points as open data (R-PUBLIC), JSON or CSV/XLSX (``?format=csv``).

    Filters: ``region`` (BJ, TJ, HB), ``district``, ``automaker`` (USCC), ``kind``, ``q``; ``near`` sorts by
    distance and adds ``distance_km``. A contact phone is present only where the point chose to publish it.
    """

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    serializer_class = s.PublicServicePointSerializer
    filterset_class = ServicePointFilterSet
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]

    def get_queryset(self):
        return selectors.published_points()

    @extend_schema(parameters=NEAR_PARAMS)
    def get(self, request, *args, **kwargs):
        qs = self.filter_queryset(self.get_queryset())
        origin = nearest_origin(request.query_params)
        distances: dict[int, float] = {}
        rows = list(qs)
        if origin is not None:
            ranked = selectors.points_nearest(rows, lat=origin[0], lon=origin[1])
            rows = [n.point for n in ranked]
            distances = {n.point.pk: n.distance_m for n in ranked}
        fmt = getattr(request, "accepted_renderer", None) and request.accepted_renderer.format
        if fmt in ("csv", "xlsx"):
            data = (public_csv_row(p, distances.get(p.pk)) for p in rows)
            return export_response(data, PUBLIC_CSV_HEADER, filename="service-points", fmt=fmt)
        page = self.paginate_queryset(rows)
        body = self.get_serializer(page, many=True, context={"distances": distances, "request": request}).data
        return self.get_paginated_response(body)


class PublicServicePointDetailView(generics.RetrieveAPIView):
    """One published service point, by its code, for anyone: what the public sees of it (its phone only when
    the point publishes it)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    serializer_class = s.PublicServicePointSerializer
    lookup_field = "code"

    def get_queryset(self):
        return selectors.published_points()


# --------------------------------------------------------------------------------------------------------------
# Service points (enterprises and regulators)


class ServicePointListCreateView(TenantQuerysetMixin, generics.ListAPIView):
    """Points you register, operate or are served by (a regulator: all). POST registers a draft point."""

    queryset = ServicePoint.objects.select_related("operator", "registered_by", "district").prefetch_related(
        "automakers"
    )
    serializer_class = s.ServicePointSerializer
    filterset_class = ServicePointFilterSet

    @extend_schema(request=s.ServicePointInputSerializer, responses={201: s.ServicePointSerializer})
    def post(self, request):
        data = s.ServicePointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        point = services.service_point_register(actor=request.user, **data.validated_data)
        return Response(s.ServicePointSerializer(point).data, status=status.HTTP_201_CREATED)


class ServicePointDetailView(TenantQuerysetMixin, generics.RetrieveAPIView):
    """One service point. PATCH (its operator): change its facts; a change to what the public sees of a
    published point sends it back to review."""

    queryset = ServicePointListCreateView.queryset
    serializer_class = s.ServicePointSerializer

    @extend_schema(request=s.ServicePointInputSerializer, responses=s.ServicePointSerializer)
    def patch(self, request, pk: int):
        point = self.get_object()
        data = s.ServicePointInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("operator", None)
        point = services.service_point_update(point=point, actor=request.user, **fields)
        return Response(s.ServicePointSerializer(point).data)


class ServicePointReviewView(RowActionView):
    """Workflow step: ``submit`` (owner), ``publish`` / ``return`` / ``suspend`` / ``reinstate`` (regulator of
    the point's region), ``close`` (either)."""

    queryset = ServicePoint.objects.all()
    row_argument = "point"
    service = staticmethod(services.service_point_review)
    input_serializer = s.ReviewInputSerializer
    output_serializer = s.ServicePointSerializer


class PointChangeRequestListCreateView(TenantQuerysetMixin, generics.ListAPIView):
    """Change requests for a point. POST: an automaker the point serves, but does not operate, asks for a
    change (``kind: change`` with ``changes``) or for closing (``kind: close``); the operator or the
    regulator of the point's region decides."""

    queryset = PointChangeRequest.objects.select_related("point", "requested_by")
    serializer_class = s.PointChangeRequestSerializer

    def get_queryset(self):
        return super().get_queryset().filter(point_id=self.kwargs["pk"])

    @extend_schema(
        request=s.PointChangeRequestInputSerializer, responses={201: s.PointChangeRequestSerializer}
    )
    def post(self, request, pk: int):
        point = _point_for(request, pk)
        data = s.PointChangeRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        change = services.point_change_request(
            point=point, actor=request.user, kind=v["kind"], note=v["note"], **v["changes"]
        )
        return Response(s.PointChangeRequestSerializer(change).data, status=status.HTTP_201_CREATED)


class PointChangeDecideView(RowActionView):
    """The operator, or the regulator of the point's region, approves or rejects a pending request."""

    queryset = PointChangeRequest.objects.all()
    row_argument = "request"
    service = staticmethod(services.point_change_decide)
    input_serializer = s.ChangeDecisionInputSerializer
    output_serializer = s.PointChangeRequestSerializer


# --------------------------------------------------------------------------------------------------------------
# Intake and stock


def _point_for(request, point_id: int) -> ServicePoint:
    return tenancy.get_visible_or_404(
        ServicePoint.objects.select_related("operator"), request.user, pk=point_id
    )


class IntakeListCreateView(AuditedViewMixin, generics.ListAPIView):
    """Packs received at your points. POST registers one received pack: 201 with ``unregistered`` true for a
    code first seen here (flagged to the regulator), 409 when another point holds the pack, 403 at a point
    you do not operate."""

    queryset = Intake.objects.select_related("point", "battery", "battery__custodian")
    serializer_class = s.IntakeSerializer
    filterset_class = IntakeFilterSet
    parser_classes = [StrictJSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.intakes_visible(self.queryset.all(), self.request.user)

    @extend_schema(request=s.IntakeInputSerializer, responses={201: s.IntakeSerializer})
    def post(self, request):
        data = s.IntakeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        point = _point_for(request, fields.pop("point"))
        result = services.intake_record(point=point, actor=request.user, **fields)
        return Response(s.IntakeSerializer(result.intake).data, status=status.HTTP_201_CREATED)


class IntakeBulkView(AuditedViewMixin, BulkAPIView):
    """``{"point": id, "items": [{"code", "source_kind", "condition", "mass_kg", "received_at"}, ...]}``: one
    result per item; a conflict is an ``error`` item with ``code: custody_conflict``."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, items, request):
        point_id = request.data.get("point")
        if not isinstance(point_id, int):
            raise exceptions.ValidationError({"point": ["the service point id is required"]})
        point = _point_for(request, point_id)
        rows = [
            {k: "" if v is None else str(v) for k, v in (i if isinstance(i, dict) else {}).items()}
            for i in items
        ]
        report = services.intake_bulk(point=point, actor=request.user, rows=rows)
        results = []
        for index, line in enumerate(report):
            if line["status"] == "created":
                results.append(
                    item_result(
                        index,
                        "created",
                        code=line["code"],
                        intake=line["intake"],
                        unregistered=line["unregistered"],
                    )
                )
            else:
                code = "custody_conflict" if line["status"] == "conflict" else "invalid"
                field = line.get("field", "code")
                results.append(
                    item_result(
                        index, ERROR, code=line["code"], error_code=code, errors={field: [line["message"]]}
                    )
                )
        return results


class IntakeUploadView(AuditedViewMixin, APIView):
    """Bulk intake from a CSV or XLSX file (columns ``code, source_kind, condition, mass_kg, received_at,
    source_name``); answers a per-row report."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=s.IntakeUploadSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        data = s.IntakeUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        point = _point_for(request, data.validated_data["point"])
        try:
            rows = read_rows(data.validated_data["file"])
        except TabularError as exc:
            raise exceptions.ValidationError({"file": [str(exc)]})
        report = services.intake_bulk(point=point, actor=request.user, rows=rows)
        summary = {k: sum(1 for r in report if r["status"] == k) for k in ("created", "conflict", "error")}
        summary["unregistered"] = sum(1 for r in report if r.get("unregistered"))
        return Response({"summary": {"total": len(report), **summary}, "rows": report})


class StockListView(AuditedViewMixin, generics.ListAPIView):
    """Packs physically held at your points now."""

    queryset = StockEntry.objects.select_related("battery", "point")
    serializer_class = s.StockEntrySerializer
    filterset_class = StockEntryFilterSet

    def get_queryset(self):
        return selectors.stock_visible(self.queryset.all(), self.request.user)


# --------------------------------------------------------------------------------------------------------------
# Transfers


class TransferListCreateView(TenantQuerysetMixin, generics.ListAPIView):
    """Transfers you send, receive or carry. POST dispatches packs from your point under a manifest."""

    queryset = Transfer.objects.select_related(
        "sender", "receiver", "from_point", "to_point"
    ).prefetch_related("items__battery")
    serializer_class = s.TransferSerializer
    filterset_class = TransferFilterSet

    @extend_schema(request=s.TransferInputSerializer, responses={201: s.TransferSerializer})
    def post(self, request):
        data = s.TransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields["from_point"] = _point_for(request, fields["from_point"])
        if "to_point" in fields:
            fields["to_point"] = get_object_or_404(ServicePoint, pk=fields["to_point"])
        transfer = services.transfer_dispatch(actor=request.user, **fields)
        return Response(s.TransferSerializer(transfer).data, status=status.HTTP_201_CREATED)


class TransferDetailView(TenantQuerysetMixin, generics.RetrieveAPIView):
    """One hand-over under a transport manifest (between points, to the hub, to a cascade-use or regeneration
    enterprise) and what arrived of each pack."""

    queryset = TransferListCreateView.queryset
    serializer_class = s.TransferSerializer


class TransferReceiveView(RowActionView):
    """The receiver confirms which packs arrived (partial arrival allowed); ``close`` reports the rest missing."""

    queryset = Transfer.objects.all()
    row_argument = "transfer"
    service = staticmethod(services.transfer_receive)
    input_serializer = s.TransferReceiveInputSerializer
    output_serializer = s.TransferSerializer


# --------------------------------------------------------------------------------------------------------------
# Scrapped vehicles


class ScrapCertificateCreateView(AuditedViewMixin, APIView):
    """A dismantler records a scrap certificate (《报废汽车回收证明》)."""

    @extend_schema(request=s.ScrapCertificateInputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = s.ScrapCertificateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cert = services.scrap_certificate_record(actor=request.user, **data.validated_data)
        removal = cert.removals.first()
        body = {
            "id": cert.pk,
            "number": cert.number,
            "vin": cert.vin,
            "pack_present": cert.pack_present,
            "pack_code": cert.pack.code if cert.pack_id else None,
            "removal_event": removal.event_id if removal else None,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class PackRemovalCreateView(RowActionView):
    """The dismantler holding the scrap certificate records the pack's removal from the scrapped vehicle."""

    queryset = ScrapCertificate.objects.all()
    row_argument = "certificate"
    service = staticmethod(services.pack_remove)
    input_serializer = s.PackRemovalInputSerializer
    output_serializer = OpenApiTypes.OBJECT
    success_status = status.HTTP_201_CREATED

    def answer(self, result):
        return {"id": result.pk, "code": result.battery.code, "custodian": result.custodian.uscc,
                "event": result.event_id}  # fmt: skip


class RecycledCertificateCreateView(RowActionView):
    """For a vehicle scrapped without its pack: the battery-recycled certificate, checked against the trace."""

    queryset = ScrapCertificate.objects.all()
    row_argument = "certificate"
    service = staticmethod(services.recycled_certificate_record)
    input_serializer = s.RecycledCertificateInputSerializer
    output_serializer = OpenApiTypes.OBJECT
    success_status = status.HTTP_201_CREATED

    def answer(self, result):
        return {"id": result.pk, "check_result": result.check_result, "check_notes": result.check_notes}


# --------------------------------------------------------------------------------------------------------------
# Supervision


class NetworkAlertListView(TenantQuerysetMixin, generics.ListAPIView):
    """Alerts on the network: packs missing in transit, unregistered codes taken in, vehicles scrapped without
    their pack, battery-recycled certificates that contradict the trace."""

    queryset = NetworkAlert.objects.select_related("battery")
    serializer_class = s.NetworkAlertSerializer
    filterset_class = NetworkAlertFilterSet


class ComplianceView(AuditedViewMixin, APIView):
    """Per-automaker compliance signals (regulators): point coverage, late uploads, stale packs, unregistered
    intakes (R-COMPLY)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        tenancy.require_regulator(request.user)
        return Response({"results": selectors.compliance_summary()})
