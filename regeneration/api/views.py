"""Regeneration API (R-REGEN): licences, receipts, two-stage batches and their evaluation per edition.

Business refusals answer 422 with the refusal's code (licence_expired, licence_category, licence_scale,
outputs_exceed_inputs, ...) and a message naming what is wrong."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import acting_organisation
from accounts.models import Organisation
from core import tenancy
from core.api.base import AuditedViewMixin, RowActionView, TenantQuerysetMixin
from core.bounds import year_param
from traceability.api.lookups import battery_from_input

from .. import selectors, services
from ..filtersets import BatchFilterSet, LicenceFilterSet
from ..models import Batch, Licence, ThresholdEdition, WasteCategory
from . import serializers as s


def _edition(code: str | None) -> ThresholdEdition:
    if not code:
        return selectors.default_edition()
    edition = ThresholdEdition.objects.filter(code=code).first()
    if edition is None:
        known = ", ".join(ThresholdEdition.objects.values_list("code", flat=True))
        raise serializers.ValidationError({"edition": [f"unknown edition {code}; known: {known}"]})
    return edition


BATCHES = Batch.objects.select_related("enterprise", "edition").prefetch_related(
    "inputs__battery", "outputs", "recoveries"
)


class WasteCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The hazardous-waste categories a regeneration licence may cover, by code."""

    queryset = WasteCategory.objects.all()
    serializer_class = s.WasteCategorySerializer
    lookup_field = "code"
    pagination_class = None


class EditionViewSet(viewsets.ReadOnlyModelViewSet):
    """Recovery-rate thresholds of the 2019 and 2024 editions (data, domain.md §4)."""

    queryset = ThresholdEdition.objects.prefetch_related("thresholds")
    serializer_class = s.EditionSerializer
    lookup_field = "code"
    pagination_class = None


class LicenceListView(TenantQuerysetMixin, generics.ListAPIView):
    """Hazardous-waste licences with this year's usage against the annual scale; POST registers one."""

    queryset = Licence.objects.select_related("enterprise")
    serializer_class = s.LicenceOutput
    filterset_class = LicenceFilterSet

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "year": timezone.localdate().year}

    @extend_schema(request=s.LicenceInput, responses={201: s.LicenceOutput})
    def post(self, request):
        enterprise = acting_organisation(request.user, "regeneration")
        data = s.LicenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        licence = services.licence_register(enterprise=enterprise, actor=request.user, **data.validated_data)
        return Response(s.LicenceOutput(licence, context=self.get_serializer_context()).data, status=201)


class LicenceDetailView(TenantQuerysetMixin, generics.RetrieveAPIView):
    """One hazardous-waste business licence: its categories, annual scale and term."""

    queryset = Licence.objects.select_related("enterprise")
    serializer_class = s.LicenceOutput


class ReceiveView(AuditedViewMixin, APIView):
    """Book in a battery handed to this enterprise, checked against the licence (category, validity, scale)."""

    @extend_schema(request=s.ReceiveInput, responses={201: None})
    def post(self, request):
        data = s.ReceiveInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        battery = battery_from_input(request.user, v["battery"])
        services.pack_receive(
            battery=battery,
            occurred_at=v["occurred_at"],
            mass_kg=v.get("mass_kg"),
            actor=request.user,
        )
        return Response({"code": battery.code, "state": "at_regeneration"}, status=201)


class BatchListView(TenantQuerysetMixin, generics.ListAPIView):
    """Processing batches; POST opens one with its input packs."""

    queryset = BATCHES
    serializer_class = s.BatchOutput
    filterset_class = BatchFilterSet

    @extend_schema(request=s.BatchCreateInput, responses={201: s.BatchOutput})
    def post(self, request):
        data = s.BatchCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        batteries, masses = [], {}
        for item in v["inputs"]:
            battery = battery_from_input(request.user, item["code"], "inputs")
            batteries.append(battery)
            if item.get("mass_kg"):
                masses[battery.pk] = item["mass_kg"]
        batch = services.batch_create(
            reference=v["reference"],
            batteries=batteries,
            masses=masses,
            started_at=v["started_at"],
            edition=_edition(v.get("edition")),
            powder_content_kg=v.get("powder_content_kg"),
            notes=v["notes"],
            actor=request.user,
        )
        return Response(s.BatchOutput(BATCHES.get(pk=batch.pk)).data, status=201)


class BatchDetailView(TenantQuerysetMixin, generics.RetrieveAPIView):
    """One regeneration batch: its input packs, stage outputs, recoveries and flags."""

    queryset = BATCHES
    serializer_class = s.BatchOutput


class BatchStage1View(RowActionView):
    """Stage 1, harmless dismantling: outputs with masses; outputs heavier than inputs are rejected."""

    queryset = Batch.objects.all()
    row_argument = "batch"
    service = staticmethod(services.batch_stage1_record)
    input_serializer = s.Stage1Input
    output_serializer = s.BatchOutput
    answer_queryset = BATCHES


class BatchStage2View(BatchStage1View):
    """Stage 2, material recovery per element and route; recovered above feed is rejected."""

    service = staticmethod(services.batch_stage2_record)
    input_serializer = s.Stage2Input
    output_serializer = s.BatchOutput


class BatchEvaluationView(AuditedViewMixin, APIView):
    """Mass balance and recovery rates of a batch under an edition (``?edition=2019``; default the batch's)."""

    @extend_schema(parameters=[OpenApiParameter("edition", str)], responses=dict)
    def get(self, request, pk: int):
        batch = tenancy.get_visible_or_404(BATCHES, request.user, pk=pk)
        edition = _edition(request.query_params.get("edition") or batch.edition.code)
        return Response(
            {"edition": edition.code, **s.evaluation_data(selectors.batch_evaluate(batch, edition))}
        )


class YearBalanceView(AuditedViewMixin, APIView):
    """Per enterprise per year: input vs outputs and recovery rates under each edition (R-REGEN)."""

    @extend_schema(
        parameters=[OpenApiParameter("year", int), OpenApiParameter("enterprise", str)], responses=dict
    )
    def get(self, request):
        year = year_param(request.query_params.get("year"), default=timezone.localdate().year)
        uscc = request.query_params.get("enterprise")
        if uscc:
            enterprise = Organisation.objects.filter(uscc=uscc.upper()).first()
            if enterprise is None or not (
                tenancy.scope_of(request.user).regulator
                or request.user.is_superuser
                or enterprise.pk == request.user.organisation_id
            ):
                raise exceptions.NotFound()
        else:
            enterprise = acting_organisation(request.user, "regeneration")
        return Response(
            {
                "enterprise": enterprise.uscc,
                "year": year,
                "editions": {
                    e.code: s.evaluation_data(selectors.year_evaluate(enterprise, year, e))
                    for e in selectors.editions()
                },
            }
        )
