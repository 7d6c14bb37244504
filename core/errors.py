"""The error every service raises for a refused write (no Django imports, so pure modules may use it too)."""


class ServiceError(ValueError):
    """A refused write: ``message`` says why, ``field`` names the input at fault, ``code`` the rule."""

    default_code = "invalid"

    def __init__(self, message: str, *, field: str = "non_field_errors", code: str | None = None):
        super().__init__(message)
        self.message, self.field, self.code = message, field, code or self.default_code

    def as_dict(self) -> dict:
        return {self.field: [self.message]}
