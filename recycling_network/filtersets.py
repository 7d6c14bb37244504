"""One FilterSet per model, shared by the API and the pages."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import Region
from core.filtersets import BoundedFilterSet
from traceability.codes import normalise as normalise_code

from .choices import AlertKind, ItemStatus, PointKind, PointStatus, SourceKind, TransferStatus
from .models import Intake, NetworkAlert, ServicePoint, StockEntry, Transfer

JJJ_CHOICES = [(c, label) for c, label in Region.choices if c != "OUT"]


class ServicePointFilterSet(BoundedFilterSet):
    """Filters for the public list, the open API and the enterprise pages: region, district, automaker (USCC
    or id), kind, status and free text."""

    region = django_filters.ChoiceFilter(choices=JJJ_CHOICES, label=_("Region"))
    district = django_filters.CharFilter(field_name="district_id", label=_("District code"))
    automaker = django_filters.CharFilter(method="filter_automaker", label=_("Automaker (USCC)"))
    kind = django_filters.ChoiceFilter(choices=PointKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=PointStatus.choices, label=_("Status"))
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))

    class Meta:
        model = ServicePoint
        fields = ["region", "district", "automaker", "kind", "status", "q"]

    def filter_automaker(self, qs, name, value):
        value = value.strip().upper()
        if value.isdigit() and len(value) < 18:  # an id; a USCC has 18 characters
            return qs.filter(automakers__pk=int(value)).distinct()
        return qs.filter(automakers__uscc=value).distinct()

    def filter_q(self, qs, name, value):
        return qs.filter(
            Q(name_zh__icontains=value)
            | Q(name_en__icontains=value)
            | Q(address__icontains=value)
            | Q(code=value.upper())
        )


class IntakeFilterSet(BoundedFilterSet):
    point = django_filters.NumberFilter(field_name="point_id")
    code = django_filters.CharFilter(field_name="code", lookup_expr="iexact")
    source_kind = django_filters.ChoiceFilter(choices=SourceKind.choices)
    unregistered = django_filters.BooleanFilter()
    received_after = django_filters.DateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.DateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Intake
        fields = ["point", "code", "source_kind", "condition", "unregistered"]


class StockEntryFilterSet(BoundedFilterSet):
    point = django_filters.NumberFilter(field_name="point_id")
    code = django_filters.CharFilter(field_name="battery__code", lookup_expr="iexact")

    class Meta:
        model = StockEntry
        fields = ["point", "code", "condition"]


class TransferFilterSet(BoundedFilterSet):
    status = django_filters.ChoiceFilter(choices=TransferStatus.choices, label=_("Status"))
    item_status = django_filters.ChoiceFilter(
        choices=ItemStatus.choices, method="filter_item_status", label=_("Pack status")
    )
    code = django_filters.CharFilter(method="filter_code", label=_("Battery code"))

    class Meta:
        model = Transfer
        fields = ["status", "from_point", "to_point", "receiver", "dangerous_goods"]

    def filter_item_status(self, qs, name, value):
        return qs.filter(items__status=value).distinct()

    def filter_code(self, qs, name, value):
        return qs.filter(items__battery__code=normalise_code(value)).distinct()


class NetworkAlertFilterSet(BoundedFilterSet):
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)
    region = django_filters.ChoiceFilter(choices=JJJ_CHOICES)
    open = django_filters.BooleanFilter(field_name="resolved_at", lookup_expr="isnull")

    class Meta:
        model = NetworkAlert
        fields = ["kind", "region", "open"]
