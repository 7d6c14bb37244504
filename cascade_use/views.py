"""Pages for the cascade-use enterprise's daily work (queues: to assess, to repurpose, to hand over) and for
battery makers' authorisations. Views validate, call one service, and answer; reads come from selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import tenancy
from core.errors import Forbidden
from core.pages import refusals
from core.tabular import export_response
from traceability.models import Battery

from . import selectors, services
from .filtersets import AuthorisationFilterSet, RepurposedProductFilterSet
from .forms import AssessmentForm, AuthorisationForm, HandoverForm, ProductForm, RetireForm
from .models import Authorisation, RepurposedProduct


def _org_of_kind(request, kind: str):
    try:
        return tenancy.require_kind(request.user, kind)
    except Forbidden:
        return None


def _page(request, qs, per_page: int = 25):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


@login_required
def home(request):
    """The enterprise's queues: originals to assess, to repurpose, and its own waste to hand over."""
    enterprise = _org_of_kind(request, "cascade_use")
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


@login_required
def authorisations(request):
    """Granted (battery maker) or held (cascade-use enterprise) authorisations; makers grant here."""
    maker = _org_of_kind(request, "battery_maker")
    form = AuthorisationForm(request.POST or None) if maker else None
    if request.method == "POST" and form is not None and form.is_valid():
        with refusals(request, form):
            services.authorisation_grant(battery_maker=maker, actor_user=request.user, **form.cleaned_data)
            messages.success(request, _("Authorisation granted."))
            return redirect("cascade_use:authorisations")
    filterset = AuthorisationFilterSet(request.GET, queryset=selectors.visible_authorisations(request.user))
    rows = filterset.qs
    if request.GET.get("export") in ("csv", "xlsx"):
        return export_response(
            ((a.document_ref, a.get_kind_display(), a.battery_maker, a.enterprise, ",".join(a.chemistries),
              ",".join(a.product_types), a.valid_from, a.valid_to, a.revoked_at or "") for a in rows),
            ["document", "kind", "battery maker", "enterprise", "chemistries", "product types", "valid from",
             "valid to", "revoked at"],
            filename="authorisations", fmt=request.GET["export"],
        )  # fmt: skip
    return render(
        request,
        "cascade_use/authorisations.html",
        {"title": _("Cascade-use authorisations"), "filter": filterset, "page": _page(request, rows), "form": form,
         "maker": maker, "today": timezone.localdate()},
    )  # fmt: skip


@login_required
@require_POST
def authorisation_revoke(request, pk: int):
    authorisation = tenancy.get_visible_or_404(Authorisation.objects.all(), request.user, pk=pk)
    with refusals(request):
        services.authorisation_revoke(
            authorisation=authorisation, actor_user=request.user, reason=request.POST.get("reason", "")
        )
        messages.info(request, _("Authorisation revoked."))
    return redirect("cascade_use:authorisations")


@login_required
def assess(request, code: str):
    enterprise = _org_of_kind(request, "cascade_use")
    if enterprise is None:
        raise PermissionDenied(_("only a cascade-use enterprise records safety assessments"))
    battery = tenancy.get_visible_or_404(Battery.objects.select_related("maker"), request.user, code=code)
    form = AssessmentForm(request.POST or None, initial={"assessed_at": _now_local(), "polarity_ok": True,
                                                          "assessor_name": request.user.get_full_name() or request.user.username})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        with refusals(request, form):
            services.assessment_record(battery=battery, enterprise=enterprise, actor_user=request.user,
                                       **{k: v for k, v in form.cleaned_data.items() if v is not None or k != "soh_pct"})  # fmt: skip
            messages.success(request, _("Assessment recorded for %(code)s.") % {"code": battery.code})
            return redirect("cascade_use:home")
    history = selectors.visible_assessments(request.user).filter(battery=battery)
    return render(request, "cascade_use/assess.html",
                  {"title": _("Safety assessment"), "battery": battery, "form": form, "history": history})  # fmt: skip


@login_required
def products(request):
    filterset = RepurposedProductFilterSet(request.GET, queryset=selectors.visible_products(request.user))
    rows = filterset.qs.distinct()
    if request.GET.get("export") in ("csv", "xlsx"):
        return export_response(
            ((p.battery.code, p.name, p.scenario.key, p.site, p.site_region, p.operator, p.commissioned_at,
              p.get_status_display()) for p in rows),
            ["code", "product", "scenario", "site", "site region", "operator", "commissioned at", "status"],
            filename="repurposed-products", fmt=request.GET["export"],
        )  # fmt: skip
    return render(request, "cascade_use/products.html",
                  {"title": _("Repurposed products"), "filter": filterset, "page": _page(request, rows),
                   "can_create": _org_of_kind(request, "cascade_use") is not None})  # fmt: skip


@login_required
def product_new(request):
    enterprise = _org_of_kind(request, "cascade_use")
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
                enterprise=enterprise, actor_user=request.user,
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
    if request.method == "POST":
        tenancy.require_write(request.user, product)
        if form.is_valid():
            with refusals(request, form):
                services.product_retire(product=product, actor_user=request.user, **form.cleaned_data)
                messages.info(request, _("Second life ended: the product is now waste to hand over."))
                return redirect("cascade_use:product", pk=pk)
    context = {"title": product.name, "retire_form": form, "can_write": tenancy.can_write(request.user, product),
               **selectors.product_trace(product)}  # fmt: skip
    return render(request, "cascade_use/product_detail.html", context)


@login_required
@require_POST
def handover(request):
    enterprise = _org_of_kind(request, "cascade_use")
    if enterprise is None:
        raise PermissionDenied(_("only a cascade-use enterprise hands over its waste"))
    form = HandoverForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()))
        return redirect("cascade_use:home")
    battery = tenancy.get_visible_or_404(
        Battery.objects.all(), request.user, code=form.cleaned_data["battery"]
    )
    with refusals(request):
        services.waste_handover(battery=battery, enterprise=enterprise, to=form.cleaned_data["to"],
                                occurred_at=form.cleaned_data["occurred_at"], actor_user=request.user)  # fmt: skip
        messages.success(
            request, _("%(code)s handed to %(to)s.") % {"code": battery.code, "to": form.cleaned_data["to"]}
        )
    return redirect("cascade_use:home")
