"""Pages of the valuation (R-VALUE): valuations list, a battery's assessment and curve, bulk jobs, prices."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import tenancy
from core.errors import Forbidden
from core.tabular import export_response
from traceability.models import Battery

from . import selectors
from .filtersets import ValuationFilterSet
from .forms import AssessForm, JobForm
from .services import ValuationError, require_assessor, valuation_assess, valuation_job_create

EXPORT_COLUMNS = [
    "code", "valuation_date", "soh", "soh_source", "rul_years", "rul_low_years", "rul_high_years", "grade",
    "route", "scenarios", "value_cny", "price_set", "parameters_version",
]  # fmt: skip


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return query.urlencode()


@login_required
def valuation_list(request):
    filterset = ValuationFilterSet(request.GET, queryset=selectors.valuation_list(user=request.user))
    rows = filterset.qs
    fmt = request.GET.get("export")
    if fmt in {"csv", "xlsx"}:
        data = (
            [v.battery.code, v.valuation_date, v.soh, v.soh_source, v.rul_years, v.rul_low_years, v.rul_high_years,
             v.grade, v.route, ",".join(v.scenarios), v.value_cny, v.price_set_id, v.parameters_version]
            for v in rows[:100000]
        )  # fmt: skip
        return export_response(data, EXPORT_COLUMNS, filename="valuations", fmt=fmt)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "valuation/valuation_list.html",
        {"filter": filterset, "page": page, "query": _query(request), "title": _("Residual value")},
    )


@login_required
def battery_detail(request, code: str):
    battery = tenancy.get_visible_or_404(Battery.objects.all(), request.user, code=code.upper())
    valuation = selectors.valuation_latest(battery=battery, user=request.user)
    history = selectors.valuation_list(user=request.user).filter(battery=battery)[:20]
    can_assess = True
    try:
        require_assessor(request.user)
    except Forbidden:
        can_assess = False
    chart = None
    if valuation is not None:
        chart = {"curve": valuation.result.get("curve", []), "eol": valuation.result.get("eol_soh"),
                 "age": valuation.result.get("age_years"), "soh": float(valuation.soh)}  # fmt: skip
    return render(
        request,
        "valuation/battery_detail.html",
        {
            "battery": battery,
            "valuation": valuation,
            "history": history,
            "chart": chart,
            "form": AssessForm(),
            "can_assess": can_assess,
            "title": _("Residual value of %(code)s") % {"code": battery.code},
        },
    )


@login_required
@require_POST
def battery_assess(request, code: str):
    battery = tenancy.get_visible_or_404(Battery.objects.all(), request.user, code=code.upper())
    try:
        require_assessor(request.user)
    except Forbidden as exc:
        messages.error(request, exc.message)
        return redirect("valuation:battery_detail", code=battery.code)
    form = AssessForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the valuation date."))
        return redirect("valuation:battery_detail", code=battery.code)
    try:
        valuation = valuation_assess(
            battery=battery, actor=request.user, valuation_date=form.cleaned_data.get("valuation_date")
        )
    except ValueError as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    else:
        messages.success(request, _("Assessed: grade %(grade)s.") % {"grade": valuation.grade})
    return redirect("valuation:battery_detail", code=battery.code)


@login_required
def job_list(request):
    form = JobForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["source"] == "service_point":
                codes = selectors.service_point_stock(place_ref=data["service_point"], user=request.user)
            elif data["source"] == "custody":
                codes = selectors.custody_stock(user=request.user)
            else:
                codes = data["code_list"]
            job = valuation_job_create(
                actor=request.user, codes=codes, valuation_date=data.get("valuation_date"),
                description=data.get("description", ""),
            )  # fmt: skip
        except Forbidden as exc:
            messages.error(request, exc.message)
        except ValuationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Bulk assessment queued."))
            return redirect("valuation:job_detail", pk=job.pk)
    page = Paginator(selectors.job_list(user=request.user), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "valuation/job_list.html",
        {"form": form, "page": page, "query": "", "title": _("Bulk assessments")},
    )


@login_required
def job_detail(request, pk: int):
    job = get_object_or_404(selectors.job_list(user=request.user), pk=pk)
    template = (
        "valuation/_job_progress.html" if request.headers.get("HX-Request") else "valuation/job_detail.html"
    )
    return render(request, template, {"job": job, "title": _("Bulk assessment")})


@login_required
def price_list(request):
    page = Paginator(selectors.price_set_list(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "valuation/price_list.html", {"page": page, "query": "", "title": _("Price sets")})
