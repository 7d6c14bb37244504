"""Cascade-use API (R-CASCADE): authorisations, safety assessments, repurposed products, waste hand-over.

Workflows are small APIViews calling one service; lists are tenancy-filtered with the app's FilterSets.
Business refusals answer 422 with the refusal's code and a message naming what is missing (the platform's
exception handler maps them)."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actors import acting_organisation
from accounts.models import Organisation
from core.api.base import AuditedViewMixin, RowActionView, TenantQuerysetMixin
from traceability.api.lookups import battery_from_input

from .. import selectors, services
from ..filtersets import AuthorisationFilterSet, RepurposedProductFilterSet, SafetyAssessmentFilterSet
from ..models import Authorisation, RepurposedProduct, SafetyAssessment, Scenario
from . import serializers as s


def organisation_by_uscc(uscc: str, field: str) -> Organisation:
    org = Organisation.objects.filter(uscc=uscc.strip().upper(), is_active=True).first()
    if org is None:
        raise serializers.ValidationError({field: [f"no organisation with USCC {uscc}"]})
    return org


class ScenarioViewSet(viewsets.ReadOnlyModelViewSet):
    """Application scenarios of second life and their SOH bands (data, domain.md §6)."""

    queryset = Scenario.objects.filter(is_active=True)
    serializer_class = s.ScenarioSerializer
    lookup_field = "key"
    pagination_class = None


class AuthorisationListView(TenantQuerysetMixin, generics.ListAPIView):
    """Authorisations granted (battery maker) or held (cascade-use enterprise); POST grants one."""

    queryset = Authorisation.objects.select_related("battery_maker", "enterprise")
    serializer_class = s.AuthorisationOutput
    filterset_class = AuthorisationFilterSet

    @extend_schema(request=s.AuthorisationInput, responses={201: s.AuthorisationOutput})
    def post(self, request):
        maker = acting_organisation(request.user, "battery_maker")
        data = s.AuthorisationInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        authorisation = services.authorisation_grant(
            battery_maker=maker,
            enterprise=organisation_by_uscc(v.pop("enterprise"), "enterprise"),
            actor=request.user,
            **v,
        )
        return Response(s.AuthorisationOutput(authorisation).data, status=status.HTTP_201_CREATED)


class AuthorisationDetailView(TenantQuerysetMixin, generics.RetrieveAPIView):
    """One authorisation by a battery maker to a cascade-use enterprise: the chemistries and product types it
    covers, its term and whether it is revoked."""

    queryset = Authorisation.objects.select_related("battery_maker", "enterprise")
    serializer_class = s.AuthorisationOutput


class AuthorisationRevokeView(RowActionView):
    """The granting battery maker revokes an authorisation."""

    queryset = Authorisation.objects.all()
    row_argument = "authorisation"
    service = staticmethod(services.authorisation_revoke)
    input_serializer = s.RevokeInput
    output_serializer = s.AuthorisationOutput
    answer_queryset = AuthorisationDetailView.queryset


class AssessmentListView(TenantQuerysetMixin, generics.ListAPIView):
    """Safety assessments recorded by the enterprise; POST records one (GB/T 34015.1 steps)."""

    queryset = SafetyAssessment.objects.select_related("battery")
    serializer_class = s.AssessmentOutput
    filterset_class = SafetyAssessmentFilterSet

    @extend_schema(request=s.AssessmentInput, responses={201: s.AssessmentOutput})
    def post(self, request):
        data = s.AssessmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        battery = battery_from_input(request.user, v.pop("battery"))
        assessment = services.assessment_record(battery=battery, actor=request.user, **v)
        return Response(s.AssessmentOutput(assessment).data, status=status.HTTP_201_CREATED)


class ProductListView(TenantQuerysetMixin, generics.ListAPIView):
    """Repurposed products; POST builds one from assessed, authorised originals under a new code."""

    queryset = RepurposedProduct.objects.select_related("battery", "enterprise", "scenario").prefetch_related(
        "sources__battery", "sources__authorisation"
    )
    serializer_class = s.ProductOutput
    filterset_class = RepurposedProductFilterSet

    @extend_schema(request=s.ProductInput, responses={201: s.ProductOutput})
    def post(self, request):
        data = s.ProductInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        sources = [battery_from_input(request.user, code, "sources") for code in v.pop("sources")]
        scenario = Scenario.objects.filter(key=v.pop("scenario"), is_active=True).first()
        if scenario is None:
            raise serializers.ValidationError(
                {"scenario": ["unknown scenario; see /api/v1/cascade/scenarios/"]}
            )
        product = services.product_create(sources=sources, scenario=scenario, actor=request.user, **v)
        return Response(s.ProductOutput(product).data, status=status.HTTP_201_CREATED)


class ProductDetailView(TenantQuerysetMixin, generics.RetrieveAPIView):
    """One second-life product: its new code, scenario, site and the original batteries it was built from."""

    queryset = ProductListView.queryset
    serializer_class = s.ProductOutput


class ProductRetireView(RowActionView):
    """End a product's second life; it joins the enterprise's waste to hand to regeneration."""

    queryset = RepurposedProduct.objects.all()
    row_argument = "product"
    service = staticmethod(services.product_retire)
    input_serializer = s.RetireInput
    output_serializer = s.ProductOutput
    answer_queryset = ProductListView.queryset


class WasteView(AuditedViewMixin, APIView):
    """The enterprise's outstanding waste with hand-over deadlines; POST /handover/ hands one item over."""

    @extend_schema(responses=s.WasteOutput(many=True))
    def get(self, request):
        enterprise = acting_organisation(request.user, "cascade_use")
        return Response(s.WasteOutput(selectors.outstanding_waste(enterprise), many=True).data)


class WasteHandoverView(AuditedViewMixin, APIView):
    """Hand one item of your outstanding waste to a licensed regeneration enterprise; answers the waste left."""

    @extend_schema(request=s.HandoverInput, responses={200: s.WasteOutput(many=True)})
    def post(self, request):
        data = s.HandoverInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        battery = battery_from_input(request.user, v["battery"])
        services.waste_handover(
            battery=battery,
            to=organisation_by_uscc(v["to"], "to"),
            occurred_at=v["occurred_at"],
            actor=request.user,
        )
        return Response(s.WasteOutput(selectors.outstanding_waste(request.user.organisation), many=True).data)


class QueueView(AuditedViewMixin, APIView):
    """Work queues: ``to_assess`` and ``to_repurpose`` (originals in the enterprise's custody)."""

    QUEUES = {"to_assess": selectors.queue_to_assess, "to_repurpose": selectors.queue_to_repurpose}

    @extend_schema(responses=s.BatteryBrief(many=True))
    def get(self, request, queue: str):
        enterprise = acting_organisation(request.user, "cascade_use")
        if queue not in self.QUEUES:
            raise exceptions.NotFound(f"unknown queue; choose one of {', '.join(self.QUEUES)}")
        return Response(s.BatteryBrief(self.QUEUES[queue](enterprise)[:500], many=True).data)
