"""Reads for regeneration: licence checks and usage, intake queue, batch evaluation per edition and per year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Organisation
from core import tenancy
from traceability import selectors as trace
from traceability.lifecycle import EventKind, State

from . import balance
from .models import Batch, Licence, ThresholdEdition, WasteCategory

if TYPE_CHECKING:
    from traceability.models import Battery

THOUSAND = Decimal(1000)


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def category_for(battery: Battery) -> WasteCategory | None:
    """The waste category that covers the battery's chemistry (GB/T 34014 position 5)."""
    return WasteCategory.objects.filter(chemistries__contains=[battery.chemistry or "Z"]).first()


def licence_usage_t(licence: Licence, year: int) -> Decimal:
    """Tonnes received by the licence holder in calendar ``year`` (every ``regeneration_received`` event)."""
    rows = trace.masses_received_by(org=licence.enterprise, kind=EventKind.REGENERATION_RECEIVED, year=year)
    total = sum((Decimal(str(p)) if p is not None else (m or Decimal(0)) for p, m in rows), Decimal(0))
    return total / THOUSAND


def licence_refusal(
    *,
    enterprise: Organisation,
    battery: Battery,
    on: date,
    mass_kg: Decimal | None = None,
    check_scale: bool = True,
) -> Refusal | None:
    """Why ``enterprise`` may not receive ``battery`` on ``on``: no licence, expiry, category or annual scale
    (R-REGEN, seed 四(一)3). None when a licence covers it."""
    licences = list(Licence.objects.filter(enterprise=enterprise).order_by("-valid_to"))
    if not licences:
        return Refusal(
            "licence_missing", f"{enterprise.display_name} holds no hazardous-waste business licence"
        )
    current = [lic for lic in licences if lic.valid_from <= on <= lic.valid_to]
    if not current:
        latest = licences[0]
        if on > latest.valid_to:
            return Refusal(
                "licence_expired",
                f"licence {latest.number} of {enterprise.display_name} expired on {latest.valid_to.isoformat()}",
            )
        return Refusal(
            "licence_not_yet_valid",
            f"licence {latest.number} is valid only from {latest.valid_from.isoformat()}",
        )
    category = category_for(battery)
    if category is None:
        return Refusal(
            "category_unknown", f"{battery.code}: no waste category covers chemistry {battery.chemistry}"
        )
    covering = [lic for lic in current if category.code in lic.categories]
    if not covering:
        held = "; ".join(f"{lic.number}: {', '.join(lic.categories)}" for lic in current)
        return Refusal(
            "licence_category",
            f"{battery.code} is waste category {category.code}, which the licence does not cover ({held})",
        )
    if not check_scale:
        return None
    lic = covering[0]
    mass = Decimal(mass_kg if mass_kg is not None else battery.mass_kg or 0)
    used = licence_usage_t(lic, on.year)
    after = used + mass / THOUSAND
    if after > lic.annual_scale_t:
        return Refusal(
            "licence_scale",
            f"receiving {mass:.1f} kg would bring {on.year} intake under licence {lic.number} to {after:.3f} t, "
            f"beyond its annual scale of {lic.annual_scale_t} t (already {used:.3f} t)",
        )
    return None


@dataclass(frozen=True)
class Usage:
    licence: Licence
    year: int
    used_t: Decimal
    cap_t: Decimal

    @property
    def share_pct(self) -> Decimal:
        return (self.used_t / self.cap_t * 100).quantize(Decimal("0.1")) if self.cap_t else Decimal(0)


def licence_usages(enterprise: Organisation, year: int | None = None) -> list[Usage]:
    year = year or timezone.localdate().year
    return [
        Usage(lic, year, licence_usage_t(lic, year), lic.annual_scale_t)
        for lic in Licence.objects.filter(
            enterprise=enterprise, valid_from__year__lte=year, valid_to__year__gte=year
        )
    ]


def queue_to_receive(enterprise: Organisation) -> QuerySet[Battery]:
    """Batteries released to the enterprise (or held by it) and not yet booked in."""
    states = [State.REMOVED, State.AT_SERVICE_POINT, State.CASCADE_USE]
    return trace.batteries_released_to_or_held(org=enterprise, states=states).order_by(
        "state_changed_at", "id"
    )


def queue_to_process(enterprise: Organisation) -> QuerySet[Battery]:
    """Received packs not yet put in a batch."""
    return (
        trace.batteries_held(custodian=enterprise)
        .filter(state=State.AT_REGENERATION, regeneration_input__isnull=True)
        .order_by("state_changed_at", "id")
    )


def edition_thresholds(edition: ThresholdEdition) -> list[balance.Threshold]:
    return [
        balance.Threshold(
            metric=t.metric,
            label=t.label,
            applies_to=t.applies_to,
            elements=tuple(t.elements),
            routes=tuple(t.routes),
            min_pct=t.min_pct,
            max_pct=t.max_pct,
            max_value=t.max_value,
        )
        for t in edition.thresholds.all()
    ]


def batch_figures(batch: Batch) -> balance.Figures:
    return balance.Figures(
        input_kg=batch.input_kg,
        outputs=[
            balance.Output(o.kind, o.mass_kg, o.cu_impurity_pct, o.al_impurity_pct)
            for o in batch.outputs.all()
        ],
        recoveries=[
            balance.Recovery(r.element, r.route, r.feed_kg, r.recovered_kg) for r in batch.recoveries.all()
        ],
        powder_content_kg=batch.powder_content_kg,
        energy_kgce_per_t=batch.energy_kgce_per_t,
        water_recycled_pct=batch.water_recycled_pct,
    )


def batch_evaluate(batch: Batch, edition: ThresholdEdition | None = None) -> balance.Evaluation:
    """Mass balance and recovery rates of one batch against ``edition`` (default: the batch's own)."""
    edition = edition or batch.edition
    return balance.evaluate(
        batch_figures(batch), edition_thresholds(edition), unexplained_pct=edition.unexplained_mass_pct
    )


def year_evaluate(enterprise: Organisation, year: int, edition: ThresholdEdition) -> balance.Evaluation:
    """Per enterprise per year: the sum of its finished batches, judged like one batch (R-REGEN)."""
    batches = list(
        Batch.objects.filter(enterprise=enterprise, started_at__year=year)
        .exclude(status="open")
        .prefetch_related("outputs", "recoveries")
    )
    outputs, recoveries = [], []
    powder_content = Decimal(0)
    powder_known = bool(batches)
    for b in batches:
        f = batch_figures(b)
        outputs.extend(f.outputs)
        recoveries.extend(f.recoveries)
        if b.powder_content_kg is None:
            powder_known = False
        else:
            powder_content += b.powder_content_kg
    figures = balance.Figures(
        input_kg=sum((b.input_kg for b in batches), Decimal(0)),
        outputs=outputs,
        recoveries=recoveries,
        powder_content_kg=powder_content if powder_known else None,
    )
    return balance.evaluate(
        figures, edition_thresholds(edition), unexplained_pct=edition.unexplained_mass_pct
    )


def editions() -> QuerySet[ThresholdEdition]:
    return ThresholdEdition.objects.prefetch_related("thresholds").order_by("code")


def default_edition() -> ThresholdEdition:
    return (
        ThresholdEdition.objects.filter(is_default=True).first()
        or ThresholdEdition.objects.order_by("-code").first()
    )


def visible_licences(user) -> QuerySet[Licence]:
    return tenancy.visible(Licence.objects.select_related("enterprise"), user)


def visible_batches(user) -> QuerySet[Batch]:
    return tenancy.visible(Batch.objects.select_related("enterprise", "edition"), user)


def licences_held(enterprise: Organisation) -> QuerySet[Licence]:
    """Every hazardous-waste licence registered for ``enterprise``."""
    return Licence.objects.filter(enterprise=enterprise)
