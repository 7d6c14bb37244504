import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core.filtersets import BoundedFilterSet

from .models import OutboxRecord

_input = {"class": "form-control form-control-sm"}


class OutboxRecordFilterSet(BoundedFilterSet):
    """Shared by the operations page and its export."""

    kind = django_filters.CharFilter(label=_("Kind"), widget=forms.TextInput(attrs=_input))
    partition_key = django_filters.CharFilter(
        lookup_expr="icontains", label=_("Battery code"), widget=forms.TextInput(attrs=_input)
    )
    region = django_filters.CharFilter(label=_("Region"), widget=forms.TextInput(attrs=_input))
    record_day = django_filters.DateFromToRangeFilter(
        label=_("Day"), widget=django_filters.widgets.RangeWidget(attrs={**_input, "type": "date"})
    )

    class Meta:
        model = OutboxRecord
        fields = ["kind", "partition_key", "region", "record_day"]
