"""One FilterSet per model, shared by the API and the pages."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filtersets import BoundedFilterSet

from .models import Authorisation, ProductStatus, RepurposedProduct, SafetyAssessment, Verdict


class AuthorisationFilterSet(BoundedFilterSet):
    battery_maker = django_filters.CharFilter(
        field_name="battery_maker__uscc", label=_("battery maker (USCC)")
    )
    enterprise = django_filters.CharFilter(field_name="enterprise__uscc", label=_("enterprise (USCC)"))
    status = django_filters.ChoiceFilter(
        method="filter_status",
        label=_("status"),
        choices=[("valid", _("Valid")), ("expired", _("Expired")), ("revoked", _("Revoked"))],
    )
    q = django_filters.CharFilter(method="filter_q", label=_("search"))

    class Meta:
        model = Authorisation
        fields = ["kind"]

    def filter_status(self, qs, name, value):
        today = timezone.localdate()
        if value == "revoked":
            return qs.filter(revoked_at__isnull=False)
        if value == "expired":
            return qs.filter(revoked_at__isnull=True, valid_to__lt=today)
        return qs.filter(revoked_at__isnull=True, valid_from__lte=today, valid_to__gte=today)

    def filter_q(self, qs, name, value):
        return qs.filter(
            Q(document_ref__icontains=value)
            | Q(battery_maker__name_zh__icontains=value)
            | Q(battery_maker__name_en__icontains=value)
            | Q(enterprise__name_zh__icontains=value)
            | Q(enterprise__name_en__icontains=value)
        )


class SafetyAssessmentFilterSet(BoundedFilterSet):
    verdict = django_filters.ChoiceFilter(choices=Verdict.choices, label=_("verdict"))
    battery = django_filters.CharFilter(field_name="battery__code", lookup_expr="icontains", label=_("code"))
    assessed_after = django_filters.DateFilter(
        field_name="assessed_at", lookup_expr="date__gte", label=_("from")
    )
    assessed_before = django_filters.DateFilter(
        field_name="assessed_at", lookup_expr="date__lte", label=_("to")
    )

    class Meta:
        model = SafetyAssessment
        fields = ["verdict"]


class RepurposedProductFilterSet(BoundedFilterSet):
    scenario = django_filters.CharFilter(field_name="scenario__key", label=_("scenario"))
    family = django_filters.CharFilter(field_name="scenario__family", label=_("scenario family"))
    status = django_filters.ChoiceFilter(choices=ProductStatus.choices, label=_("status"))
    code = django_filters.CharFilter(field_name="battery__code", lookup_expr="icontains", label=_("code"))
    source = django_filters.CharFilter(field_name="sources__battery__code", label=_("original code"))

    class Meta:
        model = RepurposedProduct
        fields = ["site_region"]
