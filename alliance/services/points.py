"""Co-built service points: a point shared by several members, with each member's share (R-ALLIANCE)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from accounts.actors import acting_organisation
from accounts.models import Organisation, User
from core import tenancy
from core.audit import audit_log
from core.errors import Forbidden
from recycling_network.services import service_point_update

from .. import rules, selectors
from ..models import (
    PointShare,
    SharedServicePoint,
)
from .common import SECRETARIAT, AllianceError


@dataclass(frozen=True)
class ShareInput:
    member: Organisation
    cost_share: Decimal
    mass_share: Decimal


@transaction.atomic
def shared_point_register(
    *,
    actor: User,
    service_point,
    monthly_cost_cny: Decimal,
    opened_on: date,
    shares: list[ShareInput],
) -> SharedServicePoint:
    """Declare a recycling-network service point co-built, with the members' shares of cost and collected mass
    (R-NET, R-ALLIANCE). The secretariat or the point's operator declares it; share holders must be approved
    members. Every automaker holding a share must be served by the point, so that the network's compliance
    count credits each of them: the point's operator adds missing automakers through the network's service.
    """
    org = acting_organisation(actor, enterprise=True)
    if SECRETARIAT not in org.kinds and org.pk != service_point.operator_id:
        raise Forbidden("only the alliance secretariat or the point's operator may declare it co-built")
    errors = rules.shares_valid([(s.cost_share, s.mass_share) for s in shares])
    if len(shares) < 2:
        errors.append("a co-built point is shared by at least two members")
    if len({s.member.pk for s in shares}) != len(shares):
        errors.append("a member holds at most one share of a point")
    outsiders = [str(s.member) for s in shares if not selectors.is_member(s.member)]
    if outsiders:
        errors.append("not approved alliance members: " + ", ".join(outsiders))
    if errors:
        raise AllianceError("; ".join(errors), field="shares", reasons=errors)
    service_point = type(service_point).objects.get(pk=service_point.pk)  # the network's current row
    if SharedServicePoint.objects.filter(service_point=service_point).exists():
        raise AllianceError("this service point is already declared co-built", field="service_point")
    served = list(service_point.automakers.all())
    missing = [s.member for s in shares if "automaker" in s.member.kinds and s.member not in served]
    if missing:
        if not tenancy.can_write(actor, service_point):
            names = ", ".join(str(m) for m in missing)
            raise AllianceError(
                f"the point does not serve {names}; its operator must declare the sharing",
                field="service_point",
            )
        service_point_update(point=service_point, actor=actor, automakers=served + missing)
    point = SharedServicePoint.objects.create(
        service_point=service_point, monthly_cost_cny=monthly_cost_cny, opened_on=opened_on
    )
    PointShare.objects.bulk_create(
        PointShare(point=point, member=s.member, cost_share=s.cost_share, mass_share=s.mass_share)
        for s in shares
    )
    audit_log(
        actor=actor,
        action="alliance.shared_point_register",
        obj=point,
        changes={
            "shares": [(s.member.pk, s.cost_share, s.mass_share) for s in shares],
            "added": [m.pk for m in missing],
        },
    )
    return point
