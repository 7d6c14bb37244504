"""Pages of the valuation (R-VALUE): valuations list, a battery's assessment and curve, bulk jobs, prices."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import Forbidden
from core.list_views import Column, ObjectListView
from traceability import selectors as trace

from . import selectors
from .filtersets import ValuationFilterSet
from .forms import AssessForm, JobForm
from .services import ValuationError, require_assessor, valuation_assess, valuation_job_create


class ValuationList(ObjectListView):
    template_name = "valuation/valuation_list.html"
    title = gettext_lazy("Residual value")
    filterset_class = ValuationFilterSet
    paginate_by = 50
    export_filename = "valuations"
    export_limit = 100000
    columns = [
        Column("code", "battery.code"), Column("valuation_date"), Column("soh"), Column("soh_source"),
        Column("rul_years"), Column("rul_low_years"), Column("rul_high_years"), Column("grade"), Column("route"),
        Column("scenarios", lambda v: ",".join(v.scenarios)), Column("value_cny"), Column("price_set", "price_set_id"),
        Column("parameters_version"),
    ]  # fmt: skip

    def get_queryset(self):
        return selectors.valuation_list(user=self.request.user)


valuation_list = login_required(ValuationList.as_view())


@login_required
def battery_detail(request, code: str):
    battery = trace.battery_get_by_code(code=code, user=request.user)
    if battery is None:
        raise Http404
    valuation = selectors.valuation_latest(battery=battery, user=request.user)
    history = selectors.valuation_list(user=request.user).filter(battery=battery)[:20]
    can_assess = True
    try:
        require_assessor(actor=request.user)
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
    battery = trace.battery_get_by_code(code=code, user=request.user)
    if battery is None:
        raise Http404
    try:
        require_assessor(actor=request.user)
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


class JobList(ObjectListView):
    template_name = "valuation/job_list.html"
    title = gettext_lazy("Bulk assessments")
    export_formats = ()

    def get_queryset(self):
        return selectors.job_list(user=self.request.user)

    def get(self, request):
        return self.list_response(form=JobForm(None))

    def post(self, request):
        form = JobForm(request.POST or None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                codes = selectors.job_codes(
                    source=data["source"],
                    user=request.user,
                    service_point=data.get("service_point", ""),
                    codes=data.get("code_list", ()),
                )
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
        return self.list_response(form=form)


job_list = login_required(JobList.as_view())


@login_required
def job_detail(request, pk: int):
    job = get_object_or_404(selectors.job_list(user=request.user), pk=pk)
    template = (
        "valuation/_job_progress.html" if request.headers.get("HX-Request") else "valuation/job_detail.html"
    )
    return render(request, template, {"job": job, "title": _("Bulk assessment")})


class PriceList(ObjectListView):
    template_name = "valuation/price_list.html"
    title = gettext_lazy("Price sets")
    paginate_by = 20
    export_formats = ()

    def get_queryset(self):
        return selectors.price_set_list(user=self.request.user)


price_list = login_required(PriceList.as_view())
