"""Alliance refusals as API errors: one shape, every reason under the field at fault (409 for a conflict)."""

from __future__ import annotations

from contextlib import contextmanager

from rest_framework import exceptions, status

from ... import services


@contextmanager
def refused_as_400():
    """A service refusal becomes the platform's error shape, with every reason under the field at fault."""
    try:
        yield
    except services.AllianceError as exc:
        error = exceptions.ValidationError({exc.field: exc.reasons}, code=exc.code)
        if exc.code in ("conflict", "closed", "too_early"):
            error = exceptions.APIException(exc.message, code=exc.code)
            error.status_code = status.HTTP_409_CONFLICT
        raise error from exc
