import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import tenancy
from core.filtersets import AuditLogFilterSet
from core.list_views import Column, ObjectListView
from core.models import AuditLog
from core.tenancy import scope_of


def home(request):
    scope = scope_of(request.user)
    return render(request, "core/home.html", {"scope": scope, "title": _("Jingjinji Battery Trace")})


def bad_request(request, exception):
    """Django's 400 page, with the reason where the platform gave one (a ``BadRequest`` it raised: a field at
    fault, a refusal); Django's own (a ``SuspiciousOperation``) stays unexplained, as Django intends."""
    reason = str(exception) if type(exception) is BadRequest else ""
    return render(request, "400.html", {"exception": reason}, status=400)


def healthz(request):
    """Liveness and database reachability, for load balancers and docker-compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class AuditLogList(ObjectListView):
    """The audit trail: an enterprise sees its own users' writes, regulators and administrators see all."""

    template_name = "core/audit_log.html"
    title = gettext_lazy("Audit trail")
    filterset_class = AuditLogFilterSet
    paginate_by = 50
    export_filename = "audit-trail"
    export_limit = 100000
    columns = [
        Column("created_at", lambda r: r.created_at.isoformat()),
        Column("actor", "actor.username"),
        Column("organisation", lambda r: r.organisation or ""),
        Column("action"),
        Column("object_type"),
        Column("object_id"),
        Column("object_repr"),
        Column("ip_address"),
        Column("changes", lambda r: json.dumps(r.changes, ensure_ascii=False)),
    ]

    def get_queryset(self):
        return tenancy.visible(AuditLog.objects.select_related("actor", "organisation"), self.request.user)


audit_log_list = login_required(AuditLogList.as_view())
