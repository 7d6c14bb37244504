"""Alliance membership: applications and the secretariat's decisions (R-ALLIANCE). Every write is audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.actors import acting_organisation
from accounts.models import User
from core.audit import audit_log

from ..models import (
    Membership,
    MembershipStatus,
    MembershipTier,
)
from .common import SECRETARIAT, AllianceConflict, AllianceError


@transaction.atomic
def membership_apply(
    *,
    actor: User,
    tier: MembershipTier,
    statement: str = "",
    public_profile: str = "",
    listed_publicly: bool = True,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    capabilities: str = "",
) -> Membership:
    """An enterprise applies to join the alliance; the secretariat decides (R-ALLIANCE)."""
    org = acting_organisation(actor, enterprise=True)
    if not tier.is_active:
        raise AllianceError("this membership tier is closed for applications", field="tier")
    existing = Membership.objects.select_for_update().filter(organisation=org).first()
    if existing and existing.status in (MembershipStatus.APPLIED, MembershipStatus.APPROVED):
        raise AllianceError(
            f"{org} already has a membership record ({existing.get_status_display()})", code="duplicate"
        )
    fields = {
        "tier": tier,
        "status": MembershipStatus.APPLIED,
        "statement": statement,
        "public_profile": public_profile,
        "listed_publicly": listed_publicly,
        "contact_name": contact_name,
        "contact_phone": contact_phone,
        "contact_email": contact_email,
        "capabilities": capabilities,
        "applied_at": timezone.now(),
        "decided_at": None,
        "decided_by": None,
        "decision_note": "",
    }
    if existing:
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save()
        membership = existing
    else:
        membership = Membership.objects.create(organisation=org, **fields)
    audit_log(actor=actor, action="alliance.membership_apply", obj=membership, changes={"tier": tier.code})
    return membership


@transaction.atomic
def membership_decide(*, actor: User, membership: Membership, approve: bool, note: str = "") -> Membership:
    """The secretariat approves or rejects an application."""
    acting_organisation(actor, SECRETARIAT)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status != MembershipStatus.APPLIED:
        raise AllianceConflict(
            f"the application is {membership.get_status_display()}, not pending", code="conflict"
        )
    now = timezone.now()
    membership.status = MembershipStatus.APPROVED if approve else MembershipStatus.REJECTED
    membership.decided_at, membership.decided_by, membership.decision_note = now, actor, note
    if approve:
        membership.member_since = membership.member_since or timezone.localdate(now)
    membership.save()
    audit_log(
        actor=actor,
        action="alliance.membership_decide",
        obj=membership,
        changes={"status": membership.status},
    )
    return membership
