"""Reads for the valuation (R-VALUE): a battery's history as assessment inputs, price sets, valuations, jobs."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from cascade_use import selectors as cascade_selectors
from core import tenancy
from core.dates import local_day
from traceability import selectors as trace
from traceability.lifecycle import EventKind

from . import datafiles
from .core.assess import AssessmentInput, AssessmentResult, assess
from .core.cycle_life import validate_features
from .core.grading import GradeTable
from .models import PriceSet, Valuation, ValuationJob

if TYPE_CHECKING:
    from traceability.models import Battery

OWN_PAYLOAD_MARK = "residual_value"  # our own 'assessed' events, never read back as capacity tests
REMOVAL_KINDS = {EventKind.REMOVED, EventKind.REPLACED_OUT}
SECOND_LIFE_KINDS = {EventKind.CASCADE_RECEIVED, EventKind.CASCADE_REPURPOSED}
EARLY_CYCLE_KEY = "early_cycle_features"  # lab features of cycles 1–100 on an 'assessed' event (R-VALUE)
PASS_WORDS = {"pass", "pass_limited", "passed", "ok", "qualified", "合格", "通过"}
FAIL_WORDS = {"fail", "failed", "rejected", "unqualified", "不合格", "未通过"}


class PriceSetMissing(LookupError):
    pass


def price_set_in_force(*, on: date) -> PriceSet:
    """The price set in force on a date: the latest one effective on or before it."""
    price_set = PriceSet.objects.filter(effective_date__lte=on).order_by("-effective_date", "-id").first()
    if price_set is None:
        raise PriceSetMissing(f"no price set in force on {on.isoformat()}")
    return price_set


def price_set_list(*, user) -> QuerySet[PriceSet]:
    return tenancy.visible(PriceSet.objects.all(), user)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _soh_from(payload: dict, rated_ah: float | None) -> float | None:
    soh = _number(payload.get("soh"))
    if soh is not None:
        return soh / 100 if soh > 1.5 else soh  # percentages are common in reports
    pct = _number(payload.get("soh_pct"))  # cascade-use safety assessments (GB/T 34015.1) report percent
    if pct is not None:
        return pct / 100
    remaining = _number(payload.get("remaining_capacity_ah"))
    if remaining is not None and rated_ah:
        return remaining / rated_ah
    return None


def _safety_from(payload: dict) -> bool | None:
    for key in ("safety_passed", "passed"):
        if isinstance(payload.get(key), bool):
            return payload[key]
    for key in ("safety_verdict", "verdict", "safety_result", "result"):
        word = str(payload.get(key, "")).strip().lower()
        if word in PASS_WORDS:
            return True
        if word in FAIL_WORDS:
            return False
    return None


def battery_inputs(*, battery: Battery, on: date) -> AssessmentInput:
    """What the battery's history says, up to and including ``on`` (R-LIFE events, bindings, assessments)."""
    rated_ah = float(battery.rated_capacity_ah) if battery.rated_capacity_ah is not None else None
    bindings = trace.battery_bindings(battery=battery)
    bindings = [b for b in bindings if local_day(b.bound_at) <= on]
    use = sold = until = None
    if bindings:
        first, last = bindings[0], bindings[-1]
        use = last.vehicle.use
        sold = first.vehicle.sold_at or local_day(first.bound_at)
        if sold and sold > on:
            sold = local_day(first.bound_at)
        until = local_day(last.unbound_at) if last.unbound_at and local_day(last.unbound_at) <= on else None
    second_from = removed = None
    test_day = test_soh = safety = mileage = cycles = early_cycle = None
    events = trace.battery_event_history(battery=battery)
    for event in events.only("kind", "occurred_at", "payload"):
        day = local_day(event.occurred_at)
        if day > on:
            break
        payload = event.payload if isinstance(event.payload, dict) else {}
        if event.kind in REMOVAL_KINDS:
            removed = day
        if event.kind in SECOND_LIFE_KINDS and second_from is None:
            second_from = day
        if payload.get("assessment") == OWN_PAYLOAD_MARK:
            continue
        if isinstance(payload.get(EARLY_CYCLE_KEY), dict):
            early_cycle = payload[EARLY_CYCLE_KEY]
        soh = _soh_from(payload, rated_ah)
        if soh is not None and 0 < soh <= 1.2:
            test_day, test_soh = day, soh
        verdict = _safety_from(payload)
        if verdict is not None:
            safety = verdict
        for key in ("mileage_km", "odometer_km", "mileage"):
            if _number(payload.get(key)) is not None:
                mileage = _number(payload[key])
        for key in ("efc", "cycle_count", "cycles"):
            if _number(payload.get(key)) is not None:
                cycles = _number(payload[key])
    for found in _cascade_assessments(battery, on):
        if found["day"] and (test_day is None or found["day"] >= test_day) and found["soh"] is not None:
            test_day, test_soh = found["day"], found["soh"]
        if found["passed"] is not None:
            safety = found["passed"]
    if until is None and removed is not None and bindings:
        until = removed
    return AssessmentInput(
        valuation_date=on.isoformat(),
        chemistry=battery.chemistry or "",
        rated_capacity_ah=rated_ah,
        rated_energy_kwh=float(battery.rated_energy_kwh) if battery.rated_energy_kwh is not None else None,
        mass_kg=float(battery.mass_kg) if battery.mass_kg is not None else None,
        production_date=battery.production_date.isoformat() if battery.production_date else None,
        vehicle_use=use,
        in_vehicle_from=sold.isoformat() if sold else None,
        in_vehicle_until=until.isoformat() if until else None,
        second_life_from=second_from.isoformat() if second_from else None,
        reported_efc=cycles,
        mileage_km=mileage,
        capacity_test_date=test_day.isoformat() if test_day else None,
        capacity_test_soh=round(test_soh, 4) if test_soh is not None else None,
        safety_passed=safety,
        cycle_life=cycle_life_answer(features=early_cycle) if early_cycle is not None else None,
    )


def cycle_life_answer(*, features: dict) -> dict:
    """The served cycle-life model's answer (with its flags) for early-cycle features, or their errors."""
    model = datafiles.cycle_life_model()
    values, errors = validate_features(features, model)
    if errors:
        return {"errors": errors, "model_version": model.version}
    return model.predict(values).to_dict()


def _cascade_assessments(battery: Battery, on: date) -> list[dict]:
    """The cascade-use app's safety assessments up to ``on``, through its selector."""
    return [
        {"day": r.day, "soh": r.soh_pct / 100, "passed": r.passed}
        for r in cascade_selectors.assessment_readings(battery=battery, on=on)
    ]


def valuation_list(*, user) -> QuerySet[Valuation]:
    return tenancy.visible(Valuation.objects.select_related("battery", "price_set"), user)


def valuation_latest(*, battery: Battery, user) -> Valuation | None:
    return valuation_list(user=user).filter(battery=battery).order_by("-created_at", "-id").first()


def valuation_reproduce(*, valuation: Valuation) -> AssessmentResult:
    """Recompute a stored valuation from its stored inputs, parameters, grade table and prices."""
    return assess(
        AssessmentInput.from_dict(valuation.inputs),
        params=valuation.parameters,
        grades=GradeTable.from_dict(valuation.grading),
        prices=valuation.prices,
    )


def job_list(*, user) -> QuerySet[ValuationJob]:
    return tenancy.visible(ValuationJob.objects.all(), user)


def service_point_stock(*, place_ref: str, user) -> list[str]:
    """Codes of the packs currently held at a service point (``place_ref`` as on its events, e.g. ``sp:12``).

    Read from the lifecycle events so this app does not depend on the network app's models: a pack is in a
    point's stock when it is at a service point and its latest receipt or storage event names that point.
    """
    kinds = [EventKind.RECEIVED, EventKind.STORED]
    held = trace.batteries_visible(user=user).filter(state="at_service_point")
    held = held.annotate(last_place=trace.latest_place_of(kinds=kinds)).filter(last_place=place_ref)
    return list(held.order_by("code").values_list("code", flat=True))


def custody_stock(*, user) -> list[str]:
    """Codes of the retired packs in the user's organisation's custody."""
    org_id = user.organisation_id
    states = ["removed", "at_service_point", "cascade_use"]
    return list(
        trace.batteries_held(custodian=org_id)
        .filter(state__in=states)
        .order_by("code")
        .values_list("code", flat=True)
    )


def job_codes(*, source: str, user, service_point: str = "", codes=()) -> list[str]:
    """The codes a valuation job covers: the stock of a service point, the packs in the user's custody, or the
    codes given (``source`` ``service_point``, ``custody`` or anything else)."""
    if source == "service_point":
        return service_point_stock(place_ref=service_point, user=user)
    if source == "custody":
        return custody_stock(user=user)
    return list(codes)


def parameters_and_grades() -> tuple[dict, dict]:
    return datafiles.parameters(), datafiles.grading_data()


def valuation_history(*, battery: Battery) -> list[Valuation]:
    """Every residual-value assessment of ``battery``, oldest first (its passport's dynamic data; the caller
    decides who may see it)."""
    return list(Valuation.objects.filter(battery=battery).order_by("valuation_date", "created_at", "id"))


def valuation_histories(*, battery_ids: list[int]) -> dict[int, list[Valuation]]:
    """``valuation_history`` of many batteries in one query, keyed by battery id (every id present)."""
    out: dict[int, list[Valuation]] = {pk: [] for pk in battery_ids}
    qs = Valuation.objects.filter(battery_id__in=battery_ids).order_by("valuation_date", "created_at", "id")
    for v in qs:
        out[v.battery_id].append(v)
    return out
