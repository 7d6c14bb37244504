"""REST endpoint of vehicle telemetry: a vehicle's samples in a time window, for those who may read the vehicle."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.views import APIView

from core.api.base import AuditedViewMixin
from core.api.pagination import StandardPagination
from telemetry import selectors, storage
from traceability import selectors as trace

# The stored columns a client reads: all but the VIN, which the URL names.
FIELDS = tuple(c for c in storage.SAMPLE_COLUMNS if c != "vin")


class WindowSerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["must be later than since"]})
        return attrs


class SampleSerializer(serializers.Serializer):
    """One real-time sample (GB/T 32960.3-2016 §7.2.3); a value the vehicle marked invalid or abnormal is null."""

    sampled_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    battery_id = serializers.IntegerField(allow_null=True, help_text="the pack bound to the vehicle then")
    reissued = serializers.BooleanField()
    vehicle_state = serializers.IntegerField(allow_null=True)
    charging_state = serializers.IntegerField(allow_null=True)
    speed_kmh = serializers.FloatField(allow_null=True)
    mileage_km = serializers.FloatField(allow_null=True)
    voltage_v = serializers.FloatField(allow_null=True)
    current_a = serializers.FloatField(allow_null=True)
    soc_pct = serializers.FloatField(allow_null=True)
    insulation_kohm = serializers.FloatField(allow_null=True)
    max_cell_v = serializers.FloatField(allow_null=True)
    min_cell_v = serializers.FloatField(allow_null=True)
    max_temp_c = serializers.FloatField(allow_null=True)
    min_temp_c = serializers.FloatField(allow_null=True)
    alarm_level = serializers.IntegerField(allow_null=True)
    alarm_flags = serializers.IntegerField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    latitude = serializers.FloatField(allow_null=True)


class SamplePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = inline_serializer(
        "VehicleSamples", {"vin": serializers.CharField(), "samples": SampleSerializer(many=True)}
    )


class VehicleTelemetryView(AuditedViewMixin, APIView):
    """GB/T 32960 samples of a vehicle, oldest first; ``since`` (inclusive) and ``until`` (exclusive) are ISO 8601.
    A VIN the caller may not read answers 404, like a missing one."""

    @extend_schema(
        parameters=[OpenApiParameter("since", str), OpenApiParameter("until", str)],
        responses={
            200: SamplePageSerializer,
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
