"""One JSON error shape for every API failure::

{"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"vin": ["..."]}}}
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "request too large"
    default_code = "too_large"


class Refused(exceptions.APIException):
    """A business rule refused the request (422); the code names the rule, the message what is missing."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "refused by a business rule"
    default_code = "refused"


def refused(exc) -> Refused:
    """The 422 answer for a service's refusal (any error carrying ``message`` and ``code``)."""
    return Refused(detail=exc.message, code=exc.code)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "conflict with the current state"
    default_code = "conflict"


def error_body(status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    body = {"status": status_code, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        message = "; ".join(
            f"{name}: {msgs[0] if isinstance(msgs, list) and msgs else msgs}" for name, msgs in fields.items()
        )
        body = error_body(response.status_code, "invalid", message or "invalid input", fields)
    else:
        message = detail.get("detail", str(detail)) if isinstance(detail, dict) else str(detail)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes.get("detail", "error") if isinstance(codes, dict) else codes
        body = error_body(response.status_code, str(code), str(message))
    return Response(body, status=response.status_code, headers=dict(response.headers))
