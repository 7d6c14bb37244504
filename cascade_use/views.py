"""Pages for the cascade-use enterprise's daily work (queues: to assess, to repurpose, to hand over) and for
battery makers' authorisations. Views validate, call one service, and answer; reads come from selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.actors import kind_of
from core import tenancy
from core.list_views import Column, ObjectListView
from core.pages import refusals
from traceability import selectors as trace

from . import selectors, services
from .filtersets import AuthorisationFilterSet, RepurposedProductFilterSet
from .forms import AssessmentForm, AuthorisationForm, HandoverForm, ProductForm, RetireForm
from .models import Authorisation, RepurposedProduct


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


@login_required
def home(request):
    """The enterprise's queues: originals to assess, to repurpose, and its own waste to hand over."""
    enterprise = kind_of(request.user, "cascade_use")
    if enterprise is None:
        return redirect("cascade_use:products")
    context = {
        "title": _("Cascade use"),
        "to_assess": selectors.queue_to_assess(enterprise)[:100],
        "to_repurpose": selectors.queue_to_repurpose(enterprise)[:100],
        "waste": selectors.outstanding_waste(enterprise),
        "handover_form": HandoverForm(initial={"occurred_at": _now_local()}),
        "products_in_service": RepurposedProduct.objects.filter(enterprise=enterprise, status="in_service").count(),
        "authorisations": Authorisation.objects.filter(enterprise=enterprise, revoked_at__isnull=True,
                                                       valid_to__gte=timezone.localdate()).select_related("battery_maker"),
    }  # fmt: skip
    return render(request, "cascade_use/home.html", context)


class Authorisations(ObjectListView):
    """Granted (battery maker) or held (cascade-use enterprise) authorisations; makers grant here."""

    template_name = "cascade_use/authorisations.html"
    title = gettext_lazy("Cascade-use authorisations")
    filterset_class = AuthorisationFilterSet
    export_filename = "authorisations"
    columns = [
        Column("document", "document_ref"),
        Column("kind", lambda a: a.get_kind_display()),
        Column("battery maker", "battery_maker"),
        Column("enterprise"),
        Column("chemistries", lambda a: ",".join(a.chemistries)),
        Column("product types", lambda a: ",".join(a.product_types)),
        Column("valid from", "valid_from"),
        Column("valid to", "valid_to"),
        Column("revoked at", lambda a: a.revoked_at or ""),
    ]

    def dispatch(self, request, *args, **kwargs):
        self.maker = kind_of(request.user, "battery_maker")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.visible_authorisations(self.request.user)

    def get_context_data(self, **context):
        return {**context, "maker": self.maker, "today": timezone.localdate()}

    def get(self, request):
        return self.list_response(form=AuthorisationForm() if self.maker else None)

    def post(self, request):
        maker = self.maker
        form = AuthorisationForm(request.POST or None) if maker else None
        if form is not None and form.is_valid():
            with refusals(request, form):
                services.authorisation_grant(battery_maker=maker, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Authorisation granted."))
                return redirect("cascade_use:authorisations")
        return self.list_response(form=form)


authorisations = login_required(Authorisations.as_view())


@login_required
@require_POST
def authorisation_revoke(request, pk: int):
    authorisation = tenancy.get_visible_or_404(Authorisation.objects.all(), request.user, pk=pk)
    with refusals(request):
        services.authorisation_revoke(
            authorisation=authorisation, actor=request.user, reason=request.POST.get("reason", "")
        )
        messages.info(request, _("Authorisation revoked."))
    return redirect("cascade_use:authorisations")


@login_required
def assess(request, code: str):
    enterprise = kind_of(request.user, "cascade_use")
    if enterprise is None:
        raise PermissionDenied(_("only a cascade-use enterprise records safety assessments"))
    battery = trace.battery_get_by_code(code=code, user=request.user)
    if battery is None:
        raise Http404
    form = AssessmentForm(
        request.POST or None,
        initial={
            "assessed_at": _now_local(),
            "polarity_ok": True,
            "assessor_name": request.user.get_full_name() or request.user.username,
        },
    )
    if request.method == "POST" and form.is_valid():
        with refusals(request, form):
            services.assessment_record(
                battery=battery,
                actor=request.user,
                **{k: v for k, v in form.cleaned_data.items() if v is not None or k != "soh_pct"},
            )
            messages.success(request, _("Assessment recorded for %(code)s.") % {"code": battery.code})
            return redirect("cascade_use:home")
    history = selectors.visible_assessments(request.user).filter(battery=battery)
    return render(
        request,
        "cascade_use/assess.html",
        {"title": _("Safety assessment"), "battery": battery, "form": form, "history": history},
    )


class Products(ObjectListView):
    template_name = "cascade_use/products.html"
    title = gettext_lazy("Repurposed products")
    filterset_class = RepurposedProductFilterSet
    export_filename = "repurposed-products"
    columns = [
        Column("code", "battery.code"),
        Column("product", "name"),
        Column("scenario", "scenario.key"),
        Column("site"),
        Column("site region", "site_region"),
        Column("operator"),
        Column("commissioned at", "commissioned_at"),
        Column("status", lambda p: p.get_status_display()),
    ]

    def get_queryset(self):
        return selectors.visible_products(self.request.user)

    def get_rows(self, queryset):
        return queryset.distinct()

    def get_context_data(self, **context):
        return {**context, "can_create": kind_of(self.request.user, "cascade_use") is not None}


products = login_required(Products.as_view())


@login_required
def product_new(request):
    enterprise = kind_of(request.user, "cascade_use")
    if enterprise is None:
        raise PermissionDenied(_("only a cascade-use enterprise builds products"))
    candidates = list(selectors.queue_to_repurpose(enterprise)[:300])
    initial = {
        "commissioned_at": _now_local(),
        "sources": request.GET.getlist("source"),
        "site_region": enterprise.region,
    }
    form = ProductForm(request.POST or None, candidates=candidates, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        by_code = {b.code: b for b in candidates}
        with refusals(request, form):
            product = services.product_create(
                actor=request.user,
                sources=[by_code[c] for c in data.pop("sources")], **data,
            )  # fmt: skip
            messages.success(request, _("Product %(code)s created.") % {"code": product.battery.code})
            return redirect("cascade_use:product", pk=product.pk)
    return render(
        request, "cascade_use/product_form.html", {"title": _("New repurposed product"), "form": form}
    )


@login_required
def product_detail(request, pk: int):
    product = tenancy.get_visible_or_404(selectors.visible_products(request.user), request.user, pk=pk)
    form = RetireForm(request.POST or None, initial={"occurred_at": _now_local()})
    if request.method == "POST" and form.is_valid():
        with refusals(request, form):
            services.product_retire(product=product, actor=request.user, **form.cleaned_data)
            messages.info(request, _("Second life ended: the product is now waste to hand over."))
            return redirect("cascade_use:product", pk=pk)
    context = {"title": product.name, "retire_form": form, "can_write": tenancy.can_write(request.user, product),
               **selectors.product_trace(product)}  # fmt: skip
    return render(request, "cascade_use/product_detail.html", context)


@login_required
@require_POST
def handover(request):
    form = HandoverForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect("cascade_use:home")
    battery = trace.battery_get_by_code(code=form.cleaned_data["battery"], user=request.user)
    if battery is None:
        raise Http404
    with refusals(request):
        services.waste_handover(battery=battery, to=form.cleaned_data["to"],
                                occurred_at=form.cleaned_data["occurred_at"], actor=request.user)  # fmt: skip
        messages.success(
            request, _("%(code)s handed to %(to)s.") % {"code": battery.code, "to": form.cleaned_data["to"]}
        )
    return redirect("cascade_use:home")
