"""Helpers for cascade-use and regeneration tests: retired packs in an enterprise's custody, authorisations,
licences. Batteries are registered and moved only through the traceability services."""

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.actors import platform_actor
from cascade_use.models import Authorisation, Scenario
from cascade_use.services import assessment_record, authorisation_grant, product_create
from regeneration.services import licence_register
from tests.factories import OrganisationFactory
from traceability.codes import compose
from traceability.services import battery_register, receipt_confirm, release_record

_serial = itertools.count(1)
MAKER_CODES = ["0A1", "03H", "04A", "05C", "02X"]


def now() -> datetime:
    return timezone.now().replace(microsecond=0)


def pack_code(maker_code: str = "0A1", chemistry: str = "E", level: str = "P") -> str:
    return compose(
        manufacturer=maker_code,
        product_type=level,
        battery_type=chemistry,
        spec="01",
        trace="AB12345",
        produced=date(2020, 5, 6),
        serial=next(_serial),
    )


def battery_maker(region="OUT", code: str = "0A1"):
    org = OrganisationFactory(kinds=["battery_maker"], region=region)
    org.maker_code = code
    return org


def cascade_enterprise(region="BJ"):
    return OrganisationFactory(kinds=["cascade_use"], region=region)


def regeneration_enterprise(region="TJ"):
    return OrganisationFactory(kinds=["regeneration"], region=region)


def held_pack(
    *,
    maker,
    holder,
    chemistry: str = "E",
    mass_kg: Decimal = Decimal("300"),
    rated_capacity_ah: Decimal = Decimal("150"),
    kind: str = "cascade_received",
    at: datetime | None = None,
    level: str = "P",
):
    """A retired battery the maker released to ``holder``, who confirmed with a ``kind`` receipt
    (cascade_received / regeneration_received); with ``kind="received"`` it is released only, for the holder to
    book in itself.

    A cascade-use receipt needs the maker's authorisation: when the holder has none, one covering the receipt
    day is granted and withdrawn again afterwards, so that the tests of the later steps start from a pack held
    without a current authorisation (the state such a pack reaches when its authorisation lapses)."""
    at = at or now() - timedelta(days=30)
    battery = battery_register(
        code=pack_code(getattr(maker, "maker_code", "0A1"), chemistry, level),
        maker=maker,
        actor=platform_actor(maker),
        rated_capacity_ah=rated_capacity_ah,
        mass_kg=mass_kg,
        occurred_at=at - timedelta(days=900),
    )
    release_record(battery=battery, actor=platform_actor(maker), receiver=holder, occurred_at=at)
    if kind == "received":
        battery.refresh_from_db()
        return battery
    temporary = None
    authorised = Authorisation.objects.filter(battery_maker=maker, enterprise=holder).exists()
    if kind == "cascade_received" and not authorised:
        day = timezone.localdate(at)
        temporary = authorise(
            maker, holder, valid_from=day, valid_to=day, document_ref=f"RCPT-{next(_serial)}"
        )
    receipt_confirm(battery=battery, actor=platform_actor(holder), occurred_at=at, kind=kind)
    if temporary is not None:
        temporary.delete()
    battery.refresh_from_db()
    return battery


def authorise(maker, enterprise, *, valid_from=None, valid_to=None, **kw):
    today = timezone.localdate()
    return authorisation_grant(
        battery_maker=maker,
        enterprise=enterprise,
        valid_from=valid_from or today - timedelta(days=365),
        valid_to=valid_to or today + timedelta(days=365),
        document_ref=kw.pop("document_ref", f"AUTH-{next(_serial)}"),
        **kw,
        actor=platform_actor(maker),
    )


ASSESSMENT = {
    "assessor_name": "Wang Li",
    "visual_ok": True,
    "voltage_v": Decimal("350.2"),
    "voltage_spread_mv": Decimal("25"),
    "voltage_consistency_ok": True,
    "test_current_a": Decimal("50"),
    "remaining_capacity_ah": Decimal("112.5"),
    "insulation_mohm": Decimal("500"),
    "insulation_ok": True,
    "internal_resistance_mohm": Decimal("1.8"),
}


def assess(battery, enterprise, verdict: str = "pass", **kw):
    data = {**ASSESSMENT, **kw}
    if verdict == "fail":
        data.setdefault("limits", "")
    if verdict == "pass_limited":
        data.setdefault("limits", "max 0.5C")
    return assessment_record(
        battery=battery,
        assessed_at=now() - timedelta(days=10),
        verdict=verdict,
        **data,
        actor=platform_actor(enterprise),
    )


def repurpose(enterprise, sources, *, scenario: str = "telecom_backup", **kw):
    """A product ``enterprise`` builds from ``sources``: by default a base-station backup pack in Beijing,
    commissioned yesterday."""

    defaults = {
        "name": "48 V base-station backup pack",
        "site": "Haidian base station 17",
        "site_region": "BJ",
        "operator": "China Tower Beijing",
        "commissioned_at": now() - timedelta(days=1),
    }
    return product_create(
        sources=sources,
        scenario=Scenario.objects.get(key=scenario),
        **{**defaults, **kw},
        actor=platform_actor(enterprise),
    )


def licence(
    enterprise, *, categories=("LIB-TERNARY", "LIB-LFP"), scale_t=Decimal("1000"), valid_to=None, **kw
):
    today = timezone.localdate()
    return licence_register(
        enterprise=enterprise,
        number=kw.pop("number", f"HW-{next(_serial)}"),
        issuing_authority="Tianjin Ecology and Environment Bureau",
        categories=list(categories),
        annual_scale_t=scale_t,
        valid_from=kw.pop("valid_from", today - timedelta(days=700)),
        valid_to=valid_to or today + timedelta(days=700),
        actor=platform_actor(enterprise),
    )
