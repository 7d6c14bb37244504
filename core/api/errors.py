"""One JSON error shape for every API failure::

{"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"vin": ["..."]}}}
{"error": {"status": 403, "code": "scrap.dismantler_region", "message": "...", "field": "vin"}}

A service's refusal (``core.errors.ServiceError``) is mapped here, once, by its ``http_status``: 400 lists the
field at fault under ``fields``; any other status carries the refusal's ``code`` and ``message``, and ``field``
where the refusal names one. A unique violation no service caught (two requests wrote the same record at once)
is the 409 of ``core.concurrency.written_meanwhile``.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.concurrency import written_meanwhile
from core.errors import ServiceError


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "request too large"
    default_code = "too_large"


class Refused(exceptions.APIException):
    """A business rule refused the request (422); the code names the rule, the message what is missing."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "refused by a business rule"
    default_code = "refused"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "conflict with the current state"
    default_code = "conflict"


def as_api_exception(exc: ServiceError) -> exceptions.APIException:
    """A service's refusal as the API exception of its ``http_status``."""
    status_code = getattr(exc, "http_status", Refused.status_code)
    if status_code == status.HTTP_400_BAD_REQUEST:
        return exceptions.ValidationError(exc.as_dict(), code=exc.code)
    if status_code == status.HTTP_403_FORBIDDEN:
        return exceptions.PermissionDenied(exc.message, code=exc.code)
    if status_code == status.HTTP_404_NOT_FOUND:
        return exceptions.NotFound(exc.message, code=exc.code)
    if status_code == status.HTTP_409_CONFLICT:
        return Conflict(exc.message, code=exc.code)
    answer = Refused(exc.message, code=exc.code)
    answer.status_code = status_code
    return answer


def error_body(status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    body = {"status": status_code, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def exception_handler(exc, context):
    refusal = exc if isinstance(exc, ServiceError) else written_meanwhile(exc)
    if refusal is not None:
        exc = as_api_exception(refusal)
    elif isinstance(exc, DjangoValidationError):
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
        if refusal is not None and refusal.field != "non_field_errors":
            body["error"]["field"] = refusal.field
    return Response(body, status=response.status_code, headers=dict(response.headers))
