"""Valuation API (R-VALUE): cycle-life prediction, assessment of batteries, bulk jobs, sorter, prices."""

from __future__ import annotations

from datetime import date

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import AuditedViewMixin, TenantReadOnlyViewSet
from core.api.bulk import CREATED, ERROR, BulkAPIView, item_result
from traceability import selectors as trace
from valuation import datafiles, selectors
from valuation.core.cycle_life import validate_features
from valuation.core.sorting import Unit, batch_sort
from valuation.filtersets import PriceSetFilterSet, ValuationFilterSet, ValuationJobFilterSet
from valuation.models import PriceSet, Valuation
from valuation.services import ValuationError, require_assessor, valuation_assess, valuation_job_create

from .serializers import (
    AssessInputSerializer,
    AssessOutputSerializer,
    CycleLifeInputSerializer,
    CycleLifeOutputSerializer,
    JobInputSerializer,
    JobOutputSerializer,
    PriceSetSerializer,
    SortInputSerializer,
    SortOutputSerializer,
    ValuationDetailSerializer,
    ValuationOutputSerializer,
)

OK = "ok"


class CycleLifeView(AuditedViewMixin, BulkAPIView):
    """``POST {"items": [{<feature columns of the early-cycle table>}]}`` → per item the predicted cycle life, its
    80 % interval, the flags (``out_of_distribution`` with the features at fault, ``imputed``,
    ``clipped_to_plausible_range``, ``fade_bound`` with ``limited_by_fade_bound``) and the model version; or
    ``errors`` per field.

    Only the features the model uses are read; a missing one is imputed and flagged. A used feature that is
    present but not a finite number is an item error; a bare ``NaN``/``Infinity`` makes the body invalid JSON (400).
    """

    max_items = 5000

    @extend_schema(request=CycleLifeInputSerializer, responses=CycleLifeOutputSerializer)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def process(self, items, request):
        model = datafiles.cycle_life_model()
        results = []
        for index, item in enumerate(items):
            values, errors = validate_features(item, model)
            if errors:
                results.append(item_result(index, ERROR, errors=errors))
                continue
            results.append(item_result(index, OK, **model.predict(values).to_dict()))
        return results

    def _answer(self, items, request):
        results = self.process(items, request)
        ok = sum(r["status"] == OK for r in results)
        summary = {"total": len(results), OK: ok, ERROR: len(results) - ok}
        return Response({"summary": summary, "results": results}, status=status.HTTP_200_OK)


class AssessView(AuditedViewMixin, BulkAPIView):
    """``POST {"items": ["<code>", {"code": "<code>", "valuation_date": "YYYY-MM-DD"}, ...]}``: assess each
    battery from its history and store the valuation; per item SOH, RUL, grade, scenarios, value and reasons."""

    max_items = 500

    @extend_schema(request=AssessInputSerializer, responses=AssessOutputSerializer)
    def post(self, request, *args, **kwargs):
        require_assessor(actor=request.user)
        return super().post(request, *args, **kwargs)

    def process(self, items, request):
        wanted = [self._code_of(item) for item in items]
        visible = {
            b.code: b
            for b in trace.batteries_visible(user=request.user).filter(code__in=[c for c in wanted if c])
        }
        results = []
        for index, item in enumerate(items):
            code = wanted[index]
            if not code:
                results.append(item_result(index, ERROR, errors={"code": ["give a battery code"]}))
                continue
            battery = visible.get(code)
            if battery is None:
                results.append(
                    item_result(index, ERROR, code=code, errors={"code": ["no such battery visible to you"]})
                )
                continue
            try:
                on = self._date_of(item)
                valuation = valuation_assess(battery=battery, actor=request.user, valuation_date=on)
            except ValueError as exc:
                field = getattr(exc, "field", "valuation_date")
                message = getattr(exc, "message", str(exc))
                results.append(item_result(index, ERROR, code=code, errors={field: [message]}))
                continue
            results.append(item_result(index, CREATED, **ValuationOutputSerializer(valuation).data))
        return results

    @staticmethod
    def _code_of(item) -> str:
        code = item.get("code") if isinstance(item, dict) else item
        return code.strip().upper() if isinstance(code, str) else ""

    @staticmethod
    def _date_of(item) -> date | None:
        if isinstance(item, dict) and item.get("valuation_date"):
            try:
                return date.fromisoformat(str(item["valuation_date"]))
            except ValueError:
                raise ValuationError("use YYYY-MM-DD", field="valuation_date")
        return None


class SortView(AuditedViewMixin, APIView):
    """Group modules or cells of similar SOH and internal resistance for rebuilding."""

    @extend_schema(request=SortInputSerializer, responses=SortOutputSerializer)
    def post(self, request):
        data = SortInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        units = [Unit(u["id"], u["soh"], u["internal_resistance"]) for u in v["items"]]
        result = batch_sort(
            units,
            soh_tolerance=v["soh_tolerance"],
            ir_tolerance=v["ir_tolerance"],
            min_group_size=v["min_group_size"],
        )
        return Response(
            {
                "groups": [[u.id for u in g] for g in result.groups],
                "unmatched": [u.id for u in result.unmatched],
            }
        )


class ValuationViewSet(TenantReadOnlyViewSet):
    """Residual-value assessments stored for batteries you may read: SOH, RUL, grade and value."""

    queryset = Valuation.objects.select_related("battery").order_by("-created_at", "-id")
    filterset_class = ValuationFilterSet

    def get_serializer_class(self):
        return ValuationDetailSerializer if self.action == "retrieve" else ValuationOutputSerializer


class PriceSetViewSet(TenantReadOnlyViewSet):
    """Price sets for residual valuation, each in force from its effective date until the next; public."""

    queryset = PriceSet.objects.order_by("-effective_date", "-id")
    serializer_class = PriceSetSerializer
    filterset_class = PriceSetFilterSet


class JobViewSet(AuditedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bulk assessment jobs; ``POST`` queues one for a list of codes, a service point's stock or your custody."""

    serializer_class = JobOutputSerializer
    filterset_class = ValuationJobFilterSet

    def get_queryset(self):
        return selectors.job_list(user=self.request.user)

    def create(self, request):
        data = JobInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        require_assessor(actor=request.user)
        source = "service_point" if v.get("service_point") else "custody" if v.get("custody") else "codes"
        codes = selectors.job_codes(
            source=source, user=request.user, service_point=v.get("service_point"), codes=v.get("codes")
        )
        job = valuation_job_create(
            actor=request.user, codes=codes, valuation_date=v.get("valuation_date"),
            description=v.get("description", ""),
        )  # fmt: skip
        job.refresh_from_db()
        return Response(JobOutputSerializer(job).data, status=status.HTTP_201_CREATED)
