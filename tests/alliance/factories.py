"""Test helpers for the alliance: members, batteries held by a seller, authorisations and licences."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from alliance import services
from alliance.models import Membership, MembershipStatus, MembershipTier
from cascade_use.models import Authorisation
from regeneration.models import Licence
from tests.factories import OrganisationFactory, UserFactory
from traceability.models import Battery

_serial = itertools.count(1)


def member(kinds=("service_operator",), region="BJ", **kw):
    """An approved member organisation and its manager user."""
    org = OrganisationFactory(kinds=list(kinds), region=region, **kw)
    Membership.objects.create(
        organisation=org,
        tier=MembershipTier.objects.get(code="member"),
        status=MembershipStatus.APPROVED,
        member_since=date(2026, 1, 1),
        contact_phone="010-0000",
    )
    return org, UserFactory(organisation=org)


def battery(*, custodian, maker, chemistry="B", level="P", energy="50", mass="300", state="at_service_point"):
    """A retired battery in ``custodian``'s hands (test setup; the services under test write the events)."""
    n = next(_serial)
    return Battery.objects.create(
        code=f"TST{level}{chemistry}01{n:07d}A11{n:07d}"[:24],
        level=level,
        chemistry=chemistry,
        maker=maker,
        custodian=custodian,
        state=state,
        region=custodian.region,
        rated_energy_kwh=Decimal(energy),
        mass_kg=Decimal(mass),
    )


def authorise(*, maker, enterprise, valid_from=None, valid_to=None):
    today = timezone.localdate()
    return Authorisation.objects.create(
        battery_maker=maker,
        enterprise=enterprise,
        valid_from=valid_from or today - timedelta(days=30),
        valid_to=valid_to or today + timedelta(days=365),
        document_ref=f"AUTH-{next(_serial)}",
    )


def licence(
    *, enterprise, scale_t="100", categories=("LIB-LFP", "LIB-TERNARY"), valid_from=None, valid_to=None
):
    today = timezone.localdate()
    return Licence.objects.create(
        enterprise=enterprise,
        number=f"HW-{next(_serial)}",
        issuing_authority="Test EEB",
        categories=list(categories),
        annual_scale_t=Decimal(scale_t),
        valid_from=valid_from or today - timedelta(days=30),
        valid_to=valid_to or today + timedelta(days=365),
    )


def lot(*, seller_user, batteries, reserve="1000", hours=24, sealed=True, form="pack", soh="0.75"):
    return services.lot_create(
        actor=seller_user,
        title="Retired LFP packs",
        form=form,
        location="Beijing Daxing depot",
        region="BJ",
        reserve_price_cny=Decimal(reserve),
        deadline=timezone.now() + timedelta(hours=hours),
        sealed=sealed,
        items=[services.ItemInput(code=b.code, soh=Decimal(soh)) for b in batteries],
    )
