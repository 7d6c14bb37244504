"""Price guidance: the assessor's reference prices, published to the valuation's price sets (R-ALLIANCE, R-VALUE)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.actors import acting_organisation
from accounts.models import User
from core import tenancy
from core.audit import audit_log
from valuation.services import ValuationError, price_set_publish

from ..config import market_rules
from ..models import (
    GuidanceStatus,
    MetalPrice,
    PriceForm,
    PriceGuidance,
    ReferencePrice,
)
from .common import AllianceConflict, AllianceError


@transaction.atomic
def guidance_create(
    *,
    actor: User,
    title: str,
    effective_from: date,
    prices: list[dict],
    metals: list[dict] | None = None,
    notes: str = "",
) -> PriceGuidance:
    """A third-party assessor drafts a guidance issue: reference prices per chemistry, grade and form, and metal
    prices (第三方价格指导, R-ALLIANCE). Grades are the alliance's grade list (market-rules.json)."""
    assessor = acting_organisation(actor, "assessor")
    if not prices:
        raise AllianceError("a guidance issue needs at least one reference price", field="prices")
    grades = set(market_rules().grades)
    seen = set()
    rows = []
    for i, p in enumerate(prices):
        grade = "" if p["form"] == PriceForm.BLACK_MASS else p.get("grade", "")
        if p["form"] != PriceForm.BLACK_MASS and grade not in grades:
            raise AllianceError(
                f"prices[{i}]: unknown grade {grade!r}; known: {', '.join(sorted(grades))}", field="prices"
            )
        key = (p["chemistry"], grade, p["form"])
        if key in seen:
            raise AllianceError(f"prices[{i}]: {key} appears twice", field="prices")
        seen.add(key)
        if Decimal(p["price"]) <= 0:
            raise AllianceError(f"prices[{i}]: a price must be positive", field="prices")
        rows.append((p, grade))
    guidance = PriceGuidance.objects.create(
        assessor=assessor, title=title, effective_from=effective_from, notes=notes
    )
    ReferencePrice.objects.bulk_create(
        ReferencePrice(
            guidance=guidance,
            chemistry=p["chemistry"],
            grade=grade,
            form=p["form"],
            price=Decimal(p["price"]),
            low=p.get("low"),
            high=p.get("high"),
        )
        for p, grade in rows
    )
    MetalPrice.objects.bulk_create(
        MetalPrice(guidance=guidance, metal=m["metal"], price_cny_per_t=Decimal(m["price_cny_per_t"]))
        for m in metals or []
    )
    audit_log(actor=actor, action="alliance.guidance_create", obj=guidance, changes={"prices": len(rows)})
    return guidance


@transaction.atomic
def guidance_publish(*, actor: User, guidance: PriceGuidance) -> PriceGuidance:
    """Publish a draft: from its ``effective_from`` it is the guidance in force until a later issue."""
    acting_organisation(actor, "assessor")
    tenancy.require_write(actor, guidance)
    guidance = PriceGuidance.objects.select_for_update().get(pk=guidance.pk)
    if guidance.status != GuidanceStatus.DRAFT:
        raise AllianceConflict(
            f"the guidance is {guidance.get_status_display()}, not a draft", code="conflict"
        )
    guidance.status, guidance.published_at, guidance.published_by = (
        GuidanceStatus.PUBLISHED,
        timezone.now(),
        actor,
    )
    guidance.save(update_fields=["status", "published_at", "published_by"])
    price_set = _publish_to_valuation(guidance=guidance, actor=actor)
    audit_log(actor=actor, action="alliance.guidance_publish", obj=guidance, changes={"price_set": price_set})
    return guidance


# Li mass fraction of Li2CO3 (2 × 6.941 / 73.89): the valuation prices contained lithium per kg.
LI_IN_LI2CO3 = Decimal("0.18787")
VALUATION_METALS = {"ni": "Ni", "co": "Co", "mn": "Mn", "cu": "Cu", "al": "Al"}


def valuation_prices(guidance: PriceGuidance) -> dict:
    """The guidance as a partial price set of the residual-value assessment: pack prices per kWh by grade and
    chemistry, metal prices per kg of contained metal."""
    per_kwh: dict[str, dict[str, float]] = {}
    for p in guidance.prices.filter(form=PriceForm.PACK):
        per_kwh.setdefault(p.grade, {})[p.chemistry] = float(p.price)
    metals: dict[str, float] = {}
    for m in guidance.metal_prices.all():
        per_kg = m.price_cny_per_t / 1000
        if m.metal in VALUATION_METALS:
            metals[VALUATION_METALS[m.metal]] = float(per_kg.quantize(Decimal("0.01")))
        elif m.metal == "li2co3":
            metals["Li"] = float((per_kg / LI_IN_LI2CO3).quantize(Decimal("0.01")))
    prices: dict = {}
    if per_kwh:
        prices["per_kwh"] = per_kwh
    if metals:
        prices["metals_cny_per_kg"] = metals
    return prices


def _publish_to_valuation(*, guidance: PriceGuidance, actor: User):
    """Hand the published guidance to the residual-value assessment, which prices every valuation with the set
    in force on its valuation date (R-VALUE, R-ALLIANCE)."""
    prices = valuation_prices(guidance)
    if not prices:
        return None
    try:
        price_set = price_set_publish(
            effective_date=guidance.effective_from,
            prices=prices,
            source=f"alliance price guidance #{guidance.pk}: {guidance.assessor.display_name}",
            actor=actor,
        )
    except ValuationError as exc:
        raise AllianceError(
            f"the residual-value assessment refused the prices: {exc.message}", field="prices"
        ) from exc
    return price_set.pk


@transaction.atomic
def guidance_withdraw(*, actor: User, guidance: PriceGuidance, reason: str) -> PriceGuidance:
    acting_organisation(actor, "assessor")
    tenancy.require_write(actor, guidance)
    guidance.status = GuidanceStatus.WITHDRAWN
    guidance.save(update_fields=["status"])
    audit_log(actor=actor, action="alliance.guidance_withdraw", obj=guidance, changes={"reason": reason})
    return guidance
