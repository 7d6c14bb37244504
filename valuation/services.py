"""Writes of the valuation (R-VALUE, R-ALLIANCE): price sets, valuations and bulk jobs. Every write is audited."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.choices import JJJ_REGIONS
from accounts.models import Organisation, User
from core.audit import audit_log
from core.errors import Forbidden, Invalid
from core.tenancy import scope_of
from telemetry import selectors as telemetry_selectors
from traceability.codes import normalise as normalise_code
from traceability.lifecycle import EventKind, IllegalTransition, next_state
from traceability.selectors import batteries_visible
from traceability.services import event_record

from .core.assess import AssessmentError, assess
from .core.grading import GradeTable
from .models import JobStatus, PriceSet, Valuation, ValuationJob
from .selectors import (
    OWN_PAYLOAD_MARK,
    battery_inputs,
    parameters_and_grades,
    price_set_in_force,
)

if TYPE_CHECKING:
    from traceability.models import Battery

PRICE_SECTIONS = ("per_kwh", "metals_cny_per_kg", "processing_cost_cny_per_kg")


class ValuationError(Invalid):
    """A refused valuation request (400); ``field`` names the input at fault."""

    http_status = 400


def require_assessor(*, actor: User) -> Organisation | None:
    """Enterprises (not read-only roles) assess; regulators read the results."""
    scope = scope_of(actor)
    if not scope.authenticated:
        raise Forbidden("sign in to assess batteries")
    if scope.read_only:
        raise Forbidden("your role is read-only")
    if scope.regulator:
        raise Forbidden("regulators read valuations; enterprises request them")
    return actor.organisation


def _check_prices(prices: dict) -> None:
    if not isinstance(prices, dict):
        raise ValuationError("prices must be an object", field="prices")
    for section, table in prices.items():
        if section == "currency":
            if table != "CNY":
                raise ValuationError("prices must be in CNY", field="prices.currency")
            continue
        if section not in PRICE_SECTIONS:
            raise ValuationError(f"unknown price section {section!r}", field="prices")
        if not isinstance(table, dict):
            raise ValuationError(f"{section} must be an object", field=f"prices.{section}")
        for key, value in table.items():
            if section == "per_kwh" and not isinstance(value, dict):
                raise ValuationError(f"per_kwh.{key} must map chemistry to a price", field="prices.per_kwh")
            values = value.values() if section == "per_kwh" else [value]
            for v in values:
                if isinstance(v, bool) or not isinstance(v, int | float) or v < 0 or v != v:
                    raise ValuationError(
                        f"{section}.{key}: prices are numbers ≥ 0", field=f"prices.{section}"
                    )


def _merge(base: dict, update: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@transaction.atomic
def price_set_publish(*, effective_date: date, prices: dict, source: str, actor: User | None) -> PriceSet:
    """Publish prices in force from ``effective_date`` (for the alliance's price guidance, R-ALLIANCE).

    ``prices`` may be partial, e.g. ``{"per_kwh": {"B": {"B": 400}}}`` or ``{"metals_cny_per_kg": {"Li": 90}}``:
    it is merged over the set in force on that date, so every stored set is complete. Valuations use the set in
    force on their valuation date and keep a copy of it.
    """
    if not source.strip():
        raise ValuationError("say where the prices come from", field="source")
    _check_prices(prices)
    try:
        base = price_set_in_force(on=effective_date).prices
    except LookupError:
        base = {}
    merged = _merge(base, prices)
    missing = [s for s in PRICE_SECTIONS if s not in merged]
    if missing:
        raise ValuationError(f"the first price set needs {', '.join(missing)}", field="prices")
    merged.setdefault("currency", "CNY")
    price_set = PriceSet.objects.create(
        effective_date=effective_date,
        prices=merged,
        source=source.strip()[:300],
        published_by=actor if getattr(actor, "pk", None) else None,
        published_by_org=getattr(actor, "organisation", None),
    )
    audit_log(actor=actor, action="valuation.price_set_publish", obj=price_set,
              changes={"effective_date": effective_date, "update": prices})  # fmt: skip
    return price_set


@transaction.atomic
def valuation_assess(
    *, battery: Battery, actor: User | None, valuation_date: date | None = None, record_event: bool = True
) -> Valuation:
    """Assess one battery from its history and store the result with everything used (R-VALUE).

    With ``record_event`` an ``assessed`` lifecycle event carries the grade and value into the battery's trace
    (marked so it is never read back as a capacity test). Raises :class:`ValuationError` when the history is too
    thin or no prices are in force.
    """
    on = valuation_date or timezone.localdate()
    params, grading = parameters_and_grades()
    try:
        price_set = price_set_in_force(on=on)
    except LookupError as exc:
        raise ValuationError(str(exc), field="valuation_date", code="no_prices") from exc
    inputs = battery_inputs(battery=battery, on=on)
    end_of_day = timezone.make_aware(datetime.combine(on + timedelta(days=1), time.min))
    inputs = replace(
        inputs,
        telemetry=telemetry_selectors.health_for_assessment(
            battery_id=battery.pk, rated_capacity_ah=inputs.rated_capacity_ah, until=end_of_day
        ),
    )
    try:
        result = assess(inputs, params=params, grades=GradeTable.from_dict(grading), prices=price_set.prices)
    except AssessmentError as exc:
        raise ValuationError(f"{battery.code}: {exc.message}", field=exc.field) from exc
    org = getattr(actor, "organisation", None)
    valuation = Valuation.objects.create(
        battery=battery,
        organisation=org,
        created_by=actor if getattr(actor, "pk", None) else None,
        valuation_date=on,
        region=battery.region or (org.region if org else ""),
        soh=result.soh,
        soh_source=result.soh_source[:100],
        rul_years=result.rul_years,
        rul_low_years=result.rul_low_years,
        rul_high_years=result.rul_high_years,
        grade=result.grade,
        route=result.route,
        scenarios=result.scenarios,
        value_cny=result.value_cny,
        inputs=inputs.to_dict(),
        parameters=params,
        grading=grading,
        prices=price_set.prices,
        price_set=price_set,
        parameters_version=params["version"],
        grading_version=grading["version"],
        result=result.to_dict(),
    )
    audit_log(actor=actor, action="valuation.assess", obj=valuation,
              changes={"grade": result.grade, "soh": result.soh, "value_cny": result.value_cny})  # fmt: skip
    if record_event and org is not None and _event_allowed(battery):
        event_record(
            battery=battery,
            kind=EventKind.ASSESSED,
            actor=actor,
            occurred_at=timezone.now(),
            payload={
                "assessment": OWN_PAYLOAD_MARK,
                "valuation_id": valuation.pk,
                "grade": result.grade,
                "soh_estimate": result.soh,
                "value_cny": result.value_cny,
                "route": result.route,
            },
        )
    return valuation


def _event_allowed(battery: Battery) -> bool:
    try:
        next_state(battery.state or None, EventKind.ASSESSED)
    except (IllegalTransition, ValueError):
        return False
    return True


@transaction.atomic
def valuation_job_create(
    *, actor: User, codes: list[str], valuation_date: date | None = None, description: str = ""
) -> ValuationJob:
    """Queue a bulk assessment; the worker runs :func:`valuation_job_run` after the commit."""
    org = require_assessor(actor=actor)
    if org is None:
        raise ValuationError("act for an organisation to run a bulk assessment")
    unique = list(dict.fromkeys(normalise_code(c) for c in codes if c and c.strip()))
    if not unique:
        raise ValuationError("no battery codes to assess", field="codes")
    job = ValuationJob.objects.create(
        organisation=org,
        created_by=actor,
        description=description[:200],
        codes=unique,
        valuation_date=valuation_date or timezone.localdate(),
        total=len(unique),
        region=org.region if org.region in JJJ_REGIONS else "",
    )
    audit_log(actor=actor, action="valuation.job_create", obj=job, changes={"total": job.total})
    from .tasks import valuation_job_run_task  # noqa: PLC0415 - tasks import this module

    transaction.on_commit(lambda: valuation_job_run_task.delay(job.pk))
    return job


PROGRESS_EVERY = 10


def valuation_job_run(*, job_id: int) -> ValuationJob:
    """Assess every code of a job, committing each battery on its own and saving progress as it goes."""
    job = ValuationJob.objects.select_related("created_by").get(pk=job_id)
    if job.status == JobStatus.DONE:  # a redelivered message must not assess the batch twice
        return job
    job.status, job.started_at = JobStatus.RUNNING, job.started_at or timezone.now()
    job.done, job.failed, job.errors = 0, 0, []
    job.save(update_fields=["status", "started_at", "done", "failed", "errors"])
    user = job.created_by
    visible = {b.code: b for b in batteries_visible(user=user).filter(code__in=job.codes)}
    for i, code in enumerate(job.codes, start=1):
        battery = visible.get(code)
        if battery is None:
            job.failed += 1
            job.errors.append({"code": code, "message": "not found or not visible to your organisation"})
        else:
            try:
                valuation_assess(battery=battery, actor=user, valuation_date=job.valuation_date)
                job.done += 1
            except ValuationError as exc:
                job.failed += 1
                job.errors.append({"code": code, "message": exc.message})
        if i % PROGRESS_EVERY == 0:
            job.save(update_fields=["done", "failed", "errors"])
    job.status, job.finished_at = JobStatus.DONE, timezone.now()
    job.save(update_fields=["status", "finished_at", "done", "failed", "errors"])
    audit_log(
        actor=user, action="valuation.job_run", obj=job, changes={"done": job.done, "failed": job.failed}
    )
    return job
