"""The platform's FilterSet base, and the audit log's filters.

Every FilterSet derives from ``BoundedFilterSet`` (and the API's filter backend bounds any other): a filter value
the database cannot hold or compare (year 0, a UTC offset of +16:00, an id beyond the column) makes the form
invalid, which the API answers with a 400 naming the parameter and the pages by ignoring the value.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.bounds import FLOAT_LIMIT, integer_range, validate_moment, year_validators
from core.models import AuditLog

DATE = forms.DateInput(attrs={"type": "date"})

_BOUNDED = "_bounded_by_platform"
YEAR_LOOKUPS = ("year", "iso_year")


def _model_field(model, path: str):
    """The model field at the end of an ORM path (``point_id``, ``battery__mass_kg``), or None."""
    field = None
    for part in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    if field is not None and field.is_relation:
        try:  # a foreign key compares its target's column (the related id)
            return field.target_field
        except (AttributeError, FieldError):
            return None
    return field


def _number_validators(model, filter_) -> list:
    lookup = filter_.lookup_expr or ""
    if lookup.split("__")[-1] in YEAR_LOOKUPS:
        return year_validators()
    field = _model_field(model, filter_.field_name) if model is not None else None
    if isinstance(field, models.IntegerField | models.AutoField):
        low, high = integer_range(field.get_internal_type())
        return [MinValueValidator(low), MaxValueValidator(high)]
    return [MinValueValidator(-FLOAT_LIMIT), MaxValueValidator(FLOAT_LIMIT)]


def _bound_form_field(field: forms.Field, validators: list) -> None:
    if isinstance(field, forms.MultiValueField):  # range filters: each end is checked on its own
        for sub in field.fields:
            _bound_form_field(sub, validators)
        return
    field.validators = [*field.validators, *validators]


def bound_filters(filterset: django_filters.FilterSet) -> django_filters.FilterSet:
    """Give each filter's form field the validators its column implies; idempotent."""
    if getattr(filterset, _BOUNDED, False):
        return filterset
    model = filterset._meta.model
    for filter_ in filterset.filters.values():
        if isinstance(filter_, django_filters.NumberFilter):
            _bound_form_field(filter_.field, _number_validators(model, filter_))
        elif isinstance(
            filter_,
            django_filters.DateFilter
            | django_filters.DateTimeFilter
            | django_filters.DateFromToRangeFilter
            | django_filters.DateTimeFromToRangeFilter
            | django_filters.IsoDateTimeFromToRangeFilter,
        ):
            _bound_form_field(filter_.field, [validate_moment])
    setattr(filterset, _BOUNDED, True)
    return filterset


class BoundedFilterSet(django_filters.FilterSet):
    """The base of every FilterSet of the platform: out-of-range values are invalid input, not queries."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound_filters(self)


class AuditLogFilterSet(BoundedFilterSet):
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
        queryset=lambda request: AuditLog._meta.get_field("organisation").related_model.objects.all(),  # type: ignore[union-attr]  # a ForeignKey: its related model is a class
        label=_("Organisation"),
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
