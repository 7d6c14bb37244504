"""``GET /api/v1/passports/{code}/``: the passport as JSON, cut to the caller's access class (R-PUBLIC)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors


def near_from(request) -> tuple[float, float] | None:
    lat, lon = request.query_params.get("lat"), request.query_params.get("lon")
    if lat is None and lon is None:
        return None
    values = {}
    for name, raw, bound in (("lat", lat, 90), ("lon", lon, 180)):
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise exceptions.ValidationError(
                {name: [f"a WGS-84 coordinate in degrees, not {str(raw)[:40]!r}"]}
            )
        if not -bound <= value <= bound:
            raise exceptions.ValidationError({name: [f"must be between -{bound} and {bound}"]})
        values[name] = value
    return values["lat"], values["lon"]


def _found(body: dict | None, code: str) -> dict:
    """The answer, or a 404 naming the code."""
    if body is None:
        raise exceptions.NotFound(f"no battery with code {code[:64]!r}")
    return body


class PassportView(APIView):
    """Anyone may ask; anonymous callers get the public class, an enterprise that held or worked on the battery
    the legitimate-interest class, a regulator everything (the table in ``passport/data/``)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("lat", float), OpenApiParameter("lon", float)],
        responses=OpenApiResponse(
            OpenApiTypes.OBJECT, description="battery passport: the fields of the caller's access class"
        ),
    )
    def get(self, request, code: str):
        passport = selectors.passport_for(code=code, user=request.user, near=near_from(request))
        return Response(_found(passport, code))


class BatteryPassView(APIView):
    """``GET /api/v1/passports/{code}/battery-pass/``: the EU Battery Pass data model (BatteryPassDataModel 1.2)
    of what the caller's class may see; attributes the platform does not hold are left out."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses=OpenApiResponse(
            OpenApiTypes.OBJECT, description="Battery Pass modules: the fields of the caller's access class"
        )
    )
    def get(self, request, code: str):
        body = selectors.battery_pass_for(code=code, user=request.user)
        return Response(_found(body, code))


class DigitalIdView(APIView):
    """``GET /api/v1/passports/{code}/digital-id/``: the fields the 2026 interim measures name, each with its
    source's firmness mark."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses=OpenApiResponse(
            OpenApiTypes.OBJECT, description="digital ID: the fields of the caller's access class"
        )
    )
    def get(self, request, code: str):
        body = selectors.digital_id_for(code=code, user=request.user)
        return Response(_found(body, code))
