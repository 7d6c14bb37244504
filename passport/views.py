"""The digital-ID page behind a battery's QR code, its QR images and a printable label (R-PUBLIC)."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from traceability import selectors as trace

from . import qr, selectors


def _near(request) -> tuple[float, float] | None:
    """The scanner's position (``?lat=&lon=``, WGS-84) if it gave a valid one; the page ignores a bad one."""
    try:
        lat, lon = float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def passport_url(request, code: str) -> str:
    path = reverse("passport:page", args=[code])
    base = getattr(settings, "PASSPORT_BASE_URL", "")
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


def page(request, code: str):
    passport = selectors.passport_for(code=code, user=request.user, near=_near(request))
    if passport is None:
        raise Http404
    return render(request, "passport/passport.html", {"p": passport, "url": passport_url(request, code)})


def _battery_or_404(code: str):
    battery = trace.battery_get_public(code=code)
    if battery is None:
        raise Http404
    return battery


def qr_svg(request, code: str):
    battery = _battery_or_404(code)
    image = qr.qr_image(passport_url(request, battery.code), kind="svg", scale=4)
    return HttpResponse(image, content_type="image/svg+xml")


def qr_png(request, code: str):
    battery = _battery_or_404(code)
    return HttpResponse(
        qr.qr_image(passport_url(request, battery.code), kind="png"), content_type="image/png"
    )


def label(request, code: str):
    battery = _battery_or_404(code)
    return render(
        request, "passport/label.html", {"battery": battery, "url": passport_url(request, battery.code)}
    )
