import django_filters

from .models import OutboxRecord


class OutboxRecordFilterSet(django_filters.FilterSet):
    """Shared by the operations page and its export."""

    kind = django_filters.CharFilter()
    partition_key = django_filters.CharFilter(lookup_expr="icontains", label="Battery code")
    region = django_filters.CharFilter()
    record_day = django_filters.DateFromToRangeFilter()

    class Meta:
        model = OutboxRecord
        fields = ["kind", "partition_key", "region", "status", "record_day"]
