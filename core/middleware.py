import uuid

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .api.errors import error_body
from .audit import RequestContext, client_ip, reset_request_context, set_request_context
from .unstorable import refusal

FORM_BODIES = ("application/x-www-form-urlencoded", "multipart/form-data")


class AuditContextMiddleware:
    """Makes the request's user and address available to ``audit_log`` inside services."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = RequestContext(user=request.user, ip=client_ip(request), request_id=uuid.uuid4().hex)
        token = set_request_context(ctx)
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-ID"] = ctx.request_id
        return response


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese first (R-PUBLIC): the visitor's choice is the language cookie the switch sets; without it the
    page is in the platform's language. A browser's Accept-Language may only ask for Chinese (where the default
    is another language, as in tests), never take a visitor away from it."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in dict(settings.LANGUAGES)
        if not chosen and not translation.get_language_from_request(request).startswith("zh"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)


class UnstorableInputMiddleware:
    """A query string or form field that PostgreSQL could not store (a ``%00``) is a 400 naming the field,
    before any view reads it: views that read ``request.GET`` or ``request.POST`` directly would otherwise pass
    it to the database and fail with a server error. JSON bodies are checked by the API's parser. A form body
    read here is read once: Django keeps it, and DRF takes it from Django (as after the CSRF check)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = refusal(_fields(request.GET))
        if found is None and request.method == "POST" and request.content_type in FORM_BODIES:
            found = refusal(_fields(request.POST))
        if found is None:
            return self.get_response(request)
        field, message = found
        if request.path.startswith("/api/"):
            body = error_body(400, "invalid", f"{field}: {message}", {field: [message]})
            return JsonResponse(body, status=400)
        raise BadRequest(f"{field}: {message}")


def _fields(query) -> dict:
    """A QueryDict as the field names and values a form sent (a repeated field as a list)."""
    return {name: values[0] if len(values) == 1 else values for name, values in query.lists()}
