"""Pages of the national sync: the operations page for administrators and /metrics (R-SHARE)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from core.audit import address_in, client_ip
from core.tabular import export_response

from . import conf, selectors, services
from .filtersets import OutboxRecordFilterSet
from .metrics import registry


def _require_admin(user) -> None:
    if not (user.is_superuser or user.is_staff):
        raise PermissionDenied


@login_required
def operations(request):
    _require_admin(request.user)
    filterset = OutboxRecordFilterSet(request.GET or None, queryset=selectors.dead_letter_list())
    dead = filterset.qs
    if request.GET.get("export") in ("csv", "xlsx"):
        rows = dead.values_list(
            "id", "kind", "partition_key", "region", "record_day", "attempts", "last_error", "idempotency_key"
        )
        header = ["id", "kind", "battery", "region", "day", "attempts", "last_error", "idempotency_key"]
        return export_response(
            rows.iterator(), header, filename="national-sync-dead-letters", fmt=request.GET["export"]
        )
    page = Paginator(dead, 25).get_page(request.GET.get("page"))
    context = {
        "title": _("National platform sync"),
        "stats": selectors.queue_stats(),
        "filter": filterset,
        "page": page,
        "failures": selectors.recent_failures(),
        "query": request.GET.copy(),
    }
    context["query"].pop("page", None)
    return render(request, "national_sync/operations.html", context)


@login_required
@require_POST
def dead_letter_retry(request):
    _require_admin(request.user)
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()]
    if not ids and request.POST.get("all") != "1":
        messages.error(request, _("Choose the dead letters to retry."))
        return redirect("national_sync:operations")
    count = services.outbox_dead_letter_retry(actor=request.user, ids=ids or None)
    messages.success(
        request, ngettext("%(n)d record queued again.", "%(n)d records queued again.", count) % {"n": count}
    )
    return redirect("national_sync:operations")


def metrics(request):
    """Prometheus exposition, for the configured scraper only: with NATIONAL_SYNC_METRICS_TOKEN set it sends
    that bearer token; without one, only addresses in METRICS_ALLOWED_NETWORKS (default: this host) may read."""
    token = conf.get("NATIONAL_SYNC_METRICS_TOKEN")
    if token:
        if not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
            return HttpResponse(status=401)
    elif not address_in(client_ip(request), settings.METRICS_ALLOWED_NETWORKS):
        return HttpResponse(status=403)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
