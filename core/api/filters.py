"""The API's filter backend: django-filter's, with the platform's bounds on every filter (see core.filtersets)."""

from django_filters.rest_framework import DjangoFilterBackend

from core.filtersets import BoundedFilterSet, bound_filters


class BoundedFilterBackend(DjangoFilterBackend):
    """A view's ``filterset_fields`` get the bounded base; a ``filterset_class`` of any base gets its bounds."""

    filterset_base = BoundedFilterSet

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        return bound_filters(filterset) if filterset is not None else None
