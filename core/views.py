import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core import tenancy
from core.filtersets import AuditLogFilterSet
from core.models import AuditLog
from core.tabular import export_response
from core.tenancy import scope_of


def home(request):
    scope = scope_of(request.user)
    return render(request, "core/home.html", {"scope": scope, "title": _("Jingjinji Battery Trace")})


def healthz(request):
    """Liveness and database reachability, for load balancers and docker-compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


AUDIT_COLUMNS = ["created_at", "actor", "organisation", "action", "object_type", "object_id", "object_repr",
                 "ip_address", "changes"]  # fmt: skip


@login_required
def audit_log_list(request):
    """The audit trail: an enterprise sees its own users' writes, regulators and administrators see all."""
    qs = tenancy.visible(AuditLog.objects.select_related("actor", "organisation"), request.user)
    filterset = AuditLogFilterSet(request.GET, queryset=qs)
    rows = filterset.qs
    fmt = request.GET.get("export")
    if fmt in {"csv", "xlsx"}:
        data = (
            [r.created_at.isoformat(), r.actor.username if r.actor else "", r.organisation or "", r.action,
             r.object_type, r.object_id, r.object_repr, r.ip_address or "", json.dumps(r.changes, ensure_ascii=False)]
            for r in rows[:100000]
        )  # fmt: skip
        return export_response(data, AUDIT_COLUMNS, filename="audit-trail", fmt=fmt)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_log.html",
        {"filter": filterset, "page": page, "query": query.urlencode(), "title": _("Audit trail")},
    )
