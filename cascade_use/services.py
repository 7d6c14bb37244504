"""Writes for cascade use (R-CASCADE, seed 四(一)2; GB/T 34015 series).

Every change to a battery goes through :mod:`traceability.services`; every write here is audited. Refusals raise
:class:`CascadeError` whose message names what is missing (which maker, which period, which scope).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.actors import acting_organisation, person
from accounts.models import Organisation, User
from core import tenancy
from core.audit import audit_log
from core.dates import local_day
from core.errors import Forbidden, Invalid
from regeneration.selectors import licence_refusal
from traceability import selectors as trace_selectors
from traceability import services as trace
from traceability.codes import compose
from traceability.lifecycle import EventKind, State

from .models import (
    Authorisation,
    ProductSource,
    ProductStatus,
    RepurposedProduct,
    SafetyAssessment,
    Scenario,
    Verdict,
)
from .selectors import waste_reason

if TYPE_CHECKING:
    from traceability.models import Battery


class CascadeError(Invalid):
    """A refused cascade-use write (422); ``field`` names the input at fault, ``code`` the reason."""

    default_code = "refused"


def _require_kind(org: Organisation, kind: str, role: str) -> None:
    if org is None or kind not in org.kinds:
        raise CascadeError(f"{org} is not a {role}", field="enterprise", code="wrong_kind")


# --- authorisations ----------------------------------------------------------------------------------------


@transaction.atomic
def authorisation_grant(
    *,
    battery_maker: Organisation,
    enterprise: Organisation,
    valid_from: date,
    valid_to: date,
    document_ref: str,
    chemistries: list[str] | None = None,
    product_types: list[str] | None = None,
    kind: str = "authorisation",
    actor: User,
) -> Authorisation:
    """A battery maker authorises a cascade-use enterprise to repurpose its batteries (seed 四(一)2); only the
    maker itself (or a platform administrator) grants in its name."""
    _require_kind(battery_maker, "battery_maker", "battery maker")
    if not (actor.is_superuser or actor.organisation_id == battery_maker.pk):
        raise Forbidden(
            "an authorisation is granted by the battery maker itself",
            field="battery_maker",
            code="not_the_maker",
        )
    if "cascade_use" not in enterprise.kinds:
        raise CascadeError(
            f"{enterprise} is not a cascade-use enterprise", field="enterprise", code="wrong_kind"
        )
    if valid_to < valid_from:
        raise CascadeError("the validity ends before it starts", field="valid_to", code="invalid_period")
    if not document_ref.strip():
        raise CascadeError("a document reference is required", field="document_ref", code="required")
    authorisation = Authorisation.objects.create(
        kind=kind,
        battery_maker=battery_maker,
        enterprise=enterprise,
        chemistries=sorted(set(chemistries or [])),
        product_types=sorted(set(product_types or [])),
        valid_from=valid_from,
        valid_to=valid_to,
        document_ref=document_ref.strip(),
        granted_by=person(actor),
    )
    audit_log(
        actor=person(actor),
        action="cascade.authorisation_grant",
        obj=authorisation,
        changes={"enterprise": enterprise.uscc, "valid_to": valid_to, "document_ref": document_ref},
    )
    return authorisation


@transaction.atomic
def authorisation_revoke(*, authorisation: Authorisation, actor: User, reason: str = "") -> Authorisation:
    """The granting battery maker withdraws an authorisation; products already built keep their record."""
    if actor.organisation_id != authorisation.battery_maker_id or not actor.can_write:
        raise Forbidden("only the granting battery maker may revoke an authorisation", field="actor")
    if authorisation.revoked_at is not None:
        raise CascadeError(
            f"authorisation {authorisation.document_ref} was already revoked on "
            f"{timezone.localdate(authorisation.revoked_at).isoformat()}",
            code="already_revoked",
        )
    authorisation.revoked_at = timezone.now()
    authorisation.revoked_by = person(actor)
    authorisation.revoke_reason = reason
    authorisation.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_log(
        actor=person(actor),
        action="cascade.authorisation_revoke",
        obj=authorisation,
        changes={"reason": reason},
    )
    return authorisation


def authorisation_for(*, enterprise: Organisation, battery: Battery, on: date) -> Authorisation:
    """The authorisation that lets ``enterprise`` repurpose ``battery`` on day ``on``, or a refusal naming what
    is missing: no authorisation from this maker, only other makers', expired, revoked, or out of scope."""
    maker = battery.maker
    if maker is None:
        raise CascadeError(
            f"{battery.code}: the battery maker is unknown, so no maker's authorisation can cover it",
            field="sources",
            code="maker_unknown",
        )
    held = list(Authorisation.objects.filter(enterprise=enterprise).select_related("battery_maker"))
    own = [a for a in held if a.battery_maker_id == maker.pk]
    if not own:
        others = sorted({a.battery_maker.display_name for a in held})
        hint = f"; authorisations held are from other makers only: {', '.join(others)}" if others else ""
        raise CascadeError(
            f"{battery.code}: no authorisation from the battery maker {maker.display_name} "
            f"to {enterprise.display_name}{hint}",
            field="sources",
            code="authorisation_missing" if not others else "authorisation_other_maker",
        )
    problems = []
    for a in sorted(own, key=lambda a: a.valid_to, reverse=True):
        # A revocation stops new records at once, including back-dated ones.
        if a.revoked_at is not None:
            problems.append(f"{a.document_ref} was revoked on {local_day(a.revoked_at).isoformat()}")
        elif on > a.valid_to:
            problems.append(f"{a.document_ref} expired on {a.valid_to.isoformat()}")
        elif on < a.valid_from:
            problems.append(f"{a.document_ref} is valid only from {a.valid_from.isoformat()}")
        elif a.chemistries and battery.chemistry not in a.chemistries:
            problems.append(
                f"{a.document_ref} covers chemistries {', '.join(a.chemistries)}, not {battery.chemistry or '?'}"
            )
        elif a.product_types and battery.level not in a.product_types:
            problems.append(
                f"{a.document_ref} covers product types {', '.join(a.product_types)}, not {battery.level}"
            )
        else:
            return a
    code = "authorisation_expired" if all("expired" in p for p in problems) else "authorisation_invalid"
    raise CascadeError(
        f"{battery.code}: no valid authorisation from {maker.display_name} on {on.isoformat()}: "
        + "; ".join(problems),
        field="sources",
        code=code,
    )


# --- safety assessments ------------------------------------------------------------------------------------


def _holding(battery: Battery, enterprise: Organisation) -> None:
    if battery.custodian_id != enterprise.pk:
        raise CascadeError(
            f"{battery.code} is not in the custody of {enterprise.display_name}",
            field="battery",
            code="not_held",
        )


# The serializer's bound too: a new pack may test a little above its rated capacity, not a fifth more.
MAX_SOH_PCT = Decimal(120)


@transaction.atomic
def assessment_record(
    *,
    battery: Battery,
    assessed_at: datetime,
    assessor_name: str,
    visual_ok: bool,
    voltage_v: Decimal,
    voltage_spread_mv: Decimal,
    voltage_consistency_ok: bool,
    test_current_a: Decimal,
    remaining_capacity_ah: Decimal,
    insulation_mohm: Decimal,
    insulation_ok: bool,
    internal_resistance_mohm: Decimal,
    verdict: str,
    polarity_ok: bool = True,
    soh_pct: Decimal | None = None,
    visual_notes: str = "",
    limits: str = "",
    notes: str = "",
    actor: User,
) -> SafetyAssessment:
    """Record a safety assessment before reuse (GB/T 34015.1 steps) and an ``assessed`` lifecycle event.

    SOH is remaining / rated capacity when the rated capacity is known (domain.md §6). A verdict of pass is
    refused when a step failed: the verdict must follow the recorded measurements."""
    enterprise = acting_organisation(actor, "cascade_use")
    _holding(battery, enterprise)
    if verdict not in Verdict.values:
        raise CascadeError(f"unknown verdict {verdict!r}", field="verdict", code="invalid")
    failed_steps = [
        name
        for name, ok in (
            ("visual", visual_ok),
            ("polarity", polarity_ok),
            ("voltage consistency", voltage_consistency_ok),
            ("insulation", insulation_ok),
        )
        if not ok
    ]
    if failed_steps and verdict != Verdict.FAIL:
        raise CascadeError(
            f"failed steps ({', '.join(failed_steps)}) require the verdict 'fail'",
            field="verdict",
            code="invalid",
        )
    if verdict == Verdict.PASS_LIMITED and not limits.strip():
        raise CascadeError("state the limits of use for a pass with limits", field="limits", code="required")
    for name, value in (
        ("voltage_v", voltage_v),
        ("voltage_spread_mv", voltage_spread_mv),
        ("test_current_a", test_current_a),
        ("remaining_capacity_ah", remaining_capacity_ah),
        ("insulation_mohm", insulation_mohm),
        ("internal_resistance_mohm", internal_resistance_mohm),
    ):
        if not (Decimal(value).is_finite() and value >= 0):
            raise CascadeError(f"{name} is a measurement, 0 or more; not {value}", field=name, code="invalid")
    measured_from = "soh_pct"
    if soh_pct is None:
        if not battery.rated_capacity_ah:
            raise CascadeError(
                "the rated capacity is unknown: give the SOH explicitly", field="soh_pct", code="required"
            )
        soh_pct = (Decimal(remaining_capacity_ah) / battery.rated_capacity_ah * 100).quantize(Decimal("0.01"))
        measured_from = "remaining_capacity_ah"
    if not 0 <= soh_pct <= MAX_SOH_PCT:
        raise CascadeError(
            f"an SOH of {soh_pct}% is not a measurement of this battery (0 to {MAX_SOH_PCT}%; a new pack may "
            "test a little above its rating)",
            field=measured_from,
            code="invalid",
        )
    assessment = SafetyAssessment.objects.create(
        battery=battery,
        enterprise=enterprise,
        assessor=person(actor),
        assessor_name=assessor_name,
        assessed_at=assessed_at,
        visual_ok=visual_ok,
        visual_notes=visual_notes,
        polarity_ok=polarity_ok,
        voltage_v=voltage_v,
        voltage_spread_mv=voltage_spread_mv,
        voltage_consistency_ok=voltage_consistency_ok,
        test_current_a=test_current_a,
        remaining_capacity_ah=remaining_capacity_ah,
        soh_pct=soh_pct,
        insulation_mohm=insulation_mohm,
        insulation_ok=insulation_ok,
        internal_resistance_mohm=internal_resistance_mohm,
        verdict=verdict,
        limits=limits,
        notes=notes,
    )
    trace.event_record(
        battery=battery,
        kind=EventKind.ASSESSED,
        actor=actor,
        occurred_at=assessed_at,
        payload={
            "assessment": "safety",
            "assessment_id": assessment.pk,
            "verdict": verdict,
            "soh_pct": str(soh_pct),
            "standard": "GB/T 34015.1",
        },
    )
    audit_log(
        actor=person(actor), action="cascade.assessment_record", obj=assessment, changes={"verdict": verdict}
    )
    return assessment


def latest_assessment(battery: Battery) -> SafetyAssessment | None:
    return SafetyAssessment.objects.filter(battery=battery).order_by("-assessed_at", "-id").first()


# --- repurposed products -----------------------------------------------------------------------------------


def _product_code(*, enterprise: Organisation, sources: list[Battery], level: str, on: date) -> str:
    """A new GB/T 34014 code for the product, marked as cascade use (domain.md §1): the first source's
    manufacturer and chemistry, the enterprise in the traceability field, a per-enterprise serial."""
    first = sources[0]
    serial = RepurposedProduct.objects.filter(enterprise=enterprise).count() + 1
    while True:
        code = compose(
            manufacturer=first.manufacturer_code or first.code[:3],
            product_type=level,
            battery_type=first.chemistry if len({b.chemistry for b in sources}) == 1 else "Z",
            spec="00",
            trace=f"T{enterprise.pk % 1000000:06d}",
            produced=on,
            serial=serial,
            cascade=True,
        )
        if not trace_selectors.battery_code_taken(code=code):
            return code
        serial += 1


@transaction.atomic
def product_create(
    *,
    sources: list[Battery],
    scenario: Scenario,
    name: str,
    site: str,
    site_region: str,
    operator: str,
    commissioned_at: datetime,
    level: str = "P",
    code: str = "",
    rated_energy_kwh: Decimal | None = None,
    nominal_voltage_v: Decimal | None = None,
    actor: User,
) -> RepurposedProduct:
    """Build a second-life product from retired batteries under a new code (R-CASCADE; domain.md §1).

    Each source must be held by the enterprise in cascade use, covered by a valid authorisation of its maker
    on the commissioning day, and have a latest safety assessment that passed with an SOH within the
    scenario's band; a failed item can only go to regeneration."""
    enterprise = acting_organisation(actor, "cascade_use")
    if not sources:
        raise CascadeError("a product needs at least one original battery", field="sources", code="required")
    if len({b.pk for b in sources}) != len(sources):
        raise CascadeError("an original battery is listed twice", field="sources", code="duplicate")
    on = local_day(commissioned_at)
    checked = []
    for battery in sources:
        _holding(battery, enterprise)
        if battery.state != State.CASCADE_USE:
            raise CascadeError(
                f"{battery.code} is in state '{battery.state}', not held for cascade use",
                field="sources",
                code="wrong_state",
            )
        assessment = latest_assessment(battery)
        if assessment is None:
            raise CascadeError(
                f"{battery.code} has no safety assessment: assess it before reuse",
                field="sources",
                code="assessment_missing",
            )
        if assessment.verdict == Verdict.FAIL:
            raise CascadeError(
                f"{battery.code} failed its safety assessment on {local_day(assessment.assessed_at).isoformat()}:"
                " it can only be handed to a regeneration enterprise",
                field="sources",
                code="assessment_failed",
            )
        if assessment.soh_pct < scenario.min_soh_pct:
            raise CascadeError(
                f"{battery.code} has SOH {assessment.soh_pct}%, below the {scenario.min_soh_pct}% that "
                f"'{scenario.name_en}' needs",
                field="scenario",
                code="soh_too_low",
            )
        authorisation = authorisation_for(enterprise=enterprise, battery=battery, on=on)
        checked.append((battery, authorisation, assessment))
    code = code.strip().upper() or _product_code(enterprise=enterprise, sources=sources, level=level, on=on)
    try:
        new = trace.battery_register(
            code=code,
            maker=enterprise,
            actor=actor,
            occurred_at=commissioned_at,
            rated_energy_kwh=rated_energy_kwh,
            mass_kg=sum((b.mass_kg or Decimal(0) for b in sources), Decimal(0)) or None,
            is_cascade_product=True,
            custodian=enterprise,
        )
        trace.product_link(product=new, sources=sources, actor=actor, occurred_at=commissioned_at)
        # The new code starts its second life at the site (REGISTERED -> CASCADE_USE).
        trace.event_record(
            battery=new,
            kind=EventKind.CASCADE_REPURPOSED,
            actor=actor,
            occurred_at=commissioned_at,
            region=site_region,
            place=site,
            payload={"scenario": scenario.key, "operator": operator, "sources": [b.code for b in sources]},
        )
    except trace.TraceabilityError as exc:
        named = exc.field if exc.field in ("code", "rated_energy_kwh") else "sources"
        raise CascadeError(exc.message, field=named, code=exc.code) from exc
    product = RepurposedProduct.objects.create(
        battery=new,
        enterprise=enterprise,
        name=name,
        scenario=scenario,
        site=site,
        site_region=site_region,
        operator=operator,
        rated_energy_kwh=rated_energy_kwh,
        nominal_voltage_v=nominal_voltage_v,
        commissioned_at=commissioned_at,
        created_by=person(actor),
    )
    ProductSource.objects.bulk_create(
        ProductSource(product=product, battery=b, authorisation=a, assessment=s) for b, a, s in checked
    )
    audit_log(
        actor=person(actor),
        action="cascade.product_create",
        obj=product,
        changes={"code": new.code, "sources": [b.code for b in sources], "scenario": scenario.key},
    )
    return product


@transaction.atomic
def product_retire(
    *, product: RepurposedProduct, occurred_at: datetime, actor: User, reason: str = ""
) -> RepurposedProduct:
    """End a product's second life: its code becomes the enterprise's own waste, to hand to regeneration. Only
    a user who may change the product (of its enterprise, not read-only) ends it."""
    if not tenancy.can_write(actor, product):
        raise Forbidden("read-only: this record belongs to another organisation or region", field="actor")
    if product.status != ProductStatus.IN_SERVICE:
        raise CascadeError(f"{product.battery.code} is not in service", code="wrong_state")
    trace.event_record(
        battery=product.battery,
        kind=EventKind.CASCADE_RETIRED,
        actor=actor,
        on_behalf_of=product.enterprise,
        occurred_at=occurred_at,
        payload={"reason": reason} if reason else None,
    )
    product.status, product.retired_at = ProductStatus.RETIRED, occurred_at
    product.save(update_fields=["status", "retired_at"])
    audit_log(actor=person(actor), action="cascade.product_retire", obj=product, changes={"reason": reason})
    return product


# --- waste hand-over ---------------------------------------------------------------------------------------


@transaction.atomic
def waste_handover(
    *,
    battery: Battery,
    to: Organisation,
    occurred_at: datetime,
    actor: User,
) -> None:
    """Hand the enterprise's own waste (a failed item or a product at the end of its second life) to a
    licensed regeneration enterprise (R-CASCADE). The receiver's licence is checked now, on the pack's
    category and the period; the annual scale is checked again when the receiver books the receipt."""
    enterprise = acting_organisation(actor, "cascade_use")
    _holding(battery, enterprise)
    if "regeneration" not in to.kinds:
        raise CascadeError(
            f"{to.display_name} is not a regeneration enterprise", field="to", code="wrong_kind"
        )
    refusal = licence_refusal(enterprise=to, battery=battery, on=local_day(occurred_at), check_scale=False)
    if refusal:
        raise CascadeError(refusal.message, field="to", code=refusal.code)

    reason = waste_reason(battery)
    if reason is None:
        raise CascadeError(
            f"{battery.code} is not waste: it has not failed an assessment nor ended its second life",
            field="battery",
            code="not_waste",
        )
    trace.event_record(
        battery=battery,
        kind=EventKind.HANDED_OVER,
        actor=actor,
        occurred_at=occurred_at,
        release_to=to,
        payload={"to": to.uscc, "purpose": "regeneration", "reason": reason},
    )
    RepurposedProduct.objects.filter(battery=battery).update(status=ProductStatus.HANDED_OVER)
    audit_log(
        actor=person(actor),
        action="cascade.waste_handover",
        obj=battery,
        changes={"to": to.uscc, "reason": reason},
    )
