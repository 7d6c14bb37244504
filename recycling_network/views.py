"""Pages: the public service-point map and guide (R-PUBLIC, no login), and the network's working pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from accounts.models import Organisation
from core import tenancy
from core.i18n import localised
from core.pages import refusals
from core.tabular import TabularError, export_response, read_rows

from . import selectors, services
from .api.serializers import PUBLIC_CSV_HEADER, public_csv_row
from .api.views import nearest_origin
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
from .workflow import OWNER, REGULATOR, actions_for

# --------------------------------------------------------------------------------------------------------------
# Public


def public_list(request):
    """List, offline map, filters and "nearest to me" for published points."""
    filterset = ServicePointFilterSet(request.GET or None, queryset=selectors.published_points())
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else selectors.published_points()
    origin, near_error = None, ""
    try:
        origin = nearest_origin(request.GET)
    except Exception as exc:  # ValidationError: shown beside the form rather than as an error page
        near_error = "; ".join(str(m) for msgs in getattr(exc, "detail", {}).values() for m in msgs) or str(
            exc
        )
    points = list(qs)
    distances: dict[int, float] = {}
    if origin is not None:
        ranked = selectors.points_nearest(points, lat=origin[0], lon=origin[1])
        points = [n.point for n in ranked]
        distances = {n.point.pk: n.distance_m for n in ranked}
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        rows = (public_csv_row(p, distances.get(p.pk)) for p in points)
        return export_response(rows, PUBLIC_CSV_HEADER, filename="service-points", fmt=fmt)
    map_points = [
        {
            "name": localised(p.name_zh, p.name_en),
            "value": [round(p.lon, 6), round(p.lat, 6)],
            "kind": p.kind,
            "url": reverse("recycling_network:public-detail", args=[p.code]),
            "address": p.address,
        }
        for p in points
    ]
    for p in points:
        p.distance_km = round(distances[p.pk] / 1000, 1) if p.pk in distances else None
    page = Paginator(points, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": _("Recycling service points"),
        "filterset": filterset,
        "page": page,
        "map_points": map_points,
        "kinds": PointKind.choices,
        "regions": [("BJ", _("Beijing")), ("TJ", _("Tianjin")), ("HB", _("Hebei"))],
        "districts": Division.objects.exclude(level="province"),
        "automakers": Organisation.objects.filter(service_points__status=PointStatus.PUBLISHED)
        .distinct()
        .order_by("name_zh"),
        "origin": origin,
        "near_error": near_error,
        "query": query.urlencode(),
        "total": len(points),
    }
    return render(request, "recycling_network/public_list.html", context)


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


@login_required
def points(request):
    """Points you register, operate or are served by, with stock and workflow actions; a regulator sees all
    and reviews those of its region."""
    scope = tenancy.scope_of(request.user)
    base = tenancy.visible(ServicePoint.objects.select_related("district", "operator"), request.user)
    if scope.enterprise:
        # Published points of other enterprises are public, but their stock is not: an enterprise's working list
        # holds only the points it registers, operates or is served by (the public list shows the rest).
        base = base.filter(_owned_by(scope.org_id))
    filterset = ServicePointFilterSet(request.GET or None, queryset=base)
    # Stock counts follow the battery as the stock itself does (another automaker's packs are not counted).
    visible_stock = (
        selectors.stock_visible(StockEntry.objects.filter(point=OuterRef("pk")), request.user)
        .order_by()
        .values("point")
        .annotate(n=Count("id"))
        .values("n")
    )
    qs = (
        (filterset.qs if filterset.is_bound and filterset.is_valid() else base)
        .annotate(stock_count=Coalesce(Subquery(visible_stock), 0))
        .order_by("code")
    )
    if request.GET.get("export") in ("csv", "xlsx"):
        header = ["code", "name_zh", "kind", "status", "region", "district", "operator", "stock"]
        rows = (
            [p.code, p.name_zh, p.kind, p.status, p.region, p.district_id, str(p.operator), p.stock_count]
            for p in qs
        )
        return export_response(rows, header, filename="my-service-points", fmt=request.GET["export"])
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    for p in page:
        writable = tenancy.can_write(request.user, p)
        if scope.regulator:
            role = REGULATOR if p.region == scope.region and not scope.read_only else None
        else:
            role = OWNER if writable else None
        p.actions = [(a, ReviewAction(a).label) for a in actions_for(p.status, role)] if role else []
        if not writable and p.status == PointStatus.DRAFT and p.registered_by_id == scope.org_id:
            p.actions = [("submit", ReviewAction.SUBMIT.label)]
        p.stock_visible = scope.regulator or scope.superuser or scope.enterprise
    context = {
        "title": _("Service points"),
        "filterset": filterset,
        "page": page,
        "is_regulator": scope.regulator,
        "can_register": "automaker" in scope.kinds or scope.superuser,
    }
    return render(request, "recycling_network/points.html", context)


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


@login_required
def stock(request, pk: int):
    point = tenancy.get_visible_or_404(ServicePoint.objects.all(), request.user, pk=pk)
    scope = tenancy.scope_of(request.user)
    if scope.enterprise and not ServicePoint.objects.filter(_owned_by(scope.org_id), pk=point.pk).exists():
        raise DjangoPermissionDenied  # another enterprise's published point: public, its stock is not
    entries = selectors.stock_visible(StockEntry.objects.filter(point=point), request.user).select_related(
        "battery"
    )
    if request.GET.get("export") in ("csv", "xlsx"):
        rows = ([e.battery.code, e.since, e.condition, e.mass_kg, e.bay] for e in entries)
        return export_response(
            rows,
            ["code", "since", "condition", "mass_kg", "bay"],
            filename=f"stock-{point.code}",
            fmt=request.GET["export"],
        )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request, "recycling_network/stock.html", {"title": point.display_name, "point": point, "page": page}
    )


@login_required
def transfers(request):
    base = tenancy.visible(
        Transfer.objects.select_related("from_point", "to_point", "receiver", "sender").annotate(
            packs=Count("items")
        ),
        request.user,
    )
    filterset = TransferFilterSet(request.GET or None, queryset=base)
    qs = (filterset.qs if filterset.is_bound and filterset.is_valid() else base).order_by(
        "-departed_at", "-id"
    )
    if request.GET.get("export") in ("csv", "xlsx"):
        header = [
            "number",
            "status",
            "from",
            "to",
            "receiver",
            "carrier",
            "plate",
            "dangerous_goods",
            "packs",
            "kg",
            "departed_at",
            "arrived_at",
        ]
        rows = (
            [t.number, t.status, t.from_point.code, t.to_point.code if t.to_point else "", str(t.receiver), t.carrier_name,
             t.vehicle_plate, t.dangerous_goods, t.packs, t.total_mass_kg, t.departed_at, t.arrived_at]
            for t in qs
        )  # fmt: skip
        return export_response(rows, header, filename="transfers", fmt=request.GET["export"])
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "recycling_network/transfers.html",
        {"title": _("Transfers"), "filterset": filterset, "page": page},
    )


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


@login_required
def alerts(request):
    qs = tenancy.visible(NetworkAlert.objects.select_related("battery", "point"), request.user)
    if request.GET.get("open") == "1":
        qs = qs.filter(resolved_at__isnull=True)
    if request.GET.get("kind"):
        qs = qs.filter(kind=request.GET["kind"])
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    coverage = (
        selectors.compliance_point_coverage()
        if tenancy.scope_of(request.user).regulator or request.user.is_superuser
        else []
    )
    return render(
        request,
        "recycling_network/alerts.html",
        {"title": _("Network alerts"), "page": page, "coverage": coverage},
    )
