import uuid

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .audit import RequestContext, client_ip, reset_request_context, set_request_context


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
