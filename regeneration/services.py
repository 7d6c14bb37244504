"""Writes for regeneration (R-REGEN; seed 四(一)3): licences, receipts checked against them, and two-stage
processing batches with mass balance and recovery-rate flags (domain.md §4).

Every change to a battery goes through :mod:`traceability.services`; every write is audited."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from accounts.actors import acting_organisation, person
from accounts.models import Organisation, User
from core import tenancy
from core.audit import audit_log
from core.bounds import MAX_QUANTITY, is_quantity
from core.dates import local_day
from core.errors import Forbidden, Invalid
from traceability import selectors as trace_selectors
from traceability import services as trace
from traceability.lifecycle import EventKind, State

from . import balance
from .models import (
    Batch,
    BatchInput,
    BatchStatus,
    DismantlingOutput,
    Element,
    Licence,
    MaterialRecovery,
    OutputKind,
    Route,
    ThresholdEdition,
    WasteCategory,
)
from .selectors import batch_evaluate, licence_refusal

if TYPE_CHECKING:
    from traceability.models import Battery


class RegenerationError(Invalid):
    """A refused regeneration write (422); ``field`` names the input at fault, ``code`` the reason."""

    default_code = "refused"


def _require_regeneration(org: Organisation) -> None:
    if org is None or "regeneration" not in org.kinds:
        raise RegenerationError(
            f"{org} is not a regeneration enterprise", field="enterprise", code="wrong_kind"
        )


@transaction.atomic
def licence_register(
    *,
    enterprise: Organisation,
    number: str,
    issuing_authority: str,
    categories: list[str],
    annual_scale_t: Decimal,
    valid_from: date,
    valid_to: date,
    actor: User,
) -> Licence:
    """Record a hazardous-waste business licence with its categories and annual scale."""
    _require_regeneration(enterprise)
    known = set(WasteCategory.objects.values_list("code", flat=True))
    unknown = sorted(set(categories) - known)
    if not categories or unknown:
        raise RegenerationError(
            f"unknown waste categories: {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            if unknown
            else "name at least one waste category",
            field="categories",
            code="invalid",
        )
    if valid_to < valid_from:
        raise RegenerationError("the validity ends before it starts", field="valid_to", code="invalid_period")
    if Decimal(annual_scale_t) <= 0:
        raise RegenerationError("the annual scale must be positive", field="annual_scale_t", code="invalid")
    if Licence.objects.filter(number=number.strip()).exists():
        raise RegenerationError(f"licence {number} is already registered", field="number", code="duplicate")
    licence = Licence.objects.create(
        enterprise=enterprise,
        number=number.strip(),
        issuing_authority=issuing_authority,
        categories=sorted(set(categories)),
        annual_scale_t=annual_scale_t,
        valid_from=valid_from,
        valid_to=valid_to,
        registered_by=person(actor),
    )
    audit_log(
        actor=person(actor),
        action="regeneration.licence_register",
        obj=licence,
        changes={"categories": categories},
    )
    return licence


@transaction.atomic
def pack_receive(
    *,
    battery: Battery,
    occurred_at: datetime,
    mass_kg: Decimal | None = None,
    actor: User,
) -> None:
    """Book a battery in for regeneration after checking the licence: category, validity and annual scale
    (R-REGEN). Only a battery handed to this enterprise can be booked in; the receipt is a
    ``regeneration_received`` lifecycle event carrying the weighed mass, which counts towards the scale."""
    enterprise = acting_organisation(actor, "regeneration")
    released_here = trace_selectors.release_open_to(battery=battery, org=enterprise)
    if battery.custodian_id != enterprise.pk and not released_here:
        raise RegenerationError(
            f"{battery.code} has not been handed to {enterprise.display_name}",
            field="battery",
            code="not_held",
        )
    mass = Decimal(mass_kg) if mass_kg is not None else battery.mass_kg
    if not mass or mass <= 0:
        raise RegenerationError(
            f"{battery.code}: weigh it and give its mass", field="mass_kg", code="required"
        )
    if not is_quantity(mass):
        raise RegenerationError(f"mass_kg is a weight below {MAX_QUANTITY:,} kg", field="mass_kg")
    refusal = licence_refusal(enterprise=enterprise, battery=battery, on=local_day(occurred_at), mass_kg=mass)
    if refusal:
        raise RegenerationError(refusal.message, field="battery", code=refusal.code)
    trace.event_record(
        battery=battery,
        kind=EventKind.REGENERATION_RECEIVED,
        actor=actor,
        occurred_at=occurred_at,
        payload={"mass_kg": str(mass)},
    )
    audit_log(actor=person(actor), action="regeneration.pack_receive", obj=battery, changes={"mass_kg": mass})


@transaction.atomic
def batch_create(
    *,
    reference: str,
    batteries: list[Battery],
    started_at: datetime,
    edition: ThresholdEdition,
    masses: dict[int, Decimal] | None = None,
    powder_content_kg: Decimal | None = None,
    notes: str = "",
    actor: User,
) -> Batch:
    """Open a batch with its input packs (received here, not in another batch); masses default to the weighed
    receipt mass or the registered mass."""
    enterprise = acting_organisation(actor, "regeneration")
    if powder_content_kg is not None and not is_quantity(powder_content_kg, zero=True):
        raise RegenerationError(
            f"powder_content_kg is a weight from 0 to {MAX_QUANTITY:,} kg", field="powder_content_kg"
        )
    if not batteries:
        raise RegenerationError("a batch needs at least one input pack", field="batteries", code="required")
    if Batch.objects.filter(enterprise=enterprise, reference=reference).exists():
        raise RegenerationError(f"batch {reference} already exists", field="reference", code="duplicate")
    masses = masses or {}
    rows = []
    for battery in batteries:
        if battery.custodian_id != enterprise.pk or battery.state != State.AT_REGENERATION:
            raise RegenerationError(
                f"{battery.code} is not received for regeneration by {enterprise.display_name}",
                field="batteries",
                code="not_received",
            )
        if BatchInput.objects.filter(battery=battery).exists():
            raise RegenerationError(
                f"{battery.code} is already in a batch", field="batteries", code="duplicate"
            )
        mass = masses.get(battery.pk) or _received_mass(battery) or battery.mass_kg
        if not mass:
            raise RegenerationError(
                f"{battery.code}: its mass is unknown", field="batteries", code="required"
            )
        rows.append((battery, Decimal(mass)))
    batch = Batch.objects.create(
        enterprise=enterprise,
        reference=reference,
        edition=edition,
        started_at=started_at,
        input_kg=sum((m for _, m in rows), Decimal(0)),
        powder_content_kg=powder_content_kg,
        notes=notes,
        created_by=person(actor),
    )
    BatchInput.objects.bulk_create(BatchInput(batch=batch, battery=b, mass_kg=m) for b, m in rows)
    audit_log(
        actor=person(actor), action="regeneration.batch_create", obj=batch, changes={"inputs": len(rows)}
    )
    return batch


def _received_mass(battery: Battery) -> Decimal | None:
    event = trace_selectors.latest_event_of_kind(battery=battery, kind=EventKind.REGENERATION_RECEIVED)
    value = (event.payload or {}).get("mass_kg") if event else None
    return Decimal(value) if value else None


def _store_flags(batch: Batch) -> None:
    evaluation = batch_evaluate(batch)
    batch.flags = [f.as_dict() for f in evaluation.flags]
    batch.has_shortfall, batch.has_unexplained_mass = (
        evaluation.has_shortfall,
        evaluation.has_unexplained_mass,
    )
    batch.save(update_fields=["flags", "has_shortfall", "has_unexplained_mass"])


def _require_write(actor: User, batch: Batch) -> None:
    """Only a regeneration enterprise's user who may change the batch (of its enterprise, not read-only) records
    its stages: a regulator, who may change its region's records, does not."""
    acting_organisation(actor, "regeneration")
    if not tenancy.can_write(actor, batch):
        raise Forbidden("read-only: this record belongs to another organisation or region", field="actor")


def _inputs_event(*, batch: Batch, kind: str, standard: str, actor: User, occurred_at: datetime) -> None:
    """A stage's lifecycle event on every input pack of the batch, naming the batch and the stage's standard."""
    for item in batch.inputs.select_related("battery"):
        trace.event_record(
            battery=item.battery,
            kind=kind,
            actor=actor,
            on_behalf_of=batch.enterprise,
            occurred_at=occurred_at,
            payload={"batch": batch.reference, "standard": standard},
        )


@transaction.atomic
def batch_stage1_record(
    *,
    batch: Batch,
    outputs: list[dict],
    finished_at: datetime,
    actor: User,
) -> Batch:
    """Stage 1, harmless dismantling and discharge (GB/T 33598, 33598.3): outputs with their masses.

    Outputs heavier than the inputs are rejected; unexplained mass above the edition's tolerance is flagged.
    Each input pack gets a ``dismantled`` lifecycle event."""
    _require_write(actor, batch)
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.OPEN:
        raise RegenerationError(f"batch {batch.reference}: stage 1 is already recorded", code="wrong_state")
    if finished_at < batch.started_at:
        raise RegenerationError("stage 1 cannot finish before the batch started", field="finished_at")
    parsed = []
    for row in outputs:
        if row.get("kind") not in OutputKind.values:
            raise RegenerationError(f"unknown output {row.get('kind')!r}", field="outputs", code="invalid")
        parsed.append(
            balance.Output(
                row["kind"],
                Decimal(row["mass_kg"]),
                _share(row.get("cu_impurity_pct"), "cu_impurity_pct"),
                _share(row.get("al_impurity_pct"), "al_impurity_pct"),
            )
        )
    if not parsed:
        raise RegenerationError("record at least one output", field="outputs", code="required")
    with _mass_balance():
        balance.check_stage1(input_kg=batch.input_kg, outputs=parsed)
    DismantlingOutput.objects.bulk_create(
        DismantlingOutput(
            batch=batch,
            kind=o.kind,
            mass_kg=o.mass_kg,
            cu_impurity_pct=o.cu_impurity_pct,
            al_impurity_pct=o.al_impurity_pct,
        )
        for o in parsed
    )
    _inputs_event(
        batch=batch,
        kind=EventKind.DISMANTLED,
        standard="GB/T 33598",
        actor=actor,
        occurred_at=finished_at,
    )
    batch.status, batch.dismantled_at = BatchStatus.DISMANTLED, finished_at
    batch.save(update_fields=["status", "dismantled_at"])
    _store_flags(batch)
    audit_log(
        actor=person(actor), action="regeneration.batch_stage1", obj=batch, changes={"outputs": len(parsed)}
    )
    return batch


@transaction.atomic
def batch_stage2_record(
    *,
    batch: Batch,
    recoveries: list[dict],
    finished_at: datetime,
    energy_kgce_per_t: Decimal | None = None,
    water_recycled_pct: Decimal | None = None,
    actor: User,
) -> Batch:
    """Stage 2, material recovery (GB/T 33598.2): each element with its route, feed and recovered mass.

    Recovered above feed, or feed above the stage-1 outputs, is rejected; rates below the edition's thresholds
    are flagged. Each input pack gets a ``materials_recovered`` lifecycle event."""
    _require_write(actor, batch)
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.DISMANTLED:
        raise RegenerationError(
            f"batch {batch.reference}: stage 2 needs stage 1 done (status is {batch.status})",
            code="wrong_state",
        )
    if batch.dismantled_at and finished_at < batch.dismantled_at:
        raise RegenerationError("stage 2 cannot finish before stage 1", field="finished_at")
    _share(water_recycled_pct, "water_recycled_pct")
    if energy_kgce_per_t is not None and not (
        Decimal(energy_kgce_per_t).is_finite() and energy_kgce_per_t >= 0
    ):
        raise RegenerationError("energy_kgce_per_t is an energy use, 0 or more", field="energy_kgce_per_t")
    parsed = []
    for row in recoveries:
        if row.get("element") not in Element.values or row.get("route") not in Route.values:
            raise RegenerationError(
                f"unknown element or route: {row.get('element')!r} / {row.get('route')!r}", field="recoveries"
            )
        parsed.append(
            (
                balance.Recovery(
                    row["element"], row["route"], Decimal(row["feed_kg"]), Decimal(row["recovered_kg"])
                ),
                row,
            )
        )
    if not parsed:
        raise RegenerationError("record at least one recovered element", field="recoveries", code="required")
    if len({(r.element, r.route) for r, _ in parsed}) != len(parsed):
        raise RegenerationError("an element and route appear twice", field="recoveries", code="duplicate")
    stage1 = sum((o.mass_kg for o in batch.outputs.all()), Decimal(0))
    with _mass_balance():
        balance.check_stage2(stage1_output_kg=stage1, recoveries=[r for r, _ in parsed])
    MaterialRecovery.objects.bulk_create(
        MaterialRecovery(
            batch=batch,
            element=r.element,
            route=r.route,
            feed_kg=r.feed_kg,
            recovered_kg=r.recovered_kg,
            product_form=row.get("product_form", "") or "",
        )
        for r, row in parsed
    )
    _inputs_event(
        batch=batch,
        kind=EventKind.MATERIALS_RECOVERED,
        standard="GB/T 33598.2",
        actor=actor,
        occurred_at=finished_at,
    )
    batch.status, batch.recovered_at = BatchStatus.RECOVERED, finished_at
    batch.energy_kgce_per_t, batch.water_recycled_pct = energy_kgce_per_t, water_recycled_pct
    batch.save(update_fields=["status", "recovered_at", "energy_kgce_per_t", "water_recycled_pct"])
    _store_flags(batch)
    audit_log(
        actor=person(actor), action="regeneration.batch_stage2", obj=batch, changes={"lines": len(parsed)}
    )
    return batch


@contextmanager
def _mass_balance() -> Iterator[None]:
    """A stage's mass balance that does not hold, refused as outputs exceeding their inputs."""
    try:
        yield
    except balance.BalanceError as exc:
        raise RegenerationError(exc.message, field=exc.field, code="outputs_exceed_inputs") from exc


def _opt(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _share(value, field: str) -> Decimal | None:
    """A percentage as measured: a share of the whole, 0 to 100."""
    number = _opt(value)
    if number is not None and not (number.is_finite() and 0 <= number <= 100):
        raise RegenerationError(f"{field} is a percentage from 0 to 100, not {number}", field=field)
    return number
