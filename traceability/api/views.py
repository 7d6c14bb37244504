"""REST endpoints of the traceability core (R-CODE, R-BIND, R-LIFE). Views validate, call one service or
selector, and answer."""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from core import tenancy
from core.api.base import AuditedViewMixin
from core.api.bulk import BulkAPIView
from core.api.pagination import StandardPagination
from traceability import codes, ledger_store, selectors, services

from . import serializers as s
from .serializers import BatterySerializer, BulkResultSerializer, DecodedCodeSerializer


class CodeDecodeView(APIView):
    """Decode a GB/T 34014 battery code field by field (public). An invalid code answers 400 and the error's
    ``fields`` name the field at fault: length, charset, product_type, battery_type, spec, production_date, serial."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: DecodedCodeSerializer, 400: OpenApiResponse(description="field at fault")})
    def get(self, request, code: str):
        try:
            parsed = codes.parse(code, today=timezone.localdate())
        except codes.CodeError as exc:
            raise exceptions.ValidationError(exc.as_dict(), code=exc.field) from exc
        return Response(DecodedCodeSerializer(parsed.as_dict()).data)


def _as_api_error(exc: services.TraceabilityError) -> exceptions.APIException:
    if exc.field == "actor":
        return exceptions.PermissionDenied(exc.message)
    return exceptions.ValidationError(exc.as_dict())


class _TraceBulkView(AuditedViewMixin, BulkAPIView):
    kinds: tuple[str, ...] = ()

    def process(self, items, request):
        actor = tenancy.require_kind(request.user, *self.kinds)
        try:
            return self.upload(items=items, actor=actor, actor_user=request.user)
        except services.TraceabilityError as exc:
            raise _as_api_error(exc) from exc

    def upload(self, **kwargs):
        raise NotImplementedError


class BatteryListCreateView(_TraceBulkView):
    """GET: the batteries you may see. POST (battery makers): register produced codes with their modules and
    cells, ``{"items": [{"code", "rated_capacity_ah", "rated_energy_kwh", "mass_kg", "produced_at",
    "customer_uscc", "children": [...]}]}``."""

    kinds = ("battery_maker",)
    upload = staticmethod(services.batteries_upload)

    @extend_schema(responses=BatterySerializer(many=True))
    def get(self, request):
        qs = selectors.battery_list(user=request.user, filters=request.query_params)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(BatterySerializer(page, many=True).data)

    @extend_schema(request=s.BatteryUpload, responses=BulkResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class BindingBulkView(_TraceBulkView):
    """Automakers upload vehicle-battery pairs: ``{"items": [{"vin", "pack_code", "sold_at"}]}`` (up to 10,000)."""

    kinds = ("automaker",)
    upload = staticmethod(services.bindings_upload)

    @extend_schema(request=s.BindingUpload, responses=BulkResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class ReplacementBulkView(_TraceBulkView):
    """After-sales outlets (or automakers) report pack swaps: ``{"items": [{"vin", "old_pack_code",
    "new_pack_code", "replaced_at", "place"}]}``."""

    kinds = ("after_sales", "automaker")
    upload = staticmethod(services.replacements_upload)

    @extend_schema(request=s.ReplacementUpload, responses=BulkResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class EventBulkView(_TraceBulkView):
    """Generic lifecycle events from service points, dismantlers, cascade-use and regeneration enterprises:
    ``{"items": [{"battery_code", "kind", "occurred_at", "to_uscc", "place", "place_ref", "payload"}]}``."""

    kinds = (
        "service_operator", "dismantler", "cascade_use", "regeneration", "logistics", "after_sales",
        "fleet_operator", "automaker", "battery_maker", "assessor",
    )  # fmt: skip
    upload = staticmethod(services.events_upload)

    @extend_schema(request=s.EventUpload, responses=BulkResultSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


def _battery_or_404(request, code):
    battery = selectors.battery_get_by_code(code=code, user=request.user)
    if battery is None:
        raise Http404
    return battery


class BatteryDetailView(AuditedViewMixin, APIView):
    @extend_schema(responses=BatterySerializer)
    def get(self, request, code: str):
        return Response(BatterySerializer(_battery_or_404(request, code)).data)


class BatteryTraceView(AuditedViewMixin, APIView):
    """The whole history of a battery: events (with ledger index), modules and cells, vehicles, cascade links."""

    @extend_schema(responses=s.TraceSerializer)
    def get(self, request, code: str):
        return Response(selectors.battery_trace(battery=_battery_or_404(request, code)))


class VehicleDetailView(AuditedViewMixin, APIView):
    """A vehicle with its current and past packs."""

    @extend_schema(responses=s.VehicleSerializer)
    def get(self, request, vin: str):
        vehicle = selectors.vehicle_get_by_vin(vin=vin, user=request.user)
        if vehicle is None:
            raise Http404
        return Response(selectors.vehicle_detail(vehicle=vehicle))


class LedgerHeadView(APIView):
    """The latest signed tree head of the event ledger (public): size, root hash, signature."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=s.TreeHeadSerializer)
    def get(self, request):
        head = ledger_store.latest_head()
        if head is None:
            return Response({"tree_size": 0, "root_hash": None})
        return Response(head.as_dict())


class LedgerProofView(AuditedViewMixin, APIView):
    """RFC 9162 inclusion proof of one event you may read, against the latest signed tree head."""

    @extend_schema(responses=s.InclusionProofSerializer)
    def get(self, request, event_id: int):
        if selectors.event_get(event_id=event_id, user=request.user) is None:
            raise Http404
        proof = ledger_store.inclusion_proof(event_id)
        if proof is None:
            raise Http404
        return Response(proof.as_dict())
