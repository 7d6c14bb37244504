"""What every alliance write shares: its refusal and the acting member (R-ALLIANCE)."""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied

from accounts.models import Organisation, User
from core import tenancy
from core.errors import ServiceError

from .. import selectors

SECRETARIAT = "alliance_secretariat"


class AllianceError(ServiceError):
    """A refused write; ``field`` names the input at fault, ``reasons`` lists every reason where there are several."""

    def __init__(self, message: str, *, field: str = "non_field_errors", code: str = "invalid", reasons=None):
        super().__init__(message, field=field, code=code)
        self.reasons = list(reasons or [message])


def _acting_org(user: User) -> Organisation:
    scope = tenancy.scope_of(user)
    if scope.read_only:
        raise PermissionDenied("your role is read-only")
    if user.organisation_id is None or scope.regulator:
        raise PermissionDenied("only an enterprise may do this")
    return user.organisation


def _require_member(org: Organisation) -> None:
    if not selectors.is_member(org):
        raise PermissionDenied("only approved alliance members may do this")
