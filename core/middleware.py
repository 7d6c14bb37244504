import uuid

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
