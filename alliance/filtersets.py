"""One FilterSet per model, shared by the API and the pages."""

import django_filters
from django.db.models import Q

from core.filtersets import BoundedFilterSet

from .models import Deal, Lot, Membership, PriceGuidance, SharedServicePoint


class MembershipFilterSet(BoundedFilterSet):
    kind = django_filters.CharFilter(method="filter_kind")
    region = django_filters.CharFilter(field_name="organisation__region")
    tier = django_filters.CharFilter(field_name="tier__code")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Membership
        fields = ["status", "tier", "region"]

    def filter_kind(self, qs, name, value):
        return qs.filter(organisation__kinds__contains=[value])

    def filter_q(self, qs, name, value):
        return qs.filter(
            Q(organisation__name_zh__icontains=value)
            | Q(organisation__name_en__icontains=value)
            | Q(organisation__uscc=value.upper())
        )


class SharedServicePointFilterSet(BoundedFilterSet):
    region = django_filters.CharFilter(field_name="service_point__region")
    member = django_filters.CharFilter(field_name="shares__member__uscc", distinct=True)

    class Meta:
        model = SharedServicePoint
        fields = ["region", "member"]


class PriceGuidanceFilterSet(BoundedFilterSet):
    effective_after = django_filters.DateFilter(field_name="effective_from", lookup_expr="gte")
    effective_before = django_filters.DateFilter(field_name="effective_from", lookup_expr="lte")
    assessor = django_filters.CharFilter(field_name="assessor__uscc")

    class Meta:
        model = PriceGuidance
        fields = ["status", "assessor"]


class LotFilterSet(BoundedFilterSet):
    chemistry = django_filters.CharFilter(field_name="items__chemistry", distinct=True)
    grade = django_filters.CharFilter(field_name="items__grade", distinct=True)
    deadline_before = django_filters.IsoDateTimeFilter(field_name="deadline", lookup_expr="lte")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Lot
        fields = ["status", "form", "region", "channel", "sealed"]

    def filter_q(self, qs, name, value):
        return qs.filter(
            Q(number__icontains=value) | Q(title__icontains=value) | Q(items__battery__code=value)
        ).distinct()


class DealFilterSet(BoundedFilterSet):
    concluded_after = django_filters.DateFilter(field_name="concluded_at", lookup_expr="date__gte")
    concluded_before = django_filters.DateFilter(field_name="concluded_at", lookup_expr="date__lte")
    region = django_filters.CharFilter(field_name="lot__region")

    class Meta:
        model = Deal
        fields = ["channel", "is_outlier", "region"]
