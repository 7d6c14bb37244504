"""Alliance pages (R-ALLIANCE): overview and directory, applications, co-built points and statements, price
guidance with its history chart, the lot market with bidding and acceptance, deals and the market report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import tenancy
from core.dates import parse_date
from core.errors import Forbidden
from core.list_views import Column, ObjectListView
from core.pages import posted_id, refusals
from traceability.choices import Chemistry

from . import selectors, services
from .config import market_rules
from .filtersets import DealFilterSet, LotFilterSet, MembershipFilterSet, PriceGuidanceFilterSet
from .forms import ApplyForm, BidForm, LotForm
from .models import Bid, Lot, Membership, MembershipStatus, MembershipTier, PriceForm, PriceGuidance
from .qualification import buyer_qualification, reason_display


def home(request):
    today = timezone.localdate()
    return render(
        request,
        "alliance/home.html",
        {
            "tiers": MembershipTier.objects.filter(is_active=True),
            "members": selectors.directory(request.user).count(),
            "guidance": selectors.guidance_in_force(on=today),
            "membership": Membership.objects.filter(
                organisation_id=getattr(request.user, "organisation_id", None)
            ).first(),
            "is_secretariat": selectors.is_secretariat(request.user),
        },
    )


class Directory(ObjectListView):
    template_name = "alliance/directory.html"
    filterset_class = MembershipFilterSet
    export_formats = ()

    def get_queryset(self):
        return selectors.directory(self.request.user)

    def get_context_data(self, **context):
        return {**context, "members_only": selectors.sees_members_only(self.request.user)}


directory = Directory.as_view()


@login_required
def apply(request):
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals(request, form):
            services.membership_apply(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Application sent to the alliance secretariat."))
            return redirect("alliance:home")
    return render(request, "alliance/apply.html", {"form": form})


class Applications(ObjectListView):
    template_name = "alliance/applications.html"
    filterset_class = MembershipFilterSet
    export_formats = ()

    def get_queryset(self):
        user = self.request.user
        if not selectors.is_secretariat(user) and not tenancy.scope_of(user).regulator:
            raise Http404
        return selectors.applications(user)

    def get_context_data(self, **context):
        return {**context, "statuses": MembershipStatus.choices}


applications = login_required(Applications.as_view())


@login_required
@require_POST
def decide(request, pk: int):
    membership = tenancy.get_visible_or_404(Membership.objects.all(), request.user, pk=pk)
    with refusals(request):
        services.membership_decide(
            actor=request.user,
            membership=membership,
            approve=request.POST.get("approve") == "1",
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("Decision recorded."))
    return redirect("alliance:applications")


@login_required
def points(request):
    month = request.GET.get("month") or timezone.localdate().strftime("%Y-%m")
    try:
        year, mon = (int(x) for x in month.split("-"))
        date(year, mon, 1)
    except ValueError:
        year, mon = timezone.localdate().year, timezone.localdate().month
    org = request.user.organisation
    statement = selectors.member_statement(member=org, year=year, month=mon) if org else None
    return render(
        request,
        "alliance/points.html",
        {
            "points": selectors.points_visible(request.user),
            "statement": statement,
            "month": f"{year:04d}-{mon:02d}",
        },
    )


class Guidance(ObjectListView):
    template_name = "alliance/guidance.html"
    filterset_class = PriceGuidanceFilterSet
    paginate_by = 12
    export_formats = ()

    def get_queryset(self):
        return selectors.guidance_visible(self.request.user)

    def get_context_data(self, **context):
        get = self.request.GET
        chemistry, grade, form = get.get("chemistry", "B"), get.get("grade", "B"), get.get("form", "pack")
        return {
            **context,
            "in_force": selectors.guidance_in_force(on=timezone.localdate()),
            "chemistry": chemistry,
            "grade": grade,
            "form": form,
            "chemistries": [c for c in Chemistry.choices if c[0] in ("B", "E")],
            "grades": market_rules().grades,
            "forms": PriceForm.choices,
            "history": selectors.price_history(chemistry=chemistry, grade=grade, form=form),
            "trades": selectors.trade_points(
                chemistry=chemistry, grade=grade, form=form, user=self.request.user
            ),
        }


guidance = Guidance.as_view()


def guidance_detail(request, pk: int):
    g = tenancy.get_visible_or_404(PriceGuidance.objects.select_related("assessor"), request.user, pk=pk)
    return render(
        request,
        "alliance/guidance_detail.html",
        {"g": g, "prices": g.prices.order_by("form", "chemistry", "grade"), "metals": g.metal_prices.all()},
    )


class Lots(ObjectListView):
    template_name = "alliance/lots.html"
    filterset_class = LotFilterSet
    export_formats = ()

    def get_queryset(self):
        return selectors.lots_visible(self.request.user)

    def get_context_data(self, **context):
        return {**context, "filters": self.request.GET, "can_list": _can_list(self.request.user)}


lots = login_required(Lots.as_view())


def _can_list(user) -> bool:
    """Approved member enterprises list lots (the service checks again); others are not offered the form."""
    scope = tenancy.scope_of(user)
    return scope.enterprise and not scope.read_only and selectors.is_member(user.organisation)


@login_required
def lot_new(request):
    if not _can_list(request.user):
        messages.error(request, _("Only approved alliance member enterprises may list lots."))
        return redirect("alliance:lots")
    form = LotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        items = [services.ItemInput(code=c, soh=s) for c, s in data.pop("items")]
        try:
            lot = services.lot_create(actor=request.user, items=items, **data)
        except services.AllianceError as exc:
            for reason in exc.reasons:
                form.add_error("items" if exc.field == "items" else None, reason)
        except Forbidden as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Lot listed."))
            return redirect("alliance:lot", pk=lot.pk)
    return render(request, "alliance/lot_new.html", {"form": form})


@login_required
def lot_detail(request, pk: int):
    lot = tenancy.get_visible_or_404(Lot.objects.select_related("seller"), request.user, pk=pk)
    org = request.user.organisation
    is_seller = org is not None and org.pk == lot.seller_id
    qualification = None
    # Only an enterprise buys; a regulator reading the lot is not told it may not bid.
    if org is not None and not is_seller and lot.bidding_open() and tenancy.scope_of(request.user).enterprise:
        ok, reasons = buyer_qualification(buyer=org, lot=lot)
        qualification = (ok, [reason_display(r) for r in reasons])
    form = BidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.bid_place(actor=request.user, lot=lot, **form.cleaned_data)
        except services.AllianceError as exc:
            for reason in exc.reasons:
                form.add_error(None, reason_display(reason))
        except Forbidden as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Bid placed."))
            return redirect("alliance:lot", pk=lot.pk)
    return render(
        request,
        "alliance/lot_detail.html",
        {
            "lot": lot,
            "items": lot.items.select_related("battery__maker"),
            "bids": selectors.bids_visible(lot=lot, user=request.user),
            "events": selectors.lot_events(lot=lot, user=request.user),
            "is_seller": is_seller,
            "qualification": qualification,
            "form": form,
            "deal": getattr(lot, "deal", None) if lot.status == "awarded" else None,
            "revealed": lot.bids_revealed(),
        },
    )


@login_required
@require_POST
def lot_accept(request, pk: int):
    lot = tenancy.get_visible_or_404(Lot.objects.all(), request.user, pk=pk)
    bid = get_object_or_404(Bid, pk=posted_id(request, "bid"), lot=lot)
    with refusals(request):
        services.lot_accept(actor=request.user, lot=lot, bid=bid)
        messages.success(request, _("Deal concluded; custody of the batteries moved to the buyer."))
    return redirect("alliance:lot", pk=lot.pk)


class Deals(ObjectListView):
    template_name = "alliance/deals.html"
    filterset_class = DealFilterSet
    export_filename = "alliance-deals"
    columns = [
        Column("lot", "lot.number"),
        Column("channel"),
        Column("seller", "seller.uscc"),
        Column("buyer", "buyer.uscc"),
        Column("price_cny"),
        Column("price_per_kwh"),
        Column("reference_per_kwh"),
        Column("deviation"),
        Column("outlier", "is_outlier"),
        Column("concluded_at", lambda d: d.concluded_at.isoformat()),
    ]

    def get_queryset(self):
        return selectors.deals_visible(self.request.user)


deals = login_required(Deals.as_view())


class Report(ObjectListView):
    """The market report: every row on one page, the same rows as CSV or XLSX."""

    template_name = "alliance/report.html"
    paginate_by = None
    export_filename = "alliance-market-report"

    def get_queryset(self):
        if not selectors.sees_members_only(self.request.user):
            raise Http404
        get = self.request.GET
        return selectors.market_report(
            date_from=parse_date(get.get("from")), date_to=parse_date(get.get("to"))
        )

    def export_header(self):
        return selectors.REPORT_HEADER

    def export_rows(self, rows):
        return selectors.report_rows(rows)

    def get_context_data(self, **context):
        rows = self.object_list
        return {**context, "rows": rows, "total": sum((r.value_cny for r in rows), Decimal(0))}


report = login_required(Report.as_view())
