"""Pages: battery search and list, battery page with its trace and ledger proofs, vehicle page, code decoder,
CSV/XLSX uploads with a downloadable per-row error report (R-CODE, R-BIND, R-LIFE)."""

import uuid
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.actors import acting_organisation
from core import tenancy
from core.errors import Forbidden
from core.list_views import Column, ObjectListView
from core.pages import posted_id
from core.tabular import TabularError, export_response, read_rows

from . import codes, ledger_store, merkle, selectors, services
from .filtersets import BatteryFilterSet
from .forms import CodeForm, SearchForm, UploadForm
from .models import Battery, CustodyClaim, CustodyRelease, Vehicle

if TYPE_CHECKING:
    from accounts.models import Organisation


class BatterySearch(ObjectListView):
    """Search box (a code or a VIN goes straight to its page) and the filtered, paginated list."""

    template_name = "traceability/battery_search.html"
    title = gettext_lazy("Batteries")
    filterset_class = BatteryFilterSet
    paginate_by = 50
    export_filename = "batteries"
    export_limit = 100000
    columns = [Column(name) for name in ("code", "level", "chemistry", "production_date", "state", "region",
                                         "maker", "custodian")]  # fmt: skip

    def get(self, request):
        form = SearchForm(request.GET or None)
        if form.is_valid():
            q = codes.normalise(form.cleaned_data["q"])  # a battery code and a VIN are written alike
            if selectors.battery_get_by_code(code=q, user=request.user):
                return redirect("traceability:battery-detail", code=q)
            if selectors.vehicle_get_by_vin(vin=q, user=request.user):
                return redirect("traceability:vehicle-detail", vin=q)
            form.add_error("q", _("No battery or vehicle with this code is visible to you."))
        return self.list_response(form=form)

    def get_queryset(self):
        return tenancy.visible(
            Battery.objects.select_related("maker", "custodian"), self.request.user
        ).order_by("-id")


battery_search = login_required(BatterySearch.as_view())


@login_required
def battery_detail(request, code):
    battery = selectors.battery_get_by_code(code=code, user=request.user)
    if battery is None:
        raise Http404
    trace = selectors.battery_trace(battery=battery)
    # Link only the vehicles this user may open; the others are named but not linked (a 404 helps nobody).
    vins = [v["vin"] for v in trace.get("vehicles", [])]
    visible_vins = set(
        tenancy.visible(Vehicle.objects.filter(vin__in=vins), request.user).values_list("vin", flat=True)
    )
    return render(
        request,
        "traceability/battery_detail.html",
        {
            "battery": battery,
            "trace": trace,
            "head": ledger_store.latest_head(),
            "title": battery.code,
            "visible_vins": visible_vins,
            "can_disassemble": request.user.role != "viewer"
            and selectors.disassembly_offered(
                battery=battery, org=getattr(request.user, "organisation", None)
            ),
        },
    )


@login_required
def battery_disassemble(request, code):
    """POST from the battery page: take the pack (or module) apart into the codes named, one a line (R-LIFE)."""
    battery = selectors.battery_get_by_code(code=code, user=request.user)
    org = getattr(request.user, "organisation", None)
    if battery is None or org is None or request.method != "POST":
        raise Http404
    named = [c for c in request.POST.get("children", "").replace(",", " ").split() if c][:2000]
    try:
        done = services.battery_disassemble(
            actor=request.user,
            code=battery.code,
            children=named,
            occurred_at=timezone.now(),
            place=request.POST.get("place", "")[:200],
        )
        messages.success(request, _("Taken apart into %(n)d parts.") % {"n": len(done.children)})
    except services.TraceabilityError as exc:
        messages.error(request, f"{exc.message} ({exc.code})")
    return redirect("traceability:battery-detail", code=battery.code)


@login_required
def event_proof(request, event_id: int):
    """The inclusion proof of one event, checked here the way a client checks it offline (htmx fragment)."""
    if selectors.event_get(event_id=event_id, user=request.user) is None:
        raise Http404
    proof = ledger_store.inclusion_proof(event_id)
    if proof is None:
        raise Http404
    ok = merkle.verify_inclusion(
        merkle.leaf_hash(proof.as_dict()["leaf_data"].encode()),
        proof.leaf_index,
        proof.tree_size,
        proof.audit_path,
        proof.head.root_hash,
    )
    return render(request, "traceability/_proof.html", {"proof": proof.as_dict(), "ok": ok})


@login_required
def vehicle_detail(request, vin):
    vehicle = selectors.vehicle_get_by_vin(vin=vin, user=request.user)
    if vehicle is None:
        raise Http404
    return render(
        request,
        "traceability/vehicle_detail.html",
        {"vehicle": selectors.vehicle_detail(vehicle=vehicle), "title": vehicle.vin},
    )


def code_decode(request):
    """Public decoder of GB/T 34014 codes."""
    form = CodeForm(request.GET or None)
    decoded = error = None
    if form.is_valid():
        try:
            decoded = codes.parse(form.cleaned_data["code"], today=timezone.localdate()).as_dict()
        except codes.CodeError as exc:
            error = exc
    return render(
        request,
        "traceability/code_decode.html",
        {"form": form, "decoded": decoded, "error": error, "title": _("Battery code decoder")},
    )


UPLOADS = {
    "batteries": {
        "title": _("Register batteries"),
        "kinds": ("battery_maker",),
        "columns": [
            "code",
            "parent_code",
            "rated_capacity_ah",
            "rated_energy_kwh",
            "mass_kg",
            "produced_at",
            "customer_uscc",
        ],  # fmt: skip
    },
    "bindings": {
        "title": _("Upload vehicle-battery pairs"),
        "kinds": ("automaker",),
        "columns": ["vin", "pack_code", "sold_at", "model_name", "use", "region"],
    },
    "replacements": {
        "title": _("Report pack replacements"),
        "kinds": ("after_sales", "automaker"),
        "columns": ["vin", "old_pack_code", "new_pack_code", "replaced_at", "place"],
    },
}


def _battery_items(rows: list[dict]) -> tuple[list[dict], list[list[int]]]:
    """Flat rows (children name their parent_code) to nested items; each item remembers its rows."""
    items: list[dict] = []
    by_code: dict[str, dict] = {}
    rows_of: list[list[int]] = []
    for n, row in enumerate(rows):
        node = {k: v for k, v in row.items() if k != "parent_code" and v != ""}
        node["children"] = []
        parent = by_code.get(codes.normalise(row.get("parent_code", "")))
        by_code[codes.normalise(row.get("code", ""))] = node
        if parent is not None:
            parent["children"].append(node)
            rows_of[parent["_item"]].append(n)
            node["_item"] = parent["_item"]
        else:
            node["_item"] = len(items)
            items.append(node)
            rows_of.append([n])
    for node in by_code.values():
        node.pop("_item", None)
    return items, rows_of


def _run_upload(kind: str, rows: list[dict], request) -> list[dict]:
    acting_organisation(request.user, *UPLOADS[kind]["kinds"])
    if kind == "batteries":
        items, rows_of = _battery_items(rows)
        results = services.batteries_upload(items=items, actor=request.user)
        per_row: list[dict] = []
        for result, row_numbers in zip(results, rows_of, strict=True):
            per_row.extend({**result, "index": n} for n in row_numbers)
        return sorted(per_row, key=lambda r: r["index"])
    service = services.bindings_upload if kind == "bindings" else services.replacements_upload
    return service(items=rows, actor=request.user)


@login_required
def upload_index(request):
    return render(request, "traceability/upload_index.html", {"uploads": UPLOADS, "title": _("Uploads")})


@login_required
def upload(request, kind: str):
    """CSV/XLSX upload; the answer lists every row's outcome and offers the error report as CSV or XLSX."""
    if kind not in UPLOADS:
        raise Http404
    spec = UPLOADS[kind]
    form = UploadForm(request.POST or None, request.FILES or None)
    results = report = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = read_rows(form.cleaned_data["file"])
            results = _run_upload(kind, rows, request)
        except TabularError as exc:
            form.add_error("file", str(exc))
        except Forbidden as exc:
            form.add_error(None, exc.message)
        except services.TraceabilityError as exc:
            form.add_error(None, exc.message)
        else:
            errors = [
                [
                    r["index"] + 2,
                    *(rows[r["index"]].get(c, "") for c in spec["columns"]),
                    _messages(r["errors"]),
                ]
                for r in results
                if r["status"] == "error"
            ]
            report = uuid.uuid4().hex
            cache.set(
                f"trace-upload-report:{report}", {"kind": kind, "user": request.user.pk, "rows": errors}, 3600
            )
    summary = None
    if results is not None:
        summary = {s: sum(1 for r in results if r["status"] == s) for s in ("created", "unchanged", "error")}
    return render(
        request,
        "traceability/upload.html",
        {
            "form": form,
            "kind": kind,
            "spec": spec,
            "results": results,
            "summary": summary,
            "report": report,
            "title": spec["title"],
        },
    )


def _messages(errors: dict) -> str:
    return "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in errors.items())


@login_required
def upload_report(request, token: str):
    data = cache.get(f"trace-upload-report:{token}")
    if not data or data["user"] != request.user.pk:
        raise Http404
    header = ["row", *UPLOADS[data["kind"]]["columns"], "errors"]
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    return export_response(data["rows"], header, filename=f"{data['kind']}-errors", fmt=fmt)


class Custody(ObjectListView):
    """Two-party custody: open releases to confirm or cancel, claims and error declarations; for a regulator the
    review queue of its region's claims and pending corrections, with approve / reject (R-LIFE)."""

    template_name = "traceability/custody.html"
    paginate_by = 50
    export_formats = ()
    org: "Organisation"  # set by dispatch, which answers 404 without one

    def dispatch(self, request, *args, **kwargs):
        org = getattr(request.user, "organisation", None)
        if org is None:
            raise Http404
        self.org = org
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.claims_for(org=self.org, status=self.request.GET.get("status") or None)

    def get_context_data(self, **context):
        org = self.org
        return {**context, "releases": selectors.releases_open(org=org)[:200], "claims": context["page"],
                "page_obj": context["page"], "is_regulator": org.is_regulator, "org": org,
                "corrections": selectors.corrections_for(
                    org=org, status="pending" if org.is_regulator else None
                ).select_related("event", "declarant")[:200]}  # fmt: skip

    def post(self, request):

        org = self.org
        try:
            if "declaration" in request.POST:
                services.error_review(
                    actor=request.user,
                    declaration_id=posted_id(request, "declaration"),
                    decision=request.POST.get("decision", ""),
                    note=request.POST.get("note", ""),
                )
            elif "claim" in request.POST:
                claim = CustodyClaim.objects.filter(pk=posted_id(request, "claim")).first()
                if claim is None:
                    raise Http404
                services.claim_review(claim=claim, actor=request.user, approve=request.POST.get("decision") == "approve",
                                      note=request.POST.get("note", ""))  # fmt: skip
            elif "release" in request.POST:
                release = CustodyRelease.objects.filter(
                    pk=posted_id(request, "release"), status="open"
                ).first()
                if release is None or org.pk not in (release.releaser_id, release.receiver_id):
                    raise Http404
                if request.POST.get("action") == "cancel":
                    services.release_cancel(
                        battery=release.battery, actor=request.user, occurred_at=timezone.now()
                    )
                else:
                    services.receipt_confirm(
                        battery=release.battery, actor=request.user, occurred_at=timezone.now()
                    )
            messages.success(request, _("Recorded."))
        except services.TraceabilityError as exc:
            messages.error(request, f"{exc.message} ({exc.code})")
        return redirect("traceability:custody")


custody = login_required(Custody.as_view())
