"""One FilterSet per model behind the dashboards' rows, shared by the pages, their CSV/XLSX exports and the API.

Every figure on a page links to one of these lists with the same query parameters, so the rows a regulator
opens (and exports) are the rows the figure counts.
"""

from __future__ import annotations

from datetime import date

import django_filters as df
from django.db.models import Exists, OuterRef
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from accounts.choices import JJJ_REGIONS, Region
from accounts.models import Organisation
from core.bounds import year_validators
from core.filtersets import BoundedFilterSet
from traceability import filtersets as trace_filtersets
from traceability import selectors as trace
from traceability.choices import EventKindChoices

from . import selectors
from .models import CohortRow, Finding

REGION_CHOICES = [
    ("JJJ", _("All of Jingjinji")),
    *[(code, label) for code, label in Region.choices if code in JJJ_REGIONS],
]
ALERT_CHOICES = [
    ("scrapped_not_removed", _("Vehicle scrapped, no removal recorded")),
    ("missing_in_transit", _("Missing in transit")),
    ("over_storage", _("Stored beyond the limit")),
    ("left_jjj", _("Left Jingjinji without a receiver record")),
]


def _region_filter(field: str):
    def apply(queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(**{f"{field}__in": selectors.regions_of(value)})

    return apply


class BatteryFilterSet(trace_filtersets.BatteryFilterSet):
    """Packs behind the overview, flow and lost-and-stuck figures: the trace's state and chemistry filters, a
    region of Jingjinji (or all of it) and the figures' own selections."""

    region = df.ChoiceFilter(label=_("Region"), choices=REGION_CHOICES, method="filter_region")
    level = produced_after = produced_before = (
        None  # every row is a pack; production dates are not a figure's
    )
    maker = df.NumberFilter(label=_("Battery maker"), field_name="maker_id", method="filter_maker")
    code = df.CharFilter(label=_("Code contains"), field_name="code", lookup_expr="icontains")
    retired_month = df.DateFilter(label=_("Retired in month"), method="filter_retired_month")
    alert = df.ChoiceFilter(label=_("Alert"), choices=ALERT_CHOICES, method="filter_alert")
    flow_src = df.CharFilter(label=_("Flow from"), method="filter_flow")
    flow_dst = df.CharFilter(label=_("Flow to"), method="filter_flow")
    date_from = df.DateFilter(label=_("Retired from"), method="filter_flow")
    date_to = df.DateFilter(label=_("Retired to"), method="filter_flow")

    class Meta(trace_filtersets.BatteryFilterSet.Meta):
        fields = ["region", "state", "chemistry", "maker", "code"]

    def filter_region(self, queryset, name, value):
        # An alert or flow selects packs by the region of its own record; the region filter is passed on there.
        if self.data.get("alert") or self.data.get("flow_src") or self.data.get("retired_month"):
            return queryset
        return _region_filter("region")(queryset, name, value)

    def filter_maker(self, queryset, name, value):
        # 0 is the "no maker recorded" bucket of the overview.
        return queryset.filter(maker__isnull=True) if value == 0 else queryset.filter(maker_id=value)

    def filter_retired_month(self, queryset, name, value):
        start, end = selectors.month_bounds(value)
        regions = selectors.regions_of(self.data.get("region"))
        retired = trace.events_in_force().filter(
            battery=OuterRef("pk"),
            kind__in=selectors.RETIREMENT_KINDS,
            occurred_at__gte=start,
            occurred_at__lt=end,
            region__in=regions,
        )
        return queryset.filter(Exists(retired))

    def filter_alert(self, queryset, name, value):
        sql, params = selectors.alert_ids_sql(value, selectors.regions_of(self.data.get("region")))
        # Column names in ``sql`` are constants; every value travels as a parameter.
        return queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611

    def filter_flow(self, queryset, name, value):
        if name != "flow_src":
            return queryset  # the period applies with the flow, handled once below
        form = self.form.cleaned_data
        sql, params = selectors.flow_battery_ids_sql(
            src=value,
            dst=form.get("flow_dst") or "",
            regions=selectors.regions_of(form.get("region")),
            date_from=form.get("date_from"),
            date_to=form.get("date_to"),
        )
        # Column names in ``sql`` are constants; every value travels as a parameter.
        return queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611


class LifecycleEventFilterSet(trace_filtersets.LifecycleEventFilterSet):
    """Uploads behind the timeliness and unregistered-code figures (by month or year, not by day)."""

    region = df.ChoiceFilter(label=_("Region"), choices=REGION_CHOICES, method=_region_filter("region"))
    kind = df.ChoiceFilter(label=_("Event"), choices=EventKindChoices.choices)
    actor = df.ModelChoiceFilter(
        label=_("Reported by"), queryset=Organisation.objects.filter(is_regulator=False)
    )
    month = df.DateFilter(label=_("Month"), method="filter_month")
    # Not a column: the filter says which years it takes (the platform's calendar), or year 0 would reach date().
    year = df.NumberFilter(label=_("Year"), method="filter_year", validators=year_validators())
    on_time = df.ChoiceFilter(
        label=_("Upload"),
        choices=[("true", _("On time")), ("false", _("Late")), ("unknown", _("No deadline"))],
        method="filter_on_time",
    )
    unregistered = df.BooleanFilter(label=_("Unregistered code"), method="filter_unregistered")
    occurred_after = occurred_before = None

    class Meta(trace_filtersets.LifecycleEventFilterSet.Meta):
        fields = ["region", "kind", "actor"]

    def filter_month(self, queryset, name, value):
        start, end = selectors.month_bounds(value)
        return queryset.filter(occurred_at__gte=start, occurred_at__lt=end)

    def filter_year(self, queryset, name, value):
        start = selectors.month_bounds(date(int(value), 1, 1))[0]
        end = selectors.month_bounds(date(int(value) + 1, 1, 1))[0]
        return queryset.filter(occurred_at__gte=start, occurred_at__lt=end)

    def filter_on_time(self, queryset, name, value):
        if value == "unknown":
            return queryset.filter(on_time__isnull=True)
        return queryset.filter(on_time=value == "true")

    def filter_unregistered(self, queryset, name, value):
        if value is None:
            return queryset
        unregistered = selectors.UNREGISTERED_CODE_EVENTS
        return (
            queryset.filter(unregistered) if value else queryset.filter(kind="received").exclude(unregistered)
        )


class FindingFilterSet(BoundedFilterSet):
    region = df.ChoiceFilter(label=_("Region"), choices=REGION_CHOICES, method=_region_filter("region"))
    status = df.ChoiceFilter(label=_("Status"), choices=Finding.Status.choices)
    enterprise = df.NumberFilter(label=_("Enterprise"), field_name="enterprise_id")
    rule = df.CharFilter(label=_("Rule"), field_name="rule__code")

    class Meta:
        model = Finding
        fields = ["region", "status", "enterprise", "rule"]


class CohortRowFilterSet(BoundedFilterSet):
    region = df.ChoiceFilter(label=_("Region"), choices=REGION_CHOICES, method=_region_filter("region"))
    use = df.CharFilter(label=_("Vehicle use"))
    year = df.NumberFilter(label=_("Sale year"))

    class Meta:
        model = CohortRow
        fields = ["region", "use", "year"]


__all__ = ["BatteryFilterSet", "CohortRowFilterSet", "FindingFilterSet", "LifecycleEventFilterSet"]
