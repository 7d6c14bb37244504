"""What every alliance write shares: its refusal and the acting member (R-ALLIANCE)."""

from __future__ import annotations

from accounts.models import Organisation
from core.errors import Conflict, Forbidden, Invalid

from .. import selectors

SECRETARIAT = "alliance_secretariat"


class AllianceError(Invalid):
    """A refused write (400); ``field`` names the input at fault, ``reasons`` lists every reason where there are
    several."""

    http_status = 400

    def __init__(self, message: str, *, field: str = "non_field_errors", code: str = "invalid", reasons=None):
        super().__init__(message, field=field, code=code)
        self.reasons = list(reasons or [message])

    def as_dict(self) -> dict:
        return {self.field: self.reasons}


class AllianceConflict(AllianceError, Conflict):
    """The write conflicts with the state of the application, guidance, lot or bid (409)."""

    http_status = 409


def _require_member(org: Organisation) -> None:
    if not selectors.is_member(org):
        raise Forbidden("only approved alliance members may do this")
