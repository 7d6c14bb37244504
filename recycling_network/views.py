"""Pages: the public service-point map and guide (R-PUBLIC, no login), and the network's working pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from accounts.choices import JJJ_REGION_CHOICES
from accounts.models import Organisation
from core import tenancy
from core.i18n import localised
from core.list_views import Column, ObjectListView
from core.pages import refusals
from core.tabular import TabularError, read_rows

from . import selectors, services
from .choices import ItemStatus, PointKind, PointStatus, ReviewAction
from .filtersets import ServicePointFilterSet, TransferFilterSet
from .forms import ChangeRequestForm, IntakeForm, IntakeUploadForm, ServicePointForm
from .models import (
    Division,
    GuideSection,
    Intake,
    NetworkAlert,
    PointChangeRequest,
    ServicePoint,
    StockEntry,
    Transfer,
)
from .public import PUBLIC_CSV_HEADER, nearest_origin, public_csv_row
from .workflow import OWNER, REGULATOR, actions_for

# --------------------------------------------------------------------------------------------------------------
# Public


class PublicList(ObjectListView):
    """List, offline map, filters and "nearest to me" for published points."""

    template_name = "recycling_network/public_list.html"
    title = gettext_lazy("Recycling service points")
    filterset_class = ServicePointFilterSet
    filter_context_name = "filterset"
    invalid_filters = "unfiltered"
    bind_empty = False
    export_filename = "service-points"

    def get_queryset(self):
        return selectors.published_points()

    def get_rows(self, queryset):
        self.origin, self.near_error = None, ""
        try:
            self.origin = nearest_origin(self.request.GET)
        except Exception as exc:  # ValidationError: shown beside the form rather than as an error page
            self.near_error = "; ".join(
                str(m) for msgs in getattr(exc, "detail", {}).values() for m in msgs
            ) or str(exc)
        points = list(queryset)
        self.distances: dict[int, float] = {}
        if self.origin is not None:
            ranked = selectors.points_nearest(points, lat=self.origin[0], lon=self.origin[1])
            points = [n.point for n in ranked]
            self.distances = {n.point.pk: n.distance_m for n in ranked}
        for p in points:
            p.distance_km = round(self.distances[p.pk] / 1000, 1) if p.pk in self.distances else None
        self.points = points
        return points

    def export_header(self):
        return PUBLIC_CSV_HEADER

    def export_rows(self, rows):
        return (public_csv_row(p, self.distances.get(p.pk)) for p in rows)

    def get_context_data(self, **context):
        map_points = [
            {
                "name": localised(p.name_zh, p.name_en),
                "value": [round(p.lon, 6), round(p.lat, 6)],
                "kind": p.kind,
                "url": reverse("recycling_network:public-detail", args=[p.code]),
                "address": p.address,
            }
            for p in self.points
        ]
        return {
            **context,
            "map_points": map_points,
            "kinds": PointKind.choices,
            "regions": JJJ_REGION_CHOICES,
            "districts": Division.objects.exclude(level="province"),
            "automakers": Organisation.objects.filter(service_points__status=PointStatus.PUBLISHED)
            .distinct()
            .order_by("name_zh"),
            "origin": self.origin,
            "near_error": self.near_error,
            "total": len(self.points),
        }


public_list = PublicList.as_view()


def public_detail(request, code: str):
    point = get_object_or_404(selectors.published_points(), code=code)
    map_point = {
        "name": point.display_name,
        "value": [round(point.lon, 6), round(point.lat, 6)],
        "kind": point.kind,
    }
    return render(
        request,
        "recycling_network/public_detail.html",
        {"title": point.display_name, "point": point, "map_points": [map_point]},
    )


def guide(request):
    sections = [
        {
            "key": g.key,
            "icon": g.icon,
            "title": localised(g.title_zh, g.title_en),
            "body": localised(g.body_zh, g.body_en),
        }
        for g in GuideSection.objects.filter(is_active=True)
    ]
    return render(
        request, "recycling_network/guide.html", {"title": _("Recycling guide"), "sections": sections}
    )


# --------------------------------------------------------------------------------------------------------------
# Enterprises and regulators


def _operated_points(user):
    qs = ServicePoint.objects.filter(status=PointStatus.PUBLISHED).select_related("operator")
    if user.is_superuser:
        return qs
    return qs.filter(operator_id=user.organisation_id)


class Points(ObjectListView):
    """Points you register, operate or are served by, with stock and workflow actions; a regulator sees all
    and reviews those of its region."""

    template_name = "recycling_network/points.html"
    title = gettext_lazy("Service points")
    filterset_class = ServicePointFilterSet
    filter_context_name = "filterset"
    invalid_filters = "unfiltered"
    bind_empty = False
    export_filename = "my-service-points"
    columns = [
        Column("code"),
        Column("name_zh"),
        Column("kind"),
        Column("status"),
        Column("region"),
        Column("district", "district_id"),
        Column("operator", lambda p: str(p.operator)),
        Column("stock", "stock_count"),
    ]

    def get_queryset(self):
        self.scope = scope = tenancy.scope_of(self.request.user)
        base = tenancy.visible(ServicePoint.objects.select_related("district", "operator"), self.request.user)
        if scope.enterprise:
            # Published points of other enterprises are public, but their stock is not: an enterprise's working
            # list holds only the points it registers, operates or is served by (the public list shows the rest).
            base = base.filter(_owned_by(scope.org_id))
        return base

    def get_rows(self, queryset):
        # Stock counts follow the battery as the stock itself does (another automaker's packs are not counted).
        visible_stock = (
            selectors.stock_visible(StockEntry.objects.filter(point=OuterRef("pk")), self.request.user)
            .order_by()
            .values("point")
            .annotate(n=Count("id"))
            .values("n")
        )
        return queryset.annotate(stock_count=Coalesce(Subquery(visible_stock), 0)).order_by("code")

    def decorate(self, page):
        scope = self.scope
        writable = tenancy.writable_pks(self.request.user, page)
        for p in page:
            if scope.regulator:
                role = REGULATOR if p.region == scope.region and not scope.read_only else None
            else:
                role = OWNER if p.pk in writable else None
            p.actions = [(a, ReviewAction(a).label) for a in actions_for(p.status, role)] if role else []
            if p.pk not in writable and p.status == PointStatus.DRAFT and p.registered_by_id == scope.org_id:
                p.actions = [("submit", ReviewAction.SUBMIT.label)]
            p.stock_visible = scope.regulator or scope.superuser or scope.enterprise

    def get_context_data(self, **context):
        scope = self.scope
        return {
            **context,
            "is_regulator": scope.regulator,
            "can_register": "automaker" in scope.kinds or scope.superuser,
        }


points = login_required(Points.as_view())


def _owned_by(org_id: int) -> Q:
    """The owner and reader paths of ``ServicePoint.tenancy`` (operator, registrant, served automakers) for one
    organisation."""
    q = Q(pk__in=[])
    rule = tenancy.rule_of(ServicePoint)
    for path in rule.owners + rule.extra_readers:
        q |= path(org_id) if callable(path) else Q(**{path: org_id})
    return q


@login_required
def point_register(request):
    form = ServicePointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["district"] = data["district"].code
        data["automakers"] = list(data["automakers"])
        data["operator"] = data["operator"] or None
        with refusals(request, form):
            point = services.service_point_register(actor=request.user, **data)
            messages.success(
                request,
                _("Service point %(code)s saved as a draft; submit it for review.") % {"code": point.code},
            )
            return redirect("recycling_network:points")
    return render(
        request, "recycling_network/point_form.html", {"title": _("Register a service point"), "form": form}
    )


@login_required
@require_POST
def point_review(request, pk: int):
    point = tenancy.get_visible_or_404(ServicePoint.objects.all(), request.user, pk=pk)
    with refusals(request):
        services.service_point_review(
            point=point,
            actor=request.user,
            action=request.POST.get("action", ""),
            note=request.POST.get("note", ""),
        )
        messages.success(
            request,
            _("%(code)s is now %(status)s.") % {"code": point.code, "status": point.get_status_display()},
        )
    return redirect(_safe_next(request, "recycling_network:points"))


def _safe_next(request, default: str):
    """The ``next`` target if it stays on this site, else ``default`` (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


@login_required
def change_requests(request, pk: int):
    """A point's change requests: a served automaker files one, the operator or the regulator decides."""
    point = tenancy.get_visible_or_404(ServicePoint.objects.select_related("operator"), request.user, pk=pk)
    scope = tenancy.scope_of(request.user)
    can_decide = tenancy.can_write(request.user, point) and (
        not scope.regulator or scope.region == point.region
    )
    form = ChangeRequestForm(request.POST or None) if "decide" not in request.POST else ChangeRequestForm()
    if request.method == "POST":
        with refusals(request):
            if "decide" in request.POST:
                decide = request.POST["decide"]
                change = tenancy.get_visible_or_404(
                    PointChangeRequest.objects.filter(point=point),
                    request.user,
                    pk=int(decide) if decide.isdigit() else 0,
                )
                services.point_change_decide(
                    request=change,
                    actor=request.user,
                    approve=request.POST.get("approve") == "1",
                    note=request.POST.get("note", ""),
                )
                messages.success(request, _("Decision recorded."))
                return redirect("recycling_network:change-requests", pk=pk)
            if form.is_valid():
                services.point_change_request(
                    point=point,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    note=form.cleaned_data["note"],
                    **form.changes(),
                )
                messages.success(request, _("Request sent to the operator."))
                return redirect("recycling_network:change-requests", pk=pk)
    requests_ = tenancy.visible(
        PointChangeRequest.objects.filter(point=point).select_related("requested_by"), request.user
    )
    served = (
        scope.enterprise
        and point.operator_id != scope.org_id
        and (point.registered_by_id == scope.org_id or point.automakers.filter(pk=scope.org_id).exists())
    )
    return render(
        request,
        "recycling_network/change_requests.html",
        {
            "title": _("Change requests"),
            "point": point,
            "requests": requests_,
            "form": form if served else None,
            "can_decide": can_decide,
        },
    )


@login_required
def intake(request):
    """Scanner-friendly intake: the code field keeps focus, Enter submits, the point stays selected."""
    operated = _operated_points(request.user)
    initial = {"point": request.session.get("intake_point")}
    form = IntakeForm(request.POST or None, request.FILES or None, points=operated, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        point = data.pop("point")
        request.session["intake_point"] = point.pk
        with refusals(request, form):
            result = services.intake_record(point=point, actor=request.user, **data)
            if result.unregistered:
                messages.warning(
                    request,
                    _("%(code)s taken in as an unregistered code; the regulator has been told.")
                    % {"code": result.intake.code},
                )
            else:
                messages.success(request, _("%(code)s taken in.") % {"code": result.intake.code})
            return redirect("recycling_network:intake")
    recent = Intake.objects.filter(point__in=operated).select_related("point")[:20]
    return render(
        request,
        "recycling_network/intake.html",
        {"title": _("Intake"), "form": form, "recent": recent, "has_points": operated.exists()},
    )


class IntakePhotoView(APIView):
    """An uploaded intake photo (the platform's only stored upload), for those who may read the intake (a
    session or an API token); sent as a download that the browser neither renders nor sniffs, whatever the
    file holds."""

    @extend_schema(exclude=True)
    def get(self, request, path: str):
        intake = selectors.intakes_visible(Intake.objects.filter(photo=path), request.user).first()
        if intake is None or not intake.photo.storage.exists(intake.photo.name):
            raise Http404
        response = FileResponse(intake.photo.open("rb"), as_attachment=True, filename=path.rsplit("/", 1)[-1])
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


@login_required
def intake_upload(request):
    operated = _operated_points(request.user)
    form = IntakeUploadForm(request.POST or None, request.FILES or None, points=operated)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_rows(form.cleaned_data["file"])
        except TabularError as exc:
            form.add_error("file", str(exc))
        else:
            report = services.intake_bulk(point=form.cleaned_data["point"], actor=request.user, rows=rows)
    summary = None
    if report is not None:
        summary = {k: sum(1 for r in report if r["status"] == k) for k in ("created", "conflict", "error")}
        summary["unregistered"] = sum(1 for r in report if r.get("unregistered"))
    return render(
        request,
        "recycling_network/intake_upload.html",
        {"title": _("Bulk intake"), "form": form, "report": report, "summary": summary},
    )


class Stock(ObjectListView):
    template_name = "recycling_network/stock.html"
    paginate_by = 50
    columns = [Column("code", "battery.code"), Column("since"), Column("condition"), Column("mass_kg"),
               Column("bay")]  # fmt: skip

    def get_queryset(self):
        user = self.request.user
        self.point = point = tenancy.get_visible_or_404(
            ServicePoint.objects.all(), user, pk=self.kwargs["pk"]
        )
        scope = tenancy.scope_of(user)
        if (
            scope.enterprise
            and not ServicePoint.objects.filter(_owned_by(scope.org_id), pk=point.pk).exists()
        ):
            raise DjangoPermissionDenied  # another enterprise's published point: public, its stock is not
        return selectors.stock_visible(StockEntry.objects.filter(point=point), user).select_related("battery")

    def get_export_filename(self):
        return f"stock-{self.point.code}"

    def get_context_data(self, **context):
        return {**context, "title": self.point.display_name, "point": self.point}


stock = login_required(Stock.as_view())


class Transfers(ObjectListView):
    template_name = "recycling_network/transfers.html"
    title = gettext_lazy("Transfers")
    filterset_class = TransferFilterSet
    filter_context_name = "filterset"
    invalid_filters = "unfiltered"
    bind_empty = False
    export_filename = "transfers"
    columns = [
        Column("number"),
        Column("status"),
        Column("from", "from_point.code"),
        Column("to", lambda t: t.to_point.code if t.to_point else ""),
        Column("receiver", lambda t: str(t.receiver)),
        Column("carrier", "carrier_name"),
        Column("plate", "vehicle_plate"),
        Column("dangerous_goods"),
        Column("packs"),
        Column("kg", "total_mass_kg"),
        Column("departed_at"),
        Column("arrived_at"),
    ]

    def get_queryset(self):
        return tenancy.visible(
            Transfer.objects.select_related("from_point", "to_point", "receiver", "sender").annotate(
                packs=Count("items")
            ),
            self.request.user,
        )

    def get_rows(self, queryset):
        return queryset.order_by("-departed_at", "-id")


transfers = login_required(Transfers.as_view())


@login_required
def transfer_detail(request, pk: int):
    transfer = tenancy.get_visible_or_404(
        Transfer.objects.select_related("from_point", "to_point", "receiver", "sender"), request.user, pk=pk
    )
    if request.method == "POST":
        with refusals(request):
            services.transfer_receive(
                transfer=transfer,
                actor=request.user,
                codes=request.POST.getlist("codes"),
                close=bool(request.POST.get("close")),
            )
            messages.success(request, _("Arrival recorded."))
        return redirect("recycling_network:transfer-detail", pk=pk)
    items = transfer.items.select_related("battery")
    is_receiver = request.user.organisation_id == transfer.receiver_id
    return render(
        request,
        "recycling_network/transfer_detail.html",
        {
            "title": transfer.number,
            "transfer": transfer,
            "items": items,
            "can_receive": is_receiver and any(i.status != ItemStatus.RECEIVED for i in items),
        },
    )


class Alerts(ObjectListView):
    template_name = "recycling_network/alerts.html"
    title = gettext_lazy("Network alerts")
    paginate_by = 50
    export_formats = ()

    def get_queryset(self):
        qs = tenancy.visible(NetworkAlert.objects.select_related("battery", "point"), self.request.user)
        if self.request.GET.get("open") == "1":
            qs = qs.filter(resolved_at__isnull=True)
        if self.request.GET.get("kind"):
            qs = qs.filter(kind=self.request.GET["kind"])
        return qs

    def get_context_data(self, **context):
        user = self.request.user
        coverage = (
            selectors.compliance_point_coverage()
            if tenancy.scope_of(user).regulator or user.is_superuser
            else []
        )
        return {**context, "coverage": coverage}


alerts = login_required(Alerts.as_view())
