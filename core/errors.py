"""The refusals every service raises (no Django imports, so pure modules may use them too).

One small taxonomy: a refusal is *invalid* input or a refused business rule, a *conflict* with the current state,
a *forbidden* act for this actor, or a record *not found*. Every app's error is a subclass of one of them, and
``http_status`` is the answer's status: the API's exception handler (``core.api.errors``) and the pages'
middleware (``core.pages``) read it, and nothing else maps a refusal to HTTP.
"""


class ServiceError(ValueError):
    """A refused write: ``message`` says why, ``field`` names the input at fault, ``code`` the rule."""

    http_status = 422
    default_code = "invalid"

    def __init__(self, message: str, *, field: str = "non_field_errors", code: str | None = None):
        super().__init__(message)
        self.message, self.field, self.code = message, field, code or self.default_code

    def as_dict(self) -> dict:
        return {self.field: [self.message]}


class Invalid(ServiceError):
    """Bad input or a refused business rule. 422 by default; an app whose API answers bad input with 400 names
    that status on its own subclass (the body then lists the field at fault under ``fields``)."""

    http_status = 422


class Conflict(ServiceError):
    """The write conflicts with the current state: custody held elsewhere, a closed lot, a duplicate (409)."""

    http_status = 409
    default_code = "conflict"


class Forbidden(ServiceError):
    """This actor may not do this: no standing, a read-only role, another organisation's record (403)."""

    http_status = 403
    default_code = "permission_denied"


class NotFound(ServiceError):
    """The record asked for does not exist or is not visible to this actor (404)."""

    http_status = 404
    default_code = "not_found"
