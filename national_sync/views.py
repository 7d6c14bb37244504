"""Pages of the national sync: the operations page for administrators and /metrics (R-SHARE)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from core.audit import address_in, client_ip
from core.list_views import Column, ObjectListView

from . import conf, selectors, services
from .filtersets import OutboxRecordFilterSet
from .metrics import registry


def _require_admin(user) -> None:
    if not (user.is_superuser or user.is_staff):
        raise PermissionDenied


class Operations(ObjectListView):
    template_name = "national_sync/operations.html"
    title = gettext_lazy("National platform sync")
    filterset_class = OutboxRecordFilterSet
    bind_empty = False
    export_filename = "national-sync-dead-letters"
    columns = [
        Column("id"), Column("kind"), Column("battery", "partition_key"), Column("region"),
        Column("day", "record_day"), Column("attempts"), Column("last_error"), Column("idempotency_key"),
    ]  # fmt: skip

    def dispatch(self, request, *args, **kwargs):
        _require_admin(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.dead_letter_list()

    def export_rows(self, rows):
        return rows.values_list(*(c.value or c.header for c in self.columns)).iterator()

    def get_context_data(self, **context):
        return {**context, "stats": selectors.queue_stats(), "failures": selectors.recent_failures()}


operations = login_required(Operations.as_view())


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
