"""One FilterSet per model, shared by the API and the pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filtersets import BoundedFilterSet

from .models import Battery, BatteryState, Chemistry, Level, LifecycleEvent


class BatteryFilterSet(BoundedFilterSet):
    code = django_filters.CharFilter(label=_("Code"), lookup_expr="istartswith")
    level = django_filters.ChoiceFilter(label=_("Level"), choices=Level.choices)
    chemistry = django_filters.ChoiceFilter(label=_("Chemistry"), choices=Chemistry.choices)
    state = django_filters.ChoiceFilter(label=_("State"), choices=BatteryState.choices)
    region = django_filters.CharFilter(label=_("Region"))
    produced_after = django_filters.DateFilter(
        label=_("Produced from"), field_name="production_date", lookup_expr="gte"
    )
    produced_before = django_filters.DateFilter(
        label=_("Produced until"), field_name="production_date", lookup_expr="lte"
    )

    class Meta:
        model = Battery
        fields = ["code", "level", "chemistry", "state", "region", "registered", "is_cascade_product"]


class LifecycleEventFilterSet(BoundedFilterSet):
    occurred_after = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte")
    occurred_before = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte")

    class Meta:
        model = LifecycleEvent
        fields = ["kind", "region", "on_time"]
