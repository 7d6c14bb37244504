import uuid

from .audit import RequestContext, reset_request_context, set_request_context


class AuditContextMiddleware:
    """Makes the request's user and address available to ``audit_log`` inside services."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        ip = forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR")
        ctx = RequestContext(user=request.user, ip=ip or None, request_id=uuid.uuid4().hex)
        token = set_request_context(ctx)
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-ID"] = ctx.request_id
        return response
