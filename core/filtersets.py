import django_filters
from django.utils.translation import gettext_lazy as _

from core.models import AuditLog


class AuditLogFilterSet(django_filters.FilterSet):
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("From")
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("To")
    )
    action = django_filters.CharFilter(label=_("Action"))
    object_type = django_filters.CharFilter(label=_("Object type"))
    object_id = django_filters.CharFilter(label=_("Object id"))
    actor = django_filters.CharFilter(field_name="actor__username", label=_("User"))

    class Meta:
        model = AuditLog
        fields = ["action", "object_type", "object_id", "actor", "organisation"]
