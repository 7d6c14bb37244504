"""One FilterSet per model, shared by the API and the pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import BoundedFilterSet

from .models import Batch, BatchStatus, Licence


class LicenceFilterSet(BoundedFilterSet):
    number = django_filters.CharFilter(lookup_expr="icontains", label=_("licence number"))
    category = django_filters.CharFilter(method="filter_category", label=_("waste category"))
    enterprise = django_filters.CharFilter(field_name="enterprise__uscc", label=_("enterprise (USCC)"))

    class Meta:
        model = Licence
        fields = ["number"]

    def filter_category(self, qs, name, value):
        return qs.filter(categories__contains=[value])


class BatchFilterSet(BoundedFilterSet):
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices, label=_("status"))
    year = django_filters.NumberFilter(field_name="started_at", lookup_expr="year", label=_("year"))
    edition = django_filters.CharFilter(field_name="edition__code", label=_("edition"))
    reference = django_filters.CharFilter(lookup_expr="icontains", label=_("batch reference"))
    has_shortfall = django_filters.BooleanFilter(label=_("recovery shortfall"))
    has_unexplained_mass = django_filters.BooleanFilter(label=_("unexplained mass"))
    enterprise = django_filters.CharFilter(field_name="enterprise__uscc", label=_("enterprise (USCC)"))

    class Meta:
        model = Batch
        fields = ["status"]
