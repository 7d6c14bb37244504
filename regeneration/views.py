"""Pages for the regeneration enterprise: intake queue, licence usage against the cap, batch forms for both
stages, evaluation under the 2019 and 2024 editions, and the yearly balance."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.actors import acting_organisation, kind_of
from core import tenancy
from core.bounds import year_or_default
from core.list_views import Column, ObjectListView
from core.pages import refusals
from traceability import selectors as trace

from . import selectors, services
from .filtersets import BatchFilterSet, LicenceFilterSet
from .forms import BatchForm, LicenceForm, ReceiveForm, Stage1Form, Stage2Form
from .models import Batch


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


@login_required
def home(request):
    enterprise = kind_of(request.user, "regeneration")
    if enterprise is None:
        return redirect("regeneration:batches")
    context = {
        "title": _("Regeneration"),
        "usages": selectors.licence_usages(enterprise),
        "to_receive": selectors.queue_to_receive(enterprise)[:100],
        "to_process": selectors.queue_to_process(enterprise).count(),
        "receive_now": _now_local(),
        "recent": Batch.objects.filter(enterprise=enterprise).select_related("edition")[:10],
    }
    return render(request, "regeneration/home.html", context)


@login_required
@require_POST
def receive(request):
    form = ReceiveForm(request.POST)
    if form.is_valid():
        battery = trace.battery_get_by_code(code=form.cleaned_data["battery"], user=request.user)
        if battery is None:
            raise Http404
        with refusals(request):
            services.pack_receive(battery=battery, occurred_at=form.cleaned_data["occurred_at"],
                                  mass_kg=form.cleaned_data["mass_kg"], actor=request.user)  # fmt: skip
            messages.success(request, _("%(code)s booked in.") % {"code": battery.code})
    else:
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
    return redirect("regeneration:home")


class Licences(ObjectListView):
    """The licences an enterprise holds (a regulator reads all), with this year's use; enterprises register here."""

    template_name = "regeneration/licences.html"
    title = gettext_lazy("Hazardous-waste licences")
    filterset_class = LicenceFilterSet
    paginate_by = None
    export_formats = ()

    def dispatch(self, request, *args, **kwargs):
        self.enterprise = kind_of(request.user, "regeneration")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.visible_licences(self.request.user)

    def get_rows(self, queryset):
        self.year = year = timezone.localdate().year
        return [(lic, selectors.licence_usage_t(lic, year)) for lic in queryset[:200]]

    def get_context_data(self, **context):
        return {**context, "rows": self.object_list, "year": self.year}

    def get(self, request):
        return self.list_response(form=LicenceForm(None) if self.enterprise else None)

    def post(self, request):
        enterprise = self.enterprise
        form = LicenceForm(request.POST or None) if enterprise else None
        if form is not None and form.is_valid():
            with refusals(request, form):
                services.licence_register(enterprise=enterprise, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Licence registered."))
                return redirect("regeneration:licences")
        return self.list_response(form=form)


licences = login_required(Licences.as_view())


class Batches(ObjectListView):
    template_name = "regeneration/batches.html"
    title = gettext_lazy("Processing batches")
    filterset_class = BatchFilterSet
    export_filename = "regeneration-batches"
    columns = [
        Column("batch", "reference"),
        Column("enterprise"),
        Column("edition", "edition.code"),
        Column("status", lambda b: b.get_status_display()),
        Column("started at", "started_at"),
        Column("input kg", "input_kg"),
        Column("shortfall", "has_shortfall"),
        Column("unexplained mass", "has_unexplained_mass"),
        Column("flags", lambda b: "; ".join(f["message"] for f in b.flags)),
    ]

    def get_queryset(self):
        return selectors.visible_batches(self.request.user)

    def get_context_data(self, **context):
        return {**context, "can_create": kind_of(self.request.user, "regeneration") is not None}


batches = login_required(Batches.as_view())


@login_required
def batch_new(request):
    enterprise = acting_organisation(request.user, "regeneration")
    candidates = list(selectors.queue_to_process(enterprise)[:500])
    initial = {
        "started_at": _now_local(),
        "edition": selectors.default_edition(),
        "reference": f"B-{timezone.localdate():%Y%m%d}-{Batch.objects.filter(enterprise=enterprise).count() + 1:03d}",
    }
    form = BatchForm(request.POST or None, candidates=candidates, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        by_code = {b.code: b for b in candidates}
        with refusals(request, form):
            batch = services.batch_create(
                reference=d["reference"], batteries=[by_code[c] for c in d["inputs"]],
                started_at=d["started_at"], edition=d["edition"], powder_content_kg=d["powder_content_kg"],
                notes=d["notes"], actor=request.user,
            )  # fmt: skip
            return redirect("regeneration:batch", pk=batch.pk)
    return render(request, "regeneration/batch_form.html", {"title": _("New batch"), "form": form})


@login_required
def batch_detail(request, pk: int):
    batch = tenancy.get_visible_or_404(selectors.visible_batches(request.user), request.user, pk=pk)
    can_write = tenancy.can_write(request.user, batch) and kind_of(request.user, "regeneration") is not None
    stage1 = Stage1Form(
        request.POST if "stage1" in request.POST else None, initial={"finished_at": _now_local()}
    )
    stage2 = Stage2Form(
        request.POST if "stage2" in request.POST else None, initial={"finished_at": _now_local()}
    )
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied(_("read-only"))
        with refusals(request, stage1 if "stage1" in request.POST else stage2):
            if "stage1" in request.POST and stage1.is_valid():
                services.batch_stage1_record(
                    batch=batch,
                    outputs=stage1.outputs(),
                    finished_at=stage1.cleaned_data["finished_at"],
                    actor=request.user,
                )
                return redirect("regeneration:batch", pk=pk)
            if "stage2" in request.POST and stage2.is_valid():
                services.batch_stage2_record(
                    batch=batch, recoveries=stage2.recoveries(), finished_at=stage2.cleaned_data["finished_at"],
                    energy_kgce_per_t=stage2.cleaned_data["energy_kgce_per_t"],
                    water_recycled_pct=stage2.cleaned_data["water_recycled_pct"], actor=request.user,
                )  # fmt: skip
                return redirect("regeneration:batch", pk=pk)
    evaluations = [(e, selectors.batch_evaluate(batch, e)) for e in selectors.editions()]
    return render(request, "regeneration/batch_detail.html",
                  {"title": batch.reference, "batch": batch, "can_write": can_write, "stage1": stage1,
                   "stage2": stage2, "evaluations": evaluations})  # fmt: skip


@login_required
def balance(request):
    """Per enterprise per year: input vs outputs and recovery rates under each edition."""
    enterprise = acting_organisation(request.user, "regeneration")
    year = year_or_default(request.GET.get("year"), default=timezone.localdate().year)
    evaluations = [(e, selectors.year_evaluate(enterprise, year, e)) for e in selectors.editions()]
    return render(request, "regeneration/balance.html",
                  {"title": _("Yearly balance"), "year": year, "evaluations": evaluations,
                   "years": range(timezone.localdate().year - 3, timezone.localdate().year + 1)})  # fmt: skip
