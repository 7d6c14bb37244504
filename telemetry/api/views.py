"""REST endpoint of vehicle telemetry: a vehicle's samples in a time window, for those who may read the vehicle."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.views import APIView

from core.api.base import AuditedViewMixin
from core.api.pagination import StandardPagination
from telemetry import selectors
from traceability import selectors as trace

FIELDS = (
    "sampled_at",
    "received_at",
    "battery_id",
    "reissued",
    "vehicle_state",
    "charging_state",
    "speed_kmh",
    "mileage_km",
    "voltage_v",
    "current_a",
    "soc_pct",
    "insulation_kohm",
    "max_cell_v",
    "min_cell_v",
    "max_temp_c",
    "min_temp_c",
    "alarm_level",
    "alarm_flags",
    "longitude",
    "latitude",
)


class WindowSerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["must be later than since"]})
        return attrs


class VehicleTelemetryView(AuditedViewMixin, APIView):
    """GB/T 32960 samples of a vehicle, oldest first; ``since`` (inclusive) and ``until`` (exclusive) are ISO 8601.
    A VIN the caller may not read answers 404, like a missing one."""

    @extend_schema(
        parameters=[OpenApiParameter("since", str), OpenApiParameter("until", str)],
        responses={
            200: OpenApiResponse(description="page of samples"),
            400: OpenApiResponse(description="field at fault"),
        },
    )
    def get(self, request, vin: str):
        window = WindowSerializer(
            data={k: v for k, v in request.query_params.items() if k in ("since", "until")}
        )
        if not window.is_valid():
            raise exceptions.ValidationError(window.errors)
        vehicle = trace.vehicle_get_by_vin(vin=vin, user=request.user)
        if vehicle is None:
            raise Http404
        qs = selectors.samples_for_vehicle(vin=vehicle.vin, **window.validated_data).values(*FIELDS)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response({"vin": vehicle.vin, "samples": page})
