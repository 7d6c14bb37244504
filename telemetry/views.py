"""Telemetry pages: a vehicle's and a pack's charts (for those who may read them) and the gateway status."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from traceability import selectors as trace

from . import selectors


@login_required
def vehicle_telemetry(request, vin):
    vehicle = trace.vehicle_get_by_vin(vin=vin, user=request.user)
    if vehicle is None:
        raise Http404
    detail = trace.vehicle_detail(vehicle=vehicle)
    context = {
        "title": _("Telemetry of %(vin)s") % {"vin": vehicle.vin},
        "vehicle": detail,
        "chart": {"series": selectors.timeline_for_vehicle(vin=vehicle.vin), "soh": []},
    }
    return render(request, "telemetry/vehicle.html", context)


@login_required
def battery_telemetry(request, code):
    battery = trace.battery_get_by_code(code=code, user=request.user)
    if battery is None:
        raise Http404
    timeline = selectors.timeline_for_battery(battery_id=battery.pk)
    context = {
        "title": _("Telemetry of pack %(code)s") % {"code": battery.code},
        "battery": battery,
        "health": timeline["health"],
        "chart": {"series": timeline["series"], "soh": timeline["soh"]},
    }
    return render(request, "telemetry/battery.html", context)


@login_required
def gateway(request):
    if not (request.user.is_superuser or request.user.is_staff):
        raise PermissionDenied
    return render(
        request,
        "telemetry/gateway.html",
        {"title": _("GB/T 32960 gateway"), "gateways": selectors.gateway_status()},
    )
