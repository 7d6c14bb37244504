"""A service's refusal on a page, mapped once: by ``refusals`` where the page shows it beside the form or as a
message (a record not found answers 404), and by ``RefusalMiddleware`` where it escapes a page view: a
forbidden act answers 403, a record not found 404, any other refusal 400, never a 500. The API maps the same
refusals in ``core.api.errors``."""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404

from .concurrency import written_meanwhile
from .errors import Forbidden, NotFound, ServiceError


def as_page_exception(exc: ServiceError) -> Exception:
    """The Django exception whose handler answers this refusal on a page."""
    status = getattr(exc, "http_status", ServiceError.http_status)
    if status == Forbidden.http_status:
        return PermissionDenied(exc.message)
    if status == NotFound.http_status:
        return Http404(exc.message)
    return BadRequest(exc.message)


def posted_id(request, name: str) -> int:
    """The id of a record a form posts under ``name``. Anything but a whole number is a 400 naming the field:
    passed on, the database would refuse it with a server error."""
    raw = request.POST.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise BadRequest(f"{name}: expected the number of a record, got {raw[:40]!r}")
    return int(raw)


@contextmanager
def refusals(request, form=None):
    """Show a refusal raised inside the block and carry on after it: beside the form's field at fault (or at
    the top of the form), or as an error message where there is no form. A record not found answers 404.

        with refusals(request, form):
            services.do(...)
            return redirect(...)
        return render(...)  # the form again, with the refusal
    """
    try:
        yield
    except ServiceError as exc:
        if getattr(exc, "http_status", None) == NotFound.http_status:
            raise as_page_exception(exc) from exc
        if form is None:
            messages.error(request, exc.message)
        else:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class RefusalMiddleware:
    """A refusal no page caught answers 403, 404 or 400 through Django's error pages; so does a unique violation
    no service caught (two requests wrote the same record at once)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        refusal = exception if isinstance(exception, ServiceError) else written_meanwhile(exception)
        if refusal is not None:
            raise as_page_exception(refusal) from exception
        return None
