from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.tenancy import scope_of


def home(request):
    scope = scope_of(request.user)
    return render(request, "core/home.html", {"scope": scope, "title": _("Jingjinji Battery Trace")})


def healthz(request):
    """Liveness and database reachability, for load balancers and docker-compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
