"""Alliance pages (R-ALLIANCE): overview and directory, applications, co-built points and statements, price
guidance with its history chart, the lot market with bidding and acceptance, deals and the market report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import tenancy
from core.dates import parse_date
from core.errors import Forbidden
from core.pages import refusals
from core.tabular import export_response
from traceability.models import Chemistry

from . import selectors, services
from .config import market_rules
from .filtersets import DealFilterSet, LotFilterSet, MembershipFilterSet, PriceGuidanceFilterSet
from .forms import ApplyForm, BidForm, LotForm
from .models import Bid, Lot, Membership, MembershipStatus, MembershipTier, PriceForm, PriceGuidance
from .qualification import buyer_qualification, reason_display


def _page(request, qs, size=25):
    return Paginator(qs, size).get_page(request.GET.get("page"))


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


def directory(request):
    qs = MembershipFilterSet(request.GET, queryset=selectors.directory(request.user)).qs
    return render(
        request,
        "alliance/directory.html",
        {"page": _page(request, qs), "members_only": selectors.sees_members_only(request.user)},
    )


@login_required
def apply(request):
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusals(request, form):
            services.membership_apply(user=request.user, **form.cleaned_data)
            messages.success(request, _("Application sent to the alliance secretariat."))
            return redirect("alliance:home")
    return render(request, "alliance/apply.html", {"form": form})


@login_required
def applications(request):
    if not selectors.is_secretariat(request.user) and not tenancy.scope_of(request.user).regulator:
        raise Http404
    qs = MembershipFilterSet(request.GET, queryset=selectors.applications(request.user)).qs
    return render(
        request,
        "alliance/applications.html",
        {"page": _page(request, qs), "statuses": MembershipStatus.choices},
    )


@login_required
@require_POST
def decide(request, pk: int):
    membership = tenancy.get_visible_or_404(Membership.objects.all(), request.user, pk=pk)
    with refusals(request):
        services.membership_decide(
            user=request.user,
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


def guidance(request):
    qs = PriceGuidanceFilterSet(request.GET, queryset=selectors.guidance_visible(request.user)).qs
    chemistry = request.GET.get("chemistry", "B")
    grade = request.GET.get("grade", "B")
    form = request.GET.get("form", "pack")
    return render(
        request,
        "alliance/guidance.html",
        {
            "page": _page(request, qs, 12),
            "in_force": selectors.guidance_in_force(on=timezone.localdate()),
            "chemistry": chemistry,
            "grade": grade,
            "form": form,
            "chemistries": [c for c in Chemistry.choices if c[0] in ("B", "E")],
            "grades": market_rules().grades,
            "forms": PriceForm.choices,
            "history": selectors.price_history(chemistry=chemistry, grade=grade, form=form),
            "trades": selectors.trade_points(chemistry=chemistry, grade=grade, form=form, user=request.user),
        },
    )


def guidance_detail(request, pk: int):
    g = tenancy.get_visible_or_404(PriceGuidance.objects.select_related("assessor"), request.user, pk=pk)
    return render(
        request,
        "alliance/guidance_detail.html",
        {"g": g, "prices": g.prices.order_by("form", "chemistry", "grade"), "metals": g.metal_prices.all()},
    )


@login_required
def lots(request):
    qs = LotFilterSet(request.GET, queryset=selectors.lots_visible(request.user)).qs
    return render(
        request,
        "alliance/lots.html",
        {"page": _page(request, qs), "filters": request.GET, "can_list": _can_list(request.user)},
    )


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
            lot = services.lot_create(user=request.user, items=items, **data)
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
            services.bid_place(user=request.user, lot=lot, **form.cleaned_data)
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
    bid = get_object_or_404(Bid, pk=request.POST.get("bid"), lot=lot)
    with refusals(request):
        services.lot_accept(user=request.user, lot=lot, bid=bid)
        messages.success(request, _("Deal concluded; custody of the batteries moved to the buyer."))
    return redirect("alliance:lot", pk=lot.pk)


@login_required
def deals(request):
    qs = DealFilterSet(request.GET, queryset=selectors.deals_visible(request.user)).qs
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        header = [
            "lot",
            "channel",
            "seller",
            "buyer",
            "price_cny",
            "price_per_kwh",
            "reference_per_kwh",
            "deviation",
            "outlier",
            "concluded_at",
        ]
        rows = (
            [
                d.lot.number,
                d.channel,
                d.seller.uscc,
                d.buyer.uscc,
                d.price_cny,
                d.price_per_kwh,
                d.reference_per_kwh,
                d.deviation,
                d.is_outlier,
                d.concluded_at.isoformat(),
            ]
            for d in qs
        )
        return export_response(rows, header, filename="alliance-deals", fmt=fmt)
    return render(request, "alliance/deals.html", {"page": _page(request, qs)})


@login_required
def report(request):
    if not selectors.sees_members_only(request.user):
        raise Http404
    rows = selectors.market_report(
        date_from=parse_date(request.GET.get("from")), date_to=parse_date(request.GET.get("to"))
    )
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        return export_response(
            selectors.report_rows(rows), selectors.REPORT_HEADER, filename="alliance-market-report", fmt=fmt
        )
    return render(
        request, "alliance/report.html", {"rows": rows, "total": sum((r.value_cny for r in rows), Decimal(0))}
    )
