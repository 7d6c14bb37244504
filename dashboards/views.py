"""Regulator dashboard pages (R-SHARE, R-LIFE, R-COMPLY, R-FORECAST). Views read through selectors, write
through services; figures link to the row lists, and every table exports CSV/XLSX with the same filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from accounts.choices import JJJ_REGIONS, Region
from accounts.models import Organisation
from core import tabular, tenancy
from core.bounds import year_or_default
from core.dates import parse_date
from core.errors import Forbidden
from core.i18n import is_english, localised
from core.list_views import ObjectListView
from core.pages import posted_id
from traceability import deadlines
from traceability import selectors as trace
from traceability.choices import BatteryState, Chemistry, EventKindChoices

from . import charts, selectors, services, sources
from .filtersets import BatteryFilterSet, CohortRowFilterSet, FindingFilterSet, LifecycleEventFilterSet
from .models import CohortRow, ComplianceRule, Finding
from .paging import CappedPaginator, streamed

if TYPE_CHECKING:
    from traceability.models import Battery


class RegulatorPage(LoginRequiredMixin, View):
    """Anonymous → login; an enterprise user → 403; a regulator (or administrator) reads every region and
    writes only its own."""

    template_name = ""
    tab = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        scope = tenancy.scope_of(request.user)
        if not (scope.regulator or scope.superuser):
            raise PermissionDenied("regulators only")
        self.view = selectors.region_view(request.user, request.GET.get("region"))
        return super().dispatch(request, *args, **kwargs)

    def render(self, request, context: dict):
        base = {
            "tab": self.tab,
            "rv": self.view,
            "region_choices": [(c, Region(c).label) for c in JJJ_REGIONS] + [("JJJ", _("All of Jingjinji"))],
            "refreshed_at": selectors.refreshed_at(),
            "query": request.GET.urlencode(),
            "calendar_warning": deadlines.calendar_warning(),
        }
        base.update(context)
        return render(request, self.template_name, base)


def rows_url(name: str, **params) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{reverse(f'dashboards:{name}')}?{urlencode(clean)}"


def styled(filterset):
    """Bootstrap classes on a FilterSet's form widgets."""
    for field in filterset.form.fields.values():
        css = "form-select form-select-sm" if hasattr(field, "choices") else "form-control form-control-sm"
        field.widget.attrs.setdefault("class", css)
    return filterset


def labelled(page, **choices):
    """Give each row of ``page`` a ``<field>_label`` from ``choices`` (field -> {value: label}): one dict
    lookup per cell, where ``get_<field>_display`` hashes the whole choice list on every call."""
    page.object_list = list(page.object_list)
    for row in page.object_list:
        for name, labels in choices.items():
            value = getattr(row, name)
            setattr(row, f"{name}_label", labels.get(value, value))
    return page


def event_labels() -> dict:
    return dict(EventKindChoices.choices)


def battery_labels() -> dict:
    return {
        "state": dict(BatteryState.choices),
        "chemistry": dict(Chemistry.choices),
        "region": dict(Region.choices),
    }


def export_or_none(request, rows, header, filename):
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        return tabular.export_response(rows, header, filename=filename, fmt=fmt)
    return None


class RegulatorListPage(RegulatorPage, ObjectListView):
    """A regulator's list of rows behind a figure: the platform's list page inside the dashboard's frame."""

    def get_filterset(self, queryset):
        filterset = super().get_filterset(queryset)
        return styled(filterset) if filterset is not None else None

    def render_list(self, context: dict):
        context.pop("query")  # the dashboard's links carry the whole query string (``RegulatorPage.render``)
        return self.render(self.request, context)


class OverviewView(RegulatorPage):
    template_name = "dashboards/overview.html"
    tab = "overview"

    def get(self, request):
        regions, code = self.view.regions, self.view.code
        today = timezone.localdate()
        mix = selectors.battery_mix(regions)
        mass = selectors.retired_mass(regions, today)
        monthly = selectors.retired_monthly(regions, today)
        alerts = selectors.alert_counts(regions)
        points = sources.point_map_rows(regions)
        state_labels = dict(BatteryState.choices)
        chem_labels = dict(Chemistry.choices)

        def maker_name(row):
            if not row["maker_id"]:
                return _("Not recorded")
            return localised(row["name_zh"], row["name_en"]) or str(row["maker_id"])

        context = {
            "mix": mix,
            "mass": mass,
            "alerts": [
                {"key": k, "count": n, "url": rows_url("batteries", alert=k, region=code)}
                for k, n in sorted(alerts.items(), key=lambda kv: -kv[1])
            ],
            "points": points,
            "network": sources.available(),
            "month_url": rows_url("batteries", retired_month=today.replace(day=1).isoformat(), region=code),
            "charts": {
                "state": charts.bar(
                    [state_labels.get(r["state"], r["state"]) for r in mix["state"]],
                    [
                        {"value": r["packs"], "link": rows_url("batteries", state=r["state"], region=code)}
                        for r in mix["state"]
                    ],
                    name=_("Packs"),
                ),
                "chemistry": charts.pie(
                    [
                        {
                            "name": str(chem_labels.get(r["chemistry"], r["chemistry"] or _("Not recorded"))),
                            "value": r["packs"],
                            "link": rows_url("batteries", chemistry=r["chemistry"], region=code),
                        }
                        for r in mix["chemistry"]
                    ]
                ),
                "maker": charts.bar(
                    [maker_name(r) for r in mix["maker"]],
                    [
                        {"value": r["packs"], "link": rows_url("batteries", maker=r["maker_id"], region=code)}
                        for r in mix["maker"]
                    ],
                    name=_("Packs"),
                    horizontal=True,
                ),
                "monthly": charts.bar(
                    [r["month"].strftime("%Y-%m") for r in monthly],
                    [
                        {
                            "value": round(r["mass_kg"] / 1000, 2),
                            "link": rows_url("batteries", retired_month=r["month"].isoformat(), region=code),
                        }
                        for r in monthly
                    ],
                    name=_("Retired mass (t)"),
                ),
                "map": charts.point_map(code, points, zh=not is_english()),
            },
            "state_labels": state_labels,
        }
        return self.render(request, context)


class FlowsView(RegulatorPage):
    template_name = "dashboards/flows.html"
    tab = "flows"

    def get(self, request):
        today = timezone.localdate()
        date_from = parse_date(request.GET.get("date_from")) or today.replace(month=1, day=1)
        date_to = parse_date(request.GET.get("date_to")) or today
        edges = selectors.flow_edges(self.view.regions, date_from, date_to)
        rows = []
        for e in edges:
            src = selectors.node_key(e["src_stage"], e["src_region"])
            dst = selectors.node_key(e["dst_stage"], e["dst_region"])
            link = rows_url(
                "batteries",
                flow_src=src,
                flow_dst=dst,
                region=self.view.code,
                date_from=date_from.isoformat(),
                date_to=date_to.isoformat(),
            )
            rows.append(
                {
                    **e,
                    "src": src,
                    "dst": dst,
                    "link": link,
                    "tonnes": e["mass_kg"] / 1000,
                    "src_label": charts.node_label(src),
                    "dst_label": charts.node_label(dst),
                }  # fmt: skip
            )
        header = [_("Flow from"), _("Flow to"), _("Packs"), _("Mass (kg)")]
        export = export_or_none(
            request,
            (
                [charts.node_label(r["src"]), charts.node_label(r["dst"]), r["packs"], round(r["mass_kg"], 2)]
                for r in rows
            ),
            header,
            "flows",
        )
        if export:
            return export
        context = {
            "rows": rows,
            "date_from": date_from,
            "date_to": date_to,
            "charts": {"sankey": charts.sankey(rows)},
        }
        return self.render(request, context)


class ComplianceView(RegulatorPage):
    template_name = "dashboards/compliance.html"
    tab = "compliance"

    def get(self, request):
        year = year_or_default(request.GET.get("year"), default=timezone.localdate().year)
        scores = selectors.compliance_scores(regions=self.view.regions, year=year, lang_zh=not is_english())
        code = self.view.code
        for s in scores:
            s.late_url = rows_url("events", actor=s.org.pk, on_time="false", year=year, region=code)
            s.on_time_url = rows_url("events", actor=s.org.pk, on_time="true", year=year, region=code)
            s.unregistered_url = rows_url(
                "events", actor=s.org.pk, unregistered="true", year=year, region=code
            )
            s.url = reverse("dashboards:enterprise", args=[s.org.pk]) + f"?region={code}&year={year}"
        header = [_("Enterprise"), _("Region"), _("Service points in JJJ"), _("Districts"), _("On time"),
                  _("Late"), _("Unregistered codes"), _("Score"), _("Credit status")]  # fmt: skip
        export = export_or_none(
            request,
            (
                [
                    s.org.display_name,
                    s.org.region,
                    s.points,
                    s.districts,
                    s.on_time,
                    s.late,
                    s.unregistered,
                    s.score,
                    s.status,
                ]  # fmt: skip
                for s in scores
            ),
            header,
            f"compliance-{code}-{year}",
        )
        if export:
            return export
        kinds = selectors.timeliness_by_kind_month(None, self.view.regions, year)
        context = {
            "scores": scores,
            "year": year,
            "rules": ComplianceRule.objects.filter(is_active=True),
            "charts": {"timeliness": charts.timeliness(kinds, code, year, dict(EventKindChoices.choices))},
            "confirmed": Finding.objects.filter(region=code, status=Finding.Status.CONFIRMED).count(),
        }
        return self.render(request, context)


class EnterpriseView(RegulatorPage):
    template_name = "dashboards/enterprise.html"
    tab = "compliance"

    def get(self, request, pk: int):
        org = get_object_or_404(selectors.automakers(), pk=pk)
        year = year_or_default(request.GET.get("year"), default=timezone.localdate().year)
        score = selectors.compliance_scores(
            regions=self.view.regions, year=year, lang_zh=not is_english(), org_ids=[pk]
        )[0]
        region = services.finding_region(enterprise=org, actor=request.user)
        can_write = _can_write_region(request.user, region)
        kinds = selectors.timeliness_by_kind_month(pk, self.view.regions, year)
        context = {
            "org": org,
            "score": score,
            "year": year,
            "finding_region": Region(region).label if region in Region.values else region,
            "can_write": can_write,
            "findings": selectors.findings_for(pk),
            "coverage": sources.district_coverage(pk, JJJ_REGIONS),
            "points": sources.automaker_points(pk, JJJ_REGIONS),
            "intakes": sources.unregistered_intakes(pk),
            "network": sources.available(),
            "charts": {
                "timeliness": charts.timeliness(
                    kinds, self.view.code, year, dict(EventKindChoices.choices), actor=pk
                )
            },
        }
        return self.render(request, context)

    def post(self, request, pk: int):
        org = get_object_or_404(selectors.automakers(), pk=pk)
        action = request.POST.get("action")
        try:
            if action == "propose":
                services.finding_propose(
                    actor=request.user,
                    enterprise=org,
                    rule_code=request.POST.get("rule", ""),
                    period=request.POST.get("period", ""),
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("Finding recorded."))
            elif action in ("confirm", "dismiss"):
                finding = get_object_or_404(Finding, pk=posted_id(request, "finding"), enterprise=org)
                services.finding_decide(
                    actor=request.user,
                    finding=finding,
                    confirm=action == "confirm",
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("Finding updated."))
            else:
                raise Http404
        except services.DashboardError as exc:
            messages.error(request, exc.message)
        return redirect(f"{reverse('dashboards:enterprise', args=[pk])}?{request.GET.urlencode()}")


def _can_write_region(user, region: str) -> bool:
    try:
        tenancy.require_regulator(user, region=region, write=True)
    except Forbidden:
        return False
    return True


class PublishViolationsView(RegulatorPage):
    def post(self, request):
        region = request.POST.get("region", "")
        try:
            publication = services.violations_publish(actor=request.user, region=region)
        except services.DashboardError as exc:
            messages.error(request, exc.message)
            return redirect(f"{reverse('dashboards:compliance')}?region={region}")
        messages.success(request, _("%(n)d findings published.") % {"n": publication.findings.count()})
        return redirect("dashboards:violations")


class LostView(RegulatorListPage):
    template_name = "dashboards/lost.html"
    tab = "lost"

    def get_queryset(self):
        self.now = now = timezone.now()
        self.counts = counts = selectors.alert_counts(self.view.regions, now)
        category = self.request.GET.get("alert")
        if category not in selectors.ALERT_CATEGORIES:
            category = max(counts, key=counts.get)
        self.category = category
        # The export streams in primary-key order; the page lists the oldest first (``AlertRows``).
        return selectors.alert_queryset(category, self.view.regions, now).order_by("id")

    def export_header(self):
        return BATTERY_HEADER()

    def export_rows(self, rows):
        return _battery_rows(rows)

    def get_export_filename(self):
        return f"alerts-{self.category}"

    def paginate(self, rows):
        rows = selectors.AlertRows(self.category, self.view.regions, self.counts[self.category], self.now)
        return super().paginate(rows)

    def decorate(self, page):
        labelled(page, **battery_labels())

    def get_context_data(self, **context):
        return {
            **context,
            "counts": [
                {"key": k, "count": n, "url": f"?{urlencode({'region': self.view.code, 'alert': k})}"}
                for k, n in self.counts.items()
            ],
            "category": self.category,
            "limits": selectors.alert_thresholds(),
            "rows_link": rows_url("batteries", alert=self.category, region=self.view.code),
        }


class ForecastView(RegulatorPage):
    template_name = "dashboards/forecast.html"
    tab = "forecast"

    def get(self, request, form_error: str = ""):
        years = list(range(2016, timezone.localdate().year + 6))
        chemistry = request.GET.get("chemistry") or None
        if chemistry not in dict(Chemistry.choices):
            chemistry = None
        data = selectors.forecast(self.view.regions, years, chemistry)
        cohorts = CohortRowFilterSet(request.GET, queryset=CohortRow.objects.all()).qs.filter(
            region__in=self.view.regions
        )
        header = ["region", "year", "use", "vehicles", "avg_pack_kg", "source"]
        export = export_or_none(
            request,
            cohorts.values_list("region", "year", "use", "vehicles", "avg_pack_kg", "source"),
            header,
            "cohorts",
        )
        if export:
            return export
        outlook = selectors.forecast_outlook(self.view.regions, self.view.code)
        context = {
            "data": data,
            "outlook": outlook,
            "rows": list(zip(years, data["platform"], data["imported"], data["reference"], strict=True)),
            "cohorts": Paginator(cohorts, 20).get_page(request.GET.get("page")),
            "chemistry": chemistry or "",
            "chemistry_choices": Chemistry.choices,
            "params": data["params"],
            "form_error": form_error,
            "charts": {"forecast": charts.forecast(data), "outlook": charts.forecast_outlook(outlook)},
        }
        return self.render(request, context)

    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            return self.get(request, form_error=_("Choose a CSV or XLSX file."))
        try:
            n = services.cohorts_import(
                actor=request.user, rows=tabular.read_rows(upload), source=upload.name
            )
        except tabular.TabularError as exc:
            return self.get(request, form_error=str(exc))
        messages.success(request, _("%(n)d cohort rows imported.") % {"n": n})
        return redirect(f"{reverse('dashboards:forecast')}?region={self.view.code}")


class SearchView(RegulatorPage):
    template_name = "dashboards/search.html"
    tab = "search"

    def get(self, request):
        query = request.GET.get("q", "").strip()
        battery, vehicle = selectors.battery_lookup(query)
        trace_url = _trace_url(battery) if battery else None
        if trace_url and request.GET.get("go"):
            return HttpResponseRedirect(trace_url)
        events = trace.battery_events_with_parties(battery=battery) if battery else []
        context = {
            "query": query,
            "battery": battery,
            "vehicle": vehicle,
            "events": events,
            "trace_url": trace_url,
        }
        return self.render(request, context)


def _trace_url(battery: Battery) -> str:
    """The traceability app's battery page: the trace with its ledger proof."""
    return reverse("traceability:battery-detail", args=[battery.code])


# --- the rows behind the figures ---------------------------------------------------------------------------


def BATTERY_HEADER():  # a header, translated at call time
    return [_("Code"), _("State"), _("Chemistry"), _("Mass (kg)"), _("Region"), _("Custodian"), _("Since")]


def _battery_rows(qs):
    return streamed(
        qs.values_list(
            "code", "state", "chemistry", "mass_kg", "region", "custodian__name_zh", "state_changed_at"
        )
    )


class BatteryRowsView(RegulatorListPage):
    template_name = "dashboards/rows_batteries.html"
    tab = "rows"
    filterset_class = BatteryFilterSet
    paginator_class = CappedPaginator
    paginate_by = 50
    export_filename = "batteries"

    def get_queryset(self):
        return trace.packs()

    def get_rows(self, queryset):
        return queryset.select_related("custodian").order_by("id")

    def export_header(self):
        return BATTERY_HEADER()

    def export_rows(self, rows):
        return _battery_rows(rows)

    def decorate(self, page):
        labelled(page, **battery_labels())


class EventRowsView(RegulatorListPage):
    template_name = "dashboards/rows_events.html"
    tab = "rows"
    filterset_class = LifecycleEventFilterSet
    paginator_class = CappedPaginator
    paginate_by = 50
    export_filename = "events"

    def get_queryset(self):
        return trace.events_in_force()

    def get_rows(self, queryset):
        # Newest upload first, in primary-key order: the export streams along the index from its first row,
        # where an order by time would sort every matching upload first.
        return queryset.select_related("battery", "actor").order_by("-id")

    def export_header(self):
        return [_("Battery"), _("Event"), _("Region"), _("Reported by"), _("Happened at"), _("Reported at"),
                _("Deadline"), _("On time")]  # fmt: skip

    def export_rows(self, rows):
        return streamed(
            rows.values_list(
                "battery__code",
                "kind",
                "region",
                "actor__name_zh",
                "occurred_at",
                "reported_at",
                "deadline",
                "on_time",
            )
        )

    def decorate(self, page):
        labelled(page, kind=event_labels())
        for event in page:
            event.deadline_provisional = deadlines.deadline_is_provisional(event.deadline, event.reported_at)


class FindingRowsView(RegulatorListPage):
    template_name = "dashboards/findings.html"
    tab = "compliance"
    filterset_class = FindingFilterSet
    paginate_by = 50
    export_filename = "findings"

    def get_queryset(self):
        return Finding.objects.all()

    def get_rows(self, queryset):
        return queryset.select_related("enterprise", "rule")

    def export_header(self):
        return [_("Enterprise"), _("Region"), _("Rule"), _("Period"), _("Measured"), _("Points lost"),
                _("Status")]  # fmt: skip

    def export_rows(self, rows):
        return rows.values_list(
            "enterprise__name_zh", "region", "rule__code", "period", "measured", "points_lost", "status"
        )


class PublicViolations(ObjectListView):
    """The public list of violations published by the regulators (R-COMPLY: exposure; R-PUBLIC)."""

    template_name = "dashboards/violations.html"
    paginate_by = 50
    export_filename = "violations"

    def get_queryset(self):
        return selectors.public_violations().annotate(published_at=F("publication__published_at"))

    def export_header(self):
        return [_("Enterprise"), _("Region"), _("Violation"), _("Period"), _("Published")]

    def export_rows(self, rows):
        return rows.values_list("enterprise__name_zh", "region", "rule__label_zh", "period", "published_at")

    def get_context_data(self, **context):
        return {**context, "zh": not is_english(), "organisations": Organisation}


public_violations = PublicViolations.as_view()
