"""What every write of the recycling network shares: its refusals and who may act for which organisation."""

from __future__ import annotations

from django.utils.translation import gettext

from accounts.actors import acting_organisation
from accounts.models import Organisation, User
from core import tenancy
from core.errors import Conflict, Forbidden, Invalid, NotFound

from ..models import (
    ServicePoint,
)


class NetworkError(Invalid):
    """A refused write (400); ``field`` names the input at fault."""

    http_status = 400


class CustodyConflict(NetworkError, Conflict):
    """The pack is held elsewhere (409): another point's stock, in transit, or already further down the chain."""

    http_status = 409

    def __init__(self, message: str, *, code: str = "custody_conflict"):
        super().__init__(message, field="code", code=code)


def require_operator(*, actor: User, point: ServicePoint) -> Organisation:
    """The acting organisation, which must operate ``point`` (a dismantler cannot receive into a point it does
    not run). 404 for a point the user cannot see, 403 for one it can see but does not operate."""
    if not tenancy.can_read(actor, point):
        raise NotFound(gettext("Not found."), field="id")
    org = acting_organisation(actor)
    if point.operator_id != org.pk and not actor.is_superuser:
        raise Forbidden(f"only the operator of {point.code} ({point.operator}) may record its stock")
    return point.operator
