"""Reads for cascade use: the enterprise's work queues, outstanding waste with deadlines, product traces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Organisation
from core import tenancy
from traceability import selectors as trace
from traceability.lifecycle import State

from .models import (
    Authorisation,
    RepurposedProduct,
    SafetyAssessment,
    Verdict,
    WasteDeadlineRule,
    WasteReason,
)

if TYPE_CHECKING:
    from traceability.models import Battery


def _latest_verdict():
    return Subquery(
        SafetyAssessment.objects.filter(battery=OuterRef("pk"))
        .order_by("-assessed_at", "-id")
        .values("verdict")[:1]
    )


def _held(enterprise: Organisation) -> QuerySet[Battery]:
    return trace.batteries_held(custodian=enterprise).annotate(latest_verdict=_latest_verdict())


def queue_to_assess(enterprise: Organisation) -> QuerySet[Battery]:
    """Originals received for cascade use and not assessed yet."""
    return (
        _held(enterprise)
        .filter(state=State.CASCADE_USE, is_cascade_product=False, latest_verdict__isnull=True)
        .select_related("maker")
        .order_by("state_changed_at", "id")
    )


def queue_to_repurpose(enterprise: Organisation) -> QuerySet[Battery]:
    """Originals whose latest assessment passed (with or without limits), not yet built into a product."""
    return (
        _held(enterprise)
        .filter(
            state=State.CASCADE_USE,
            is_cascade_product=False,
            latest_verdict__in=[Verdict.PASS, Verdict.PASS_LIMITED],
        )
        .select_related("maker")
        .order_by("state_changed_at", "id")
    )


def waste_reason(battery: Battery) -> str | None:
    """Why ``battery`` is its holder's waste (a failed item, a product at the end of its second life)."""
    if battery.is_cascade_product and battery.state == State.REMOVED:
        return WasteReason.END_OF_SECOND_LIFE
    if battery.state in (State.CASCADE_USE, State.REMOVED):
        latest = SafetyAssessment.objects.filter(battery=battery).order_by("-assessed_at", "-id").first()
        if (
            latest is not None
            and latest.verdict == Verdict.FAIL
            and latest.enterprise_id == battery.custodian_id
        ):
            return WasteReason.ASSESSMENT_FAILED
    return None


@dataclass(frozen=True)
class WasteItem:
    battery: Battery
    reason: str
    since: datetime
    deadline: date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def outstanding_waste(enterprise: Organisation, *, today: date | None = None) -> list[WasteItem]:
    """The enterprise's own waste still in its custody, with the hand-over deadline of each item (R-CASCADE)."""
    today = today or timezone.localdate()
    days = dict(WasteDeadlineRule.objects.values_list("reason", "days"))
    items: list[WasteItem] = []
    failed = (
        _held(enterprise)
        .filter(
            state__in=[State.CASCADE_USE, State.REMOVED],
            is_cascade_product=False,
            latest_verdict=Verdict.FAIL,
        )
        .annotate(
            failed_at=Subquery(
                SafetyAssessment.objects.filter(battery=OuterRef("pk"), enterprise=enterprise)
                .order_by("-assessed_at", "-id")
                .values("assessed_at")[:1]
            )
        )
    )
    for battery in failed:
        if battery.failed_at is not None:
            items.append(_item(battery, WasteReason.ASSESSMENT_FAILED, battery.failed_at, days, today))
    ended = trace.batteries_held(custodian=enterprise).filter(is_cascade_product=True, state=State.REMOVED)
    for battery in ended:
        items.append(_item(battery, WasteReason.END_OF_SECOND_LIFE, battery.state_changed_at, days, today))
    return sorted(items, key=lambda i: (i.deadline, i.battery.code))


def _item(battery: Battery, reason: str, since: datetime, days: dict, today: date) -> WasteItem:
    deadline = timezone.localdate(since) + timedelta(days=days.get(reason, 90))
    return WasteItem(battery, reason, since, deadline, (deadline - today).days)


def product_trace(product: RepurposedProduct) -> dict:
    """Back to every original and its history, forward to the product's own events (domain.md §1)."""
    sources = list(
        trace.batteries_built_into(product=product.battery).select_related("maker").order_by("code")
    )
    by_battery = trace.events_of_batteries(battery_ids=[product.battery_id, *(b.pk for b in sources)])
    return {
        "product": product,
        "sources": [(b, by_battery.get(b.pk, [])) for b in sources],
        "events": by_battery.get(product.battery_id, []),
    }


def visible_authorisations(user) -> QuerySet[Authorisation]:
    return tenancy.visible(Authorisation.objects.select_related("battery_maker", "enterprise"), user)


def visible_assessments(user) -> QuerySet[SafetyAssessment]:
    return tenancy.visible(SafetyAssessment.objects.select_related("battery", "enterprise"), user)


def visible_products(user) -> QuerySet[RepurposedProduct]:
    return tenancy.visible(
        RepurposedProduct.objects.select_related("battery", "enterprise", "scenario"), user
    )


def product_of(battery: Battery) -> RepurposedProduct | None:
    """The second-life product that ``battery`` (a cascade-use code) is, with its enterprise and scenario."""
    return RepurposedProduct.objects.select_related("enterprise", "scenario").filter(battery=battery).first()


def latest_assessment_of(battery: Battery) -> SafetyAssessment | None:
    return SafetyAssessment.objects.filter(battery=battery).order_by("-assessed_at", "-id").first()


@dataclass(frozen=True)
class AssessmentReading:
    """A safety assessment as other apps read it (GB/T 34015.1): its local day, measured state of health (%)
    and remaining capacity, and whether it passed (with or without limits)."""

    day: date
    soh_pct: float
    remaining_capacity_ah: float
    passed: bool


def assessment_readings(*, battery: Battery, on: date, limit: int = 50) -> list[AssessmentReading]:
    """The battery's latest ``limit`` safety assessments made on or before the local day ``on``, oldest first."""
    rows = SafetyAssessment.objects.filter(battery=battery, assessed_at__date__lte=on).order_by(
        "-assessed_at", "-id"
    )[:limit]
    readings = [
        AssessmentReading(
            day=timezone.localdate(row.assessed_at),
            soh_pct=float(row.soh_pct),
            remaining_capacity_ah=float(row.remaining_capacity_ah),
            passed=row.verdict != Verdict.FAIL,
        )
        for row in rows
    ]
    return readings[::-1]


def authorisations_held(enterprise: Organisation) -> QuerySet[Authorisation]:
    """Every authorisation granted to ``enterprise``, revoked ones included (their end is the revocation)."""
    return Authorisation.objects.filter(enterprise=enterprise)


def waste_reasons(batteries: list[Battery]) -> dict[int, str | None]:
    """``waste_reason`` of many batteries, keyed by id: one query for the latest safety assessment of those in
    cascade use or removed from it."""
    waiting = [b.pk for b in batteries if b.state in (State.CASCADE_USE, State.REMOVED)]
    latest = {
        a.battery_id: a
        for a in SafetyAssessment.objects.filter(battery_id__in=waiting)
        .order_by("battery_id", "-assessed_at", "-id")
        .distinct("battery_id")
    }
    out: dict[int, str | None] = {}
    for b in batteries:
        a = latest.get(b.pk)
        if b.is_cascade_product and b.state == State.REMOVED:
            out[b.pk] = WasteReason.END_OF_SECOND_LIFE
        elif (
            b.state in (State.CASCADE_USE, State.REMOVED)
            and a is not None
            and a.verdict == Verdict.FAIL
            and (a.enterprise_id == b.custodian_id)
        ):
            out[b.pk] = WasteReason.ASSESSMENT_FAILED
        else:
            out[b.pk] = None
    return out
