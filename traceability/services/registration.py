"""Registration of produced codes (R-CODE): packs, modules and cells, single or in bulk, and product links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.actors import organisation_of, person
from accounts.models import Organisation, User
from core import hooks
from core.audit import audit_log
from core.bounds import MAX_QUANTITY, is_quantity
from core.concurrency import first_writer_wins

from .. import authority, codes
from ..lifecycle import EventKind, State
from ..models import (
    Battery,
    BatteryLink,
    LifecycleEvent,
)
from .events import (
    UNCHANGED,
    EventSpec,
    TraceabilityError,
    _after_events,
    _deadline_for,
    _insert_events,
    _refused,
    _require_writer,
    events_record_bulk,
)

# --- registration (R-CODE) ----------------------------------------------------------------------------------

LEVEL_RANK = {"P": 3, "M": 2, "C": 1}


@dataclass
class BatterySpec:
    """One battery for :func:`batteries_register_bulk`; ``parent_code`` may name a battery of the same call."""

    code: str
    parent: Battery | None = None
    parent_code: str = ""
    rated_capacity_ah: Decimal | None = None
    rated_energy_kwh: Decimal | None = None
    mass_kg: Decimal | None = None
    custodian: Organisation | None = None
    occurred_at: datetime | None = None
    registered: bool = True
    is_cascade_product: bool = False
    maker: Organisation | None = UNCHANGED
    parse_errors: dict | None = None  # for codes first seen at intake that do not parse
    payload: dict = field(default_factory=dict)
    reported_at: datetime | None = None  # defaults to the call's (imports of historical records)


POLICY_REFUSE, POLICY_FLAG = "refuse", "flag"


def unregistered_maker_policy() -> str:
    """What registration does with a code whose manufacturer prefix is not in the code registry (GB/T 34014
    positions 1-3, assigned by 中机中心 编码备案): ``refuse`` (the default) or ``flag`` (accept it and mark
    ``Battery.unregistered_maker``, counted in compliance). The setting ``TRACE_UNREGISTERED_MAKER_POLICY``
    overrides the data file's ``unregistered_manufacturer_policy``."""
    value = (
        getattr(settings, "TRACE_UNREGISTERED_MAKER_POLICY", "") or codes.default_rules().unregistered_policy
    )
    return value if value in (POLICY_REFUSE, POLICY_FLAG) else POLICY_REFUSE


def _manufacturer_check(
    parsed: codes.BatteryCode | None, *, refuse: bool, field_name: str = "manufacturer"
) -> bool:
    """True when the code's maker is not in the registry and the policy accepts it flagged; raises
    :class:`TraceabilityError` naming ``manufacturer`` when the policy refuses it (R-CODE)."""
    if parsed is None or parsed.manufacturer_registered:
        return False
    if refuse and unregistered_maker_policy() == POLICY_REFUSE:
        raise TraceabilityError(
            f"{parsed.code}: manufacturer code {parsed.manufacturer_code} is not in the code registry "
            f"(version {codes.default_rules().version})",
            field=field_name,
            code="manufacturer_unregistered",
        )
    return True


def parse_code(code: str, *, field_name: str = "code") -> codes.BatteryCode:
    try:
        return codes.parse(code, today=timezone.localdate())
    except codes.CodeError as exc:
        raise TraceabilityError(exc.message, field=field_name, code=exc.field) from exc


def battery_register(
    *,
    code: str,
    maker: Organisation | None,
    actor: User | None,
    parent: Battery | None = None,
    rated_capacity_ah=None,
    rated_energy_kwh=None,
    mass_kg=None,
    custodian: Organisation | None = None,
    occurred_at=None,
    registered: bool = True,
    is_cascade_product: bool = False,
) -> Battery:
    """Register one produced pack, module or cell by its GB/T 34014 code and write its ``produced`` event.

    Level, chemistry, specification and production date come from the code; a 25-character cascade-use code is
    accepted and flagged (domain.md §1). Raises :class:`TraceabilityError` naming the code's field at fault.
    """
    spec = BatterySpec(
        code=code,
        parent=parent,
        rated_capacity_ah=rated_capacity_ah,
        rated_energy_kwh=rated_energy_kwh,
        mass_kg=mass_kg,
        custodian=custodian,
        occurred_at=occurred_at,
        registered=registered,
        is_cascade_product=is_cascade_product,
        maker=maker,
    )
    return batteries_register_bulk(specs=[spec], maker=maker, actor=actor)[0]


@transaction.atomic
def battery_register_unknown(*, code: str, actor: User, occurred_at) -> Battery:
    """A code first seen at a service point's intake (R-LIFE): kept as read, even when it does not parse, with
    ``registered=False`` and the parse errors in the ``produced`` event's payload; the caller then records
    ``received``. A code already known is returned as it is."""
    raw = (code or "").strip().upper()
    if not raw:
        raise TraceabilityError("a code is required", field="code", code="required")
    existing = Battery.objects.filter(code=raw).first()
    if existing is not None:
        return existing
    errors = None
    try:
        codes.parse(raw, today=timezone.localdate())
    except codes.CodeError as exc:
        errors = exc.as_dict()
    spec = BatterySpec(
        code=raw,
        custodian=actor.organisation,
        occurred_at=occurred_at,
        registered=False,
        maker=None,
        parse_errors=errors,
        payload={"first_seen_at_intake": True},
    )
    try:
        return batteries_register_bulk(specs=[spec], maker=None, actor=actor)[0]
    except TraceabilityError as exc:
        # Another point took the same unknown code in at the same moment: the code is known now, as it is.
        existing = Battery.objects.filter(code=raw).first() if exc.code == "duplicate" else None
        if existing is None:
            raise
        return existing


@transaction.atomic
def batteries_register_bulk(
    *,
    specs: list[BatterySpec],
    maker: Organisation | None,
    actor: User | None,
    reported_at: datetime | None = None,
    check_manufacturer: bool = False,
) -> list[Battery]:
    """Register many batteries at once (bulk uploads, demo data): batteries, ``produced`` events, ledger, hooks.

    Parents come before their children in ``specs`` or already exist. Raises :class:`TraceabilityError` at the
    first bad spec; nothing is written then. A code of an unregistered maker is refused or flagged as the
    policy says (:func:`unregistered_maker_policy`) when the maker registers it, or with ``check_manufacturer``
    (codes registered at a disassembly); a code first seen at intake is always accepted, flagged. ``actor`` is
    None for the platform on its own.
    """
    org, actor_user = organisation_of(actor), person(actor)
    _require_writer(actor_user)
    now = timezone.now()
    reported_at = reported_at or now
    seen: dict[str, Battery] = {}
    batteries: list[Battery] = []
    for spec in specs:
        battery = _battery_from_spec(spec, maker=maker, actor=org, seen=seen, now=now,
                                     check_manufacturer=check_manufacturer)  # fmt: skip
        seen[battery.code] = battery
        batteries.append(battery)
    if taken := _already_registered(list(seen)):
        raise taken
    # Insert level by level so that a child's parent already has its id. A writer that registered one of the
    # codes since the check above makes the insert meet the unique index: the same refusal, not a server error.
    with first_writer_wins(lambda _: _already_registered_after_all(list(seen))):
        for rank in (3, 2, 1, 0):
            group = [b for b in batteries if LEVEL_RANK.get(b.level, 0) == rank]
            for b in group:
                if b.parent is not None:
                    b.parent_id = b.parent.pk
            Battery.objects.bulk_create(group, batch_size=5000)
    events = []
    for battery, spec in zip(batteries, specs, strict=True):
        occurred = spec.occurred_at or now
        reported = spec.reported_at or reported_at
        if occurred > reported:
            raise TraceabilityError("an event cannot happen after it is reported", field="occurred_at")
        payload = dict(spec.payload)
        if spec.parse_errors:
            payload["parse_errors"] = spec.parse_errors
        if battery.is_cascade_product:
            payload["cascade_product"] = True
        if battery.unregistered_maker:
            payload["unregistered_maker"] = battery.manufacturer_code
        deadline, on_time = _deadline_for(kind=EventKind.PRODUCED, actor=org, occurred_at=occurred,
                                          reported_at=reported)  # fmt: skip
        events.append(
            LifecycleEvent(
                battery=battery,
                kind=EventKind.PRODUCED,
                state_before="",
                state_after=State.REGISTERED,
                actor=org,
                actor_user=actor_user,
                custodian_before_id=None,
                custodian_after_id=battery.custodian_id,
                region=battery.region,
                occurred_at=occurred,
                reported_at=reported,
                deadline=deadline,
                on_time=on_time,
                payload=payload,
            )
        )
    _insert_events(events)
    _after_events(events)
    hooks.records_written("battery", batteries)
    if len(batteries) == 1:
        audit_log(actor=actor_user, action="battery.register", obj=batteries[0])
    else:
        audit_log(
            actor=actor_user,
            action="battery.register_bulk",
            object_type="traceability.battery",
            object_id=f"{batteries[0].pk}..{batteries[-1].pk}",
            changes={"count": len(batteries)},
        )
    return batteries


def _already_registered(codes_: list[str]) -> TraceabilityError | None:
    taken = sorted(Battery.objects.filter(code__in=codes_).values_list("code", flat=True))
    if not taken:
        return None
    return TraceabilityError(f"already registered: {', '.join(taken[:5])}", field="code", code="duplicate")


def _already_registered_after_all(codes_: list[str]) -> TraceabilityError:
    """The refusal once the unique index has spoken (the other writer has committed, so the codes are seen)."""
    refusal = _already_registered(codes_)
    return refusal or TraceabilityError(
        "already registered by a concurrent request", field="code", code="duplicate"
    )


def require_quantity(value: Decimal | None, field_name: str) -> None:
    """A rated capacity, energy or mass as registered: a positive finite number below ``MAX_QUANTITY``."""
    if value is not None and not is_quantity(value):
        raise TraceabilityError(f"must be a positive number below {MAX_QUANTITY:,}", field=field_name)


def _battery_from_spec(
    spec: BatterySpec,
    *,
    maker: Organisation | None,
    actor: Organisation | None,
    seen: dict,
    now: datetime,
    check_manufacturer: bool = False,
) -> Battery:
    code = codes.normalise(spec.code)
    if code in seen:
        raise TraceabilityError(f"{code} appears twice", field="code", code="duplicate")
    if len(code) > (Battery._meta.get_field("code").max_length or len(code)):
        raise TraceabilityError("the code is too long to store", field="code", code="length")
    spec_maker = maker if spec.maker is UNCHANGED else spec.maker
    for name in ("rated_capacity_ah", "rated_energy_kwh", "mass_kg"):
        require_quantity(getattr(spec, name), name)
    parsed = None
    if spec.parse_errors is None and spec.registered:
        parsed = parse_code(code)
    elif spec.parse_errors is None:
        try:
            parsed = codes.parse(code, today=timezone.localdate())
        except codes.CodeError:
            parsed = None
    flagged = _manufacturer_check(parsed, refuse=spec.registered or check_manufacturer)
    parent = spec.parent or (seen.get(codes.normalise(spec.parent_code)) if spec.parent_code else None)
    if spec.parent_code and parent is None:
        parent = Battery.objects.filter(code=codes.normalise(spec.parent_code)).first()
        if parent is None:
            raise TraceabilityError(f"unknown parent {spec.parent_code}", field="parent", code="unknown")
    level = parsed.product_type if parsed else "P"
    if parent is not None and LEVEL_RANK[parent.level] <= LEVEL_RANK[level]:
        raise TraceabilityError(
            f"a {codes.PRODUCT_TYPES[level]} cannot be part of a {codes.PRODUCT_TYPES[parent.level]}",
            field="parent",
            code="hierarchy",
        )
    if actor is not None and spec.registered:
        # A maker registers its own codes; a cascade-use enterprise its products' new codes.
        mine = spec_maker is None or spec_maker.pk == actor.pk
        refusal = authority.decide(
            authority.Request(
                kind=EventKind.PRODUCED,
                state="",
                code=code,
                actor_kinds=frozenset(actor.kinds),
                relations=frozenset({"maker"} if mine else ()),
            )
        )
        if refusal is not None:
            raise _refused(refusal)
    custodian = spec.custodian or spec_maker or actor
    occurred = spec.occurred_at or now
    return Battery(
        code=code,
        level=level,
        parent=parent,
        manufacturer_code=parsed.manufacturer_code if parsed else "",
        chemistry=parsed.battery_type if parsed else "",
        spec_code=parsed.spec_code if parsed else "",
        rated_capacity_ah=spec.rated_capacity_ah,
        rated_energy_kwh=spec.rated_energy_kwh,
        mass_kg=spec.mass_kg,
        maker=spec_maker,
        production_date=parsed.production_date if parsed else None,
        custodian=custodian,
        state=State.REGISTERED,
        region=(custodian.region if custodian else "") or "",
        registered=spec.registered,
        is_cascade_product=spec.is_cascade_product or bool(parsed and parsed.is_cascade),
        unregistered_maker=flagged,
        created_at=now,
        state_changed_at=occurred,
    )


@transaction.atomic
def product_link(*, product: Battery, sources: list[Battery], actor: User, occurred_at) -> None:
    """Link a cascade-use product's new code to every original it was built from (GB/T 34014 §1, R-CODE):
    a :class:`BatteryLink` per source and a ``cascade_repurposed`` event on each source, which is then consumed."""
    if not sources:
        raise TraceabilityError("a cascade-use product needs at least one original battery", field="sources")
    if any(s.pk == product.pk for s in sources):
        raise TraceabilityError("a product cannot be its own source", field="sources")
    links = BatteryLink.objects.bulk_create(
        [BatteryLink(source=s, product=product, created_at=timezone.now()) for s in sources],
        ignore_conflicts=False,
    )
    specs = [
        EventSpec(
            battery=s,
            kind=EventKind.CASCADE_REPURPOSED,
            occurred_at=occurred_at,
            payload={"consumed_into": product.code},
        )
        for s in sources
    ]
    events_record_bulk(specs=specs, actor=actor)
    hooks.records_written("battery_link", links)
    audit_log(
        actor=person(actor),
        action="battery.product_link",
        obj=product,
        changes={"sources": [s.code for s in sources]},
    )
