import django_filters
from django.db.models import Q

from accounts.models import Organisation
from core.filtersets import BoundedFilterSet


class OrganisationFilterSet(BoundedFilterSet):
    kind = django_filters.CharFilter(field_name="kinds", lookup_expr="contains", method="filter_kind")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Organisation
        fields = ["region", "is_regulator", "department", "uscc"]

    def filter_kind(self, qs, name, value):
        return qs.filter(kinds__contains=[value])

    def filter_q(self, qs, name, value):
        return qs.filter(Q(name_zh__icontains=value) | Q(name_en__icontains=value) | Q(uscc=value.upper()))
