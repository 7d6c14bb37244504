import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation
from core.models import AuditLog

DATE = forms.DateInput(attrs={"type": "date"})


class AuditLogFilterSet(django_filters.FilterSet):
    created_after = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=pgettext_lazy("date range", "From"),
        widget=DATE,
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=pgettext_lazy("date range", "To"), widget=DATE
    )
    action = django_filters.CharFilter(label=_("Action"))
    object_type = django_filters.CharFilter(label=_("Object type"))
    object_id = django_filters.CharFilter(label=_("Object id"))
    actor = django_filters.CharFilter(field_name="actor__username", label=_("User"))
    organisation = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.all(), label=_("Organisation")
    )

    class Meta:
        model = AuditLog
        fields = ["action", "object_type", "object_id", "actor", "organisation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )
