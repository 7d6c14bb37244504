"""One FilterSet per model, shared by the API and the pages."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.filtersets import BoundedFilterSet

from .models import Grade, JobStatus, PriceSet, Valuation, ValuationJob


class ValuationFilterSet(BoundedFilterSet):
    code = django_filters.CharFilter(
        field_name="battery__code", lookup_expr="icontains", label=_("battery code")
    )
    grade = django_filters.ChoiceFilter(choices=Grade.choices, label=_("grade"))
    route = django_filters.ChoiceFilter(
        choices=[
            ("vehicle", pgettext_lazy("route", "vehicle use")),
            ("cascade", pgettext_lazy("route", "cascade use")),
            ("regeneration", pgettext_lazy("route", "regeneration")),
        ],
        label=pgettext_lazy("destination", "route"),
    )
    date_from = django_filters.DateFilter(field_name="valuation_date", lookup_expr="gte", label=_("from"))
    date_to = django_filters.DateFilter(field_name="valuation_date", lookup_expr="lte", label=_("to"))

    class Meta:
        model = Valuation
        fields = ["code", "grade", "route", "region", "date_from", "date_to"]


class PriceSetFilterSet(BoundedFilterSet):
    on_or_before = django_filters.DateFilter(field_name="effective_date", lookup_expr="lte")

    class Meta:
        model = PriceSet
        fields = ["on_or_before"]


class ValuationJobFilterSet(BoundedFilterSet):
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = ValuationJob
        fields = ["status"]
