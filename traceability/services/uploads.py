"""Bulk uploads (REST and CSV/XLSX pages): one result per item, a refused item loses nothing else
(R-BIND, R-CODE, R-LIFE)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from hashlib import sha256
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from accounts.actors import acting_organisation, person
from accounts.choices import Region
from accounts.models import Organisation, User
from core import hooks
from core.audit import audit_log
from core.dates import parse_when
from core.errors import ServiceError

from .. import authority, codes
from .. import vin as vin_mod
from ..bulk_sql import copy_lines, copy_value, reserve_ids
from ..ledger_store import canonical_bytes, canonical_record, ledger_append_leaves
from ..lifecycle import EventKind, IllegalTransition, State, Step, next_state
from ..models import (
    Battery,
    Replacement,
    Vehicle,
    VehicleUse,
)
from .bindings import replacement_record
from .events import (
    EVENT_INSERT_COLUMNS,
    RELEASES,
    UNCHANGED,
    EventSpec,
    Proposal,
    TraceabilityError,
    TraceabilityForbidden,
    _deadline_for_kinds,
    _refused,
    _require_writer,
    events_record_bulk,
)
from .registration import (
    BatterySpec,
    _manufacturer_check,
    batteries_register_bulk,
    parse_code,
    require_quantity,
)

# --- the bindings fast path's rows: read by name, written by name -------------------------------------------


class _PackRow(NamedTuple):
    """A pack as the bindings query reads it, with the VIN of its open binding."""

    id: int
    code: str
    level: str
    registered: bool
    custodian_id: int | None
    maker_id: int | None
    production_date: date | None
    state: str
    region: str
    bound_vin: str | None
    vehicle_use_ended: bool


class _VehicleRow(NamedTuple):
    vin: str
    id: int
    automaker_id: int
    region: str


@dataclass(slots=True)
class _NewVehicle:
    """A vehicle the upload registers; its id is reserved when the batch is written."""

    vin: str
    region: str
    model_name: str
    use: str
    sold_on: date
    id: int | None = None


class _Planned(NamedTuple):
    """A good item, checked and ready to write."""

    item_index: int
    pack: _PackRow
    vin: str
    region: str
    sold_at: datetime
    reported_at: datetime
    step: Step


# What the outbox hears of the rows the fast path wrote with COPY (``core.hooks.records_written``): the attributes
# of the models, by their names, that its field map reads; a model instance per row would cost as much as the
# write itself.


class WrittenBattery(NamedTuple):
    pk: int
    id: int
    code: str


class WrittenEvent(NamedTuple):
    pk: int
    id: int
    battery: WrittenBattery
    battery_id: int
    kind: str
    state_before: str
    state_after: str
    actor: Organisation
    actor_id: int
    actor_user_id: int | None
    custodian_before: Organisation | None
    custodian_before_id: int | None
    custodian_after: Organisation
    custodian_after_id: int
    region: str
    occurred_at: datetime
    reported_at: datetime
    deadline: datetime
    on_time: bool
    payload: dict
    place: str = ""
    place_ref: str = ""


class WrittenVehicle(NamedTuple):
    pk: int
    id: int
    vin: str
    automaker: Organisation
    automaker_id: int
    model_name: str
    region: str


class WrittenBinding(NamedTuple):
    pk: int
    id: int
    vehicle: WrittenVehicle
    vehicle_id: int
    pack: WrittenBattery
    pack_id: int
    bound_at: datetime
    created_at: datetime
    unbound_at: datetime | None = None
    unbound_reason: str = ""


# --- bulk uploads: one result per item (REST and CSV/XLSX pages) -------------------------------------------

CREATED, UNCHANGED_STATUS, ERROR = "created", "unchanged", "error"


def _result(index: int, status: str, **extra) -> dict:
    return {"index": index, "status": status, **extra}


def _error(index: int, errors: dict, rule: str | None = None) -> dict:
    if rule:
        return _result(index, ERROR, errors=errors, rule=rule)
    return _result(index, ERROR, errors=errors)


VEHICLE_USES = frozenset(VehicleUse.values)
REGIONS = frozenset(Region.values)


@transaction.atomic
def bindings_upload(
    *,
    items: list,
    actor: User,
    reported_at: datetime | None = None,
    reported_at_by_index: dict[int, datetime] | None = None,
) -> list[dict]:
    """Vehicle-battery pairs from an automaker (R-BIND; 溯源管理暂行规定 第九条): ``{"vin", "pack_code",
    "sold_at"}`` plus optional ``model_name``, ``use`` and ``region`` (of registration; default the automaker's).

    Set-based, on plain tuples: the items are checked in Python, then one query loads (and locks) the packs with
    their open bindings and one the vehicles; the good items are written with ``COPY`` (vehicles, bindings,
    ``bound`` events), the packs move in one ``UPDATE``, the outbox hears of everything in one call and the ledger
    grows once, last, so that its lock is held as briefly as possible. An exact replay is ``unchanged``; every
    good item is kept when others fail.
    """
    org, actor_user = acting_organisation(actor), person(actor)
    _require_writer(actor_user)
    now = timezone.now()
    reported_at = reported_at or now
    by_index = reported_at_by_index or {}
    # The authority first on the actor's kind (a whole-upload refusal: no automaker, no binding); then per pack on
    # its state and the actor's relation to it, memoised, since a batch holds only a few distinct pairs (the
    # refusal names the state, not a pack: the item's index and its pack_code say which).
    refusal = authority.decide(
        authority.Request(
            kind=EventKind.BOUND,
            state=State.REGISTERED,
            actor_kinds=frozenset(org.kinds),
            relations=frozenset({"holder"}),
        )
    )
    if refusal is not None:
        raise _refused(refusal)
    results: list[dict | None] = [None] * len(items)
    clean = _binding_items(items, actor=org, results=results)
    if not clean:
        return results  # type: ignore[return-value]

    with connection.cursor() as cur:
        # Lock the packs in id order so that two uploads cannot deadlock; the open binding comes along (a
        # correlated lookup: one probe of the partial unique index per pack, whatever the statistics say).
        cur.execute(
            "SELECT b.id, b.code, b.level, b.registered, b.custodian_id, b.maker_id, b.production_date, b.state, "
            "b.region, (SELECT v.vin FROM traceability_binding k JOIN traceability_vehicle v ON v.id = k.vehicle_id "
            "WHERE k.pack_id = b.id AND k.unbound_at IS NULL), b.vehicle_use_ended FROM traceability_battery b "
            "WHERE b.code = ANY(%s) ORDER BY b.id FOR UPDATE",
            [list({c[2] for c in clean})],
        )
        packs = {row.code: row for row in map(_PackRow._make, cur.fetchall())}
        cur.execute(
            "SELECT vin, id, automaker_id, region FROM traceability_vehicle WHERE vin = ANY(%s)",
            [list({c[1] for c in clean})],
        )
        vehicles = {row.vin: row for row in map(_VehicleRow._make, cur.fetchall())}

    new_vehicles: dict[str, _NewVehicle] = {}
    planned: list[_Planned] = []
    used: set[str] = set()
    steps: dict[Any, Any] = {}
    decisions: dict[tuple, Any] = {}
    for i, vin, code, sold_at, extra in clean:
        pack = packs.get(code)
        bound_vin = pack.bound_vin if pack is not None else None
        if pack is None or not (_bindable(pack, org.pk) or bound_vin == vin):
            message = "no pack with this code is available to you"
            error = codes.check(code) if pack is None else None
            if error is not None:
                message = f"{error.field}: {error.message}"
            results[i] = _error(i, {"pack_code": [message]})
            continue
        vehicle = vehicles.get(vin)
        if vehicle is not None and vehicle.automaker_id != org.pk:
            results[i] = _error(i, {"vin": ["this VIN is registered by another automaker"]})
            continue
        if bound_vin == vin:
            results[i] = _result(i, UNCHANGED_STATUS, vin=vin, pack_code=code)
            continue
        if bound_vin is not None or code in used:
            results[i] = _error(i, {"pack_code": ["this pack is already bound to a vehicle"]})
            continue
        if pack.production_date and sold_at.date() < pack.production_date:
            results[i] = _error(i, {"sold_at": ["the vehicle cannot be sold before its pack was produced"]})
            continue
        state = (pack.state or None, pack.vehicle_use_ended)
        if state not in steps:
            try:
                steps[state] = next_state(state[0], EventKind.BOUND, vehicle_use_ended=state[1])
            except IllegalTransition as exc:
                steps[state] = exc
        step = steps[state]
        if isinstance(step, IllegalTransition):
            results[i] = _error(i, {"pack_code": [f"{code}: {step}"]}, rule=step.rule)
            continue
        relation = "holder" if pack.custodian_id == org.pk else "maker_custody"
        decision_key = (state[0], relation)
        if decision_key not in decisions:
            decisions[decision_key] = authority.decide(authority.Request(
                kind=EventKind.BOUND, state=state[0] or "", actor_kinds=frozenset(org.kinds),
                relations=frozenset({relation})))  # fmt: skip
        refusal = decisions[decision_key]
        if refusal is not None:
            results[i] = _error(i, {refusal.field or "pack_code": [refusal.message]}, rule=refusal.code)
            continue
        reported = by_index.get(i, reported_at)
        if sold_at > reported:
            results[i] = _error(i, {"occurred_at": ["an event cannot happen after it is reported"]})
            continue
        if vehicle is not None:
            region = vehicle.region
        else:
            if vin not in new_vehicles:
                new_vehicles[vin] = _NewVehicle(vin=vin, region=extra["region"], model_name=extra["model_name"],
                                                use=extra["use"], sold_on=sold_at.date())  # fmt: skip
            region = new_vehicles[vin].region
        used.add(code)
        planned.append(
            _Planned(i, pack, vin, region or org.region or pack.region or "", sold_at, reported, step)
        )
    if planned and hooks.guarded(EventKind.BOUND):
        planned = _bindings_guarded(planned, actor=org, results=results)
    if planned:
        _bindings_write(planned, new_vehicles, vehicles, actor=org, actor_user=actor_user, now=now,
                        results=results, items=len(items))  # fmt: skip
    return results  # type: ignore[return-value]


def _bindings_guarded(planned: list[_Planned], *, actor: Organisation, results: list) -> list[_Planned]:
    """The sibling apps' guards for ``bound`` (``core.hooks``), asked per pack as on every other path; a refusal
    is that item's error, the others go on."""
    batteries = Battery.objects.in_bulk([item.pack.id for item in planned])
    kept = []
    for item in planned:
        proposal = Proposal(battery=batteries[item.pack.id], kind=EventKind.BOUND, actor=actor,
                            occurred_at=item.sold_at, payload={"vin": item.vin}, state_before=item.pack.state or "",
                            custodian_after_id=actor.pk)  # fmt: skip
        try:
            hooks.guards_check(EventKind.BOUND, proposal)
        except ServiceError as exc:
            results[item.item_index] = _error(
                item.item_index, {exc.field or "pack_code": [exc.message]}, rule=exc.code
            )
            continue
        kept.append(item)
    return kept


def _bindable(pack: _PackRow, automaker_id: int) -> bool:
    """:func:`pack_bindable_by` on a row of the bindings query."""
    return pack.registered and pack.level == "P" and pack.custodian_id in (None, automaker_id, pack.maker_id)


def _binding_items(items: list, *, actor: Organisation, results: list) -> list[tuple]:
    """Field checks of each binding item, without the database: ``(index, vin, code, sold_at, extra)`` of the
    items that pass; the others get their error in ``results``."""
    clean: list[tuple] = []
    when: dict[str, datetime | TraceabilityError] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            results[i] = _error(i, {"non_field_errors": ["each item must be an object"]})
            continue
        errors: dict[str, list[str]] = {}
        try:
            vin = vin_mod.parse(str(item.get("vin") or "")).vin
        except vin_mod.VinError as exc:
            errors["vin"] = [f"{exc.field}: {exc.message}"]
        code = codes.normalise(str(item.get("pack_code") or ""))
        if not code:
            errors["pack_code"] = ["this field is required"]
        raw = item.get("sold_at")
        key = raw if isinstance(raw, str) else None
        sold_at = when.get(key) if key is not None else None
        if sold_at is None:
            try:
                sold_at = parse_when(raw, field="sold_at", refusal=TraceabilityError)
            except TraceabilityError as exc:
                sold_at = exc
            if key is not None:
                when[key] = sold_at  # a batch shares few dates: parse each once
        if isinstance(sold_at, TraceabilityError):
            errors.update(sold_at.as_dict())
        extra = {
            "model_name": str(item.get("model_name") or "")[:100],
            "use": str(item.get("use") or "private"),
            "region": str(item.get("region") or actor.region),
        }
        if extra["use"] not in VEHICLE_USES:
            errors["use"] = [f"one of {', '.join(sorted(VEHICLE_USES))}"]
        if extra["region"] not in REGIONS:
            errors["region"] = [f"one of {', '.join(sorted(REGIONS))}"]
        if errors:
            results[i] = _error(i, errors)
        else:
            clean.append((i, vin, code, sold_at, extra))
    return clean


BINDING_EVENT_COLUMNS = ("id", *EVENT_INSERT_COLUMNS)


def _bindings_write(planned, new_vehicles, vehicles, *, actor, actor_user, now, results, items) -> None:
    """Write the planned pairs of :func:`bindings_upload` (see there)."""
    kinds = tuple(actor.kinds)
    actor_user_id = getattr(actor_user, "pk", None)
    custodian_ids = {p.pack.custodian_id for p in planned} - {None, actor.pk}
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=custodian_ids)} if custodian_ids else {}
    orgs[actor.pk] = actor
    with connection.cursor() as cur:
        ids = reserve_ids(
            cur,
            {"traceability_vehicle": len(new_vehicles), "traceability_binding": len(planned),
             "traceability_lifecycleevent": len(planned)},
        )  # fmt: skip
        for new, pk in zip(new_vehicles.values(), ids["traceability_vehicle"], strict=True):
            new.id = pk
        now_text = copy_value(now)
        actor_text, user_text = copy_value(actor.pk), copy_value(actor_user_id)
        # A VIN is [0-9A-Z], region and use come from closed sets: only the model name needs escaping.
        copy_lines(
            cur,
            "traceability_vehicle",
            ("id", "vin", "automaker_id", "region", "model_name", "use", "sold_at", "created_at"),
            [f"{v.id}\t{v.vin}\t{actor_text}\t{v.region}\t{copy_value(v.model_name)}\t{v.use}\t{copy_value(v.sold_on)}\t"
             f"{now_text}\n" for v in new_vehicles.values()],
        )  # fmt: skip
        vehicle_ids = {vin: v.id for vin, v in new_vehicles.items()}
        vehicle_ids.update({vin: v.id for vin, v in vehicles.items()})
        # Rows go out in COPY text: the columns every row of the batch shares, and the few times and regions a
        # batch holds, are formatted once (escaped as copy_rows would; a VIN is [0-9A-Z] only).
        deadlines: dict[tuple, tuple] = {}
        utc: dict[datetime, tuple[datetime, str]] = {}
        texts: dict[Any, str] = {}
        steps: dict[tuple, tuple[str, str, str]] = {}
        kind = EventKind.BOUND.value
        binding_lines, event_lines, binding_ids, leaves, moves = [], [], [], [], []
        event_records, binding_records = [], []
        leaf_shapes: dict[tuple, tuple[str, str, str, str]] = {}
        vehicle_records: dict[str, WrittenVehicle] = {}
        for n, (i, pack, vin, region, sold_at, reported, step) in enumerate(planned):
            # In UTC, as the rows read back: the outbox payload (and its hash) must not depend on who wrote it.
            if sold_at not in utc:
                utc[sold_at] = (sold_at.astimezone(UTC), copy_value(sold_at.astimezone(UTC)))
            if reported not in utc:
                utc[reported] = (reported.astimezone(UTC), copy_value(reported.astimezone(UTC)))
            (sold_at, sold_text), (reported, reported_text) = utc[sold_at], utc[reported]
            binding_id, event_id = ids["traceability_binding"][n], ids["traceability_lifecycleevent"][n]
            pack_id, code, custodian_before = pack.id, pack.code, pack.custodian_id
            key = (sold_at, reported)
            if key not in deadlines:
                deadline, on_time = _deadline_for_kinds(EventKind.BOUND, kinds, sold_at, reported)
                deadlines[key] = (deadline, on_time, f"{copy_value(deadline)}\t{copy_value(on_time)}")
            deadline, on_time, deadline_text = deadlines[key]
            payload = {"vin": vin}
            states = (step.before, step.after)
            if states not in steps:
                before, after = str(step.before or ""), str(step.after)
                steps[states] = (
                    before,
                    after,
                    f"{kind}\t{copy_value(before)}\t{copy_value(after)}\t{actor_text}\t{user_text}",
                )
            state_before, state_after, middle = steps[states]
            if region not in texts:
                texts[region] = copy_value(region)
            binding_ids.append(binding_id)
            binding_lines.append(
                f"{binding_id}\t{vehicle_ids[vin]}\t{pack_id}\t{sold_text}\t\\N\t\t{now_text}\n"
            )
            event_lines.append(
                f"{event_id}\t{pack_id}\t{middle}\t{copy_value(custodian_before)}\t{actor_text}\t\t\t{texts[region]}\t"
                f'{sold_text}\t{reported_text}\t{deadline_text}\t{{"vin": "{vin}"}}\n'
            )
            shape = (custodian_before, region, sold_at, reported, states)
            leaf_parts = leaf_shapes.get(shape)
            if leaf_parts is None:
                leaf_parts = leaf_shapes[shape] = _leaf_template(
                    {
                        "id": _ID, "battery_code": _CODE, "kind": kind, "state_before": state_before,
                        "state_after": state_after, "actor_id": actor.pk, "actor_user_id": actor_user_id,
                        "custodian_before_id": custodian_before, "custodian_after_id": actor.pk, "place": "",
                        "place_ref": "", "region": region, "occurred_at": sold_at, "reported_at": reported,
                        "deadline": deadline, "on_time": on_time, "payload": {"vin": _VIN},
                    }
                )  # fmt: skip
            head, between, after_id, tail = leaf_parts
            data = f"{head}{dumps(code)}{between}{event_id}{after_id}{dumps(vin)}{tail}"
            leaves.append((event_id, sha256(b"\x00" + data.encode()).digest()))
            moves.append((pack_id, region, sold_at))
            battery = WrittenBattery(pk=pack_id, id=pack_id, code=code)
            event_records.append(
                WrittenEvent(pk=event_id, id=event_id, battery=battery, battery_id=pack_id, kind=kind,
                             state_before=state_before, state_after=state_after, actor=actor, actor_id=actor.pk,
                             actor_user_id=actor_user_id, custodian_before=orgs.get(custodian_before),
                             custodian_before_id=custodian_before, custodian_after=actor, custodian_after_id=actor.pk,
                             region=region, occurred_at=sold_at, reported_at=reported, deadline=deadline,
                             on_time=on_time, payload=payload)
            )  # fmt: skip
            vehicle = vehicle_records.get(vin)
            if vehicle is None:
                new = new_vehicles.get(vin)
                vehicle = vehicle_records[vin] = WrittenVehicle(
                    pk=vehicle_ids[vin], id=vehicle_ids[vin], vin=vin, automaker=actor, automaker_id=actor.pk,
                    model_name=new.model_name if new else "", region=new.region if new else vehicles[vin].region,
                )  # fmt: skip
            binding_records.append(
                WrittenBinding(pk=binding_id, id=binding_id, vehicle=vehicle, vehicle_id=vehicle.pk, pack=battery,
                               pack_id=pack_id, bound_at=sold_at, created_at=now)
            )  # fmt: skip
            results[i] = _result(i, CREATED, vin=vin, pack_code=code, event_id=event_id)
        copy_lines(cur, "traceability_binding",
                   ("id", "vehicle_id", "pack_id", "bound_at", "unbound_at", "unbound_reason", "created_at"),
                   binding_lines)  # fmt: skip
        copy_lines(cur, "traceability_lifecycleevent", BINDING_EVENT_COLUMNS, event_lines)
        cur.execute(
            "UPDATE traceability_battery AS b SET state = %s, custodian_id = %s, region = v.region, "
            "state_changed_at = v.changed FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[]) "
            "AS v(id, region, changed) WHERE b.id = v.id",
            [State.IN_VEHICLE.value, actor.pk, *map(list, zip(*moves, strict=True))],
        )
    hooks.records_written("lifecycle_event", event_records)
    hooks.records_written("binding", binding_records)
    audit_log(
        actor=actor_user,
        action="binding.upload",
        object_type="traceability.binding",
        object_id=f"{binding_ids[0]}..{binding_ids[-1]}",
        changes={"created": len(binding_ids), "items": items},
    )
    # Last: the ledger's lock serialises writers until commit.
    ledger_append_leaves(leaves)


# Stand-ins for the per-row values of a bound event's leaf (see _leaf_template); no real value contains U+0001.
_ID, _CODE, _VIN = "\x01id", "\x01code", "\x01vin"
_dumps_any = partial(json.dumps, ensure_ascii=False)  # as canonical_bytes encodes a string


def dumps(text: str) -> str:
    # The same text for ASCII (codes and VINs are), through json's shared encoder instead of a new one per call.
    return json.dumps(text) if text.isascii() else _dumps_any(text)


def _leaf_template(row: dict) -> tuple[str, str, str, str]:
    """The canonical bytes of a bound event's ledger leaf (:func:`ledger_store.canonical_bytes`, keys sorted)
    around its three per-row values, the battery code, the event id and the VIN, in that (key) order: the rest
    of a batch's rows share a few shapes, each encoded once, so a leaf costs a join and a hash."""
    text = canonical_bytes(canonical_record(row)).decode()
    head, rest = text.split(_dumps_any(_CODE), 1)
    between, rest = rest.split(_dumps_any(_ID), 1)
    after_id, tail = rest.split(_dumps_any(_VIN), 1)
    return head, between, after_id, tail


def _decimal(value, field_name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError as exc:
        raise TraceabilityError("not a number", field=field_name) from exc
    require_quantity(number, field_name)
    return number


def _battery_specs(item: dict, *, parent_code: str = "", custodian=None, path: str = "") -> list[BatterySpec]:
    """One item and its nested ``children`` (modules, cells) as specs, parents first."""
    if not isinstance(item, dict):
        raise TraceabilityError("each item must be an object", field=path or "non_field_errors")
    code = codes.normalise(str(item.get("code") or ""))
    name = f"{path}code" if path else "code"
    if not code:
        raise TraceabilityError("this field is required", field=name, code="required")
    _manufacturer_check(parse_code(code, field_name=name), refuse=True, field_name=f"{path}manufacturer")
    spec = BatterySpec(
        code=code,
        parent_code=parent_code,
        rated_capacity_ah=_decimal(item.get("rated_capacity_ah"), f"{path}rated_capacity_ah"),
        rated_energy_kwh=_decimal(item.get("rated_energy_kwh"), f"{path}rated_energy_kwh"),
        mass_kg=_decimal(item.get("mass_kg"), f"{path}mass_kg"),
        custodian=custodian,
        occurred_at=parse_when(item["produced_at"], field=f"{path}produced_at", refusal=TraceabilityError)
        if item.get("produced_at")
        else None,
    )
    specs = [spec]
    children = item.get("children") or []
    if not isinstance(children, list):
        raise TraceabilityError("must be a list", field=f"{path}children")
    for n, child in enumerate(children):
        specs.extend(
            _battery_specs(child, parent_code=code, custodian=custodian, path=f"{path}children[{n}].")[:]
        )
    return specs


@transaction.atomic
def batteries_upload(*, items: list, actor: User) -> list[dict]:
    """Produced codes from a battery maker (R-CODE): ``{"code", "rated_capacity_ah", "rated_energy_kwh",
    "mass_kg", "produced_at", "customer_uscc", "children": [...]}``; an item (a pack with its modules and cells)
    is registered whole or not at all. ``customer_uscc`` names the automaker the pack is sold to: it becomes the
    custodian, and only that automaker may then bind it."""
    org = acting_organisation(actor)
    if not org.has_kind("battery_maker"):
        raise TraceabilityForbidden("only a battery maker registers produced codes", field="actor")
    results: list[dict | None] = [None] * len(items)
    per_item: list[tuple[int, list[BatterySpec]]] = []
    customers = {
        o.uscc: o
        for o in Organisation.objects.filter(
            uscc__in={
                str(it.get("customer_uscc"))
                for it in items
                if isinstance(it, dict) and it.get("customer_uscc")
            }
        )
    }
    for i, item in enumerate(items):
        try:
            customer = None
            if isinstance(item, dict) and item.get("customer_uscc"):
                customer = customers.get(str(item["customer_uscc"]))
                if customer is None or not customer.has_kind("automaker"):
                    raise TraceabilityError("no automaker with this USCC", field="customer_uscc")
            per_item.append((i, _battery_specs(item, custodian=customer)))
        except TraceabilityError as exc:
            results[i] = _error(i, exc.as_dict())
    all_codes = [s.code for _, specs in per_item for s in specs]
    existing = dict(Battery.objects.filter(code__in=all_codes).values_list("code", "maker_id"))
    good: list[BatterySpec] = []
    accepted: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, specs in per_item:
        item_codes = [s.code for s in specs]
        if all(c in existing and existing[c] == org.pk for c in item_codes):
            results[i] = _result(i, UNCHANGED_STATUS, code=item_codes[0])
            continue
        clash = [c for c in item_codes if c in existing or c in seen or item_codes.count(c) > 1]
        if clash:
            results[i] = _error(i, {"code": [f"already registered: {', '.join(clash[:3])}"]})
            continue
        seen.update(item_codes)
        good.extend(specs)
        accepted.append((i, item_codes[0]))
    if good:
        batteries_register_bulk(specs=good, maker=org, actor=actor)
    for i, code in accepted:
        results[i] = _result(i, CREATED, code=code)
    return results  # type: ignore[return-value]


def replacements_upload(*, items: list, actor: User) -> list[dict]:
    """Pack swaps from after-sales outlets (R-BIND, 第十条): ``{"vin", "old_pack_code", "new_pack_code",
    "replaced_at", "place"}``. Low volume: one savepoint per item, so a bad item does not undo the others."""
    results = []
    for i, item in enumerate(items):
        try:
            with transaction.atomic():
                results.append(_replacement_item(i, item, actor=actor))
        except TraceabilityError as exc:
            results.append(_error(i, exc.as_dict()))
    return results


def _replacement_item(i: int, item, *, actor: User) -> dict:
    if not isinstance(item, dict):
        raise TraceabilityError("each item must be an object")
    vin = vin_mod.normalise(str(item.get("vin") or ""))
    old_code = codes.normalise(str(item.get("old_pack_code") or ""))
    new_code = codes.normalise(str(item.get("new_pack_code") or ""))
    when = parse_when(item.get("replaced_at"), field="replaced_at", refusal=TraceabilityError)
    vehicle = Vehicle.objects.filter(vin=vin).first()
    if vehicle is None:
        raise TraceabilityError("no vehicle with this VIN is available to you", field="vin", code="not_found")
    old = Battery.objects.filter(code=old_code).first()
    new = Battery.objects.filter(code=new_code).first()
    if old is None:
        raise TraceabilityError("this pack is not in this vehicle", field="old_pack_code", code="not_bound")
    if new is None:
        raise TraceabilityError(
            "no pack with this code is available to you", field="new_pack_code", code="not_found"
        )
    if Replacement.objects.filter(vehicle=vehicle, pack_out=old, pack_in=new).exists():
        return _result(i, UNCHANGED_STATUS, vin=vin, new_pack_code=new_code)
    replacement_record(
        vehicle=vehicle,
        pack_out=old,
        pack_in=new,
        actor=actor,
        occurred_at=when,
        place=str(item.get("place") or "")[:200],
    )
    return _result(i, CREATED, vin=vin, new_pack_code=new_code)


# Kinds with their own endpoints: the generic one refuses them.
DEDICATED_KINDS = frozenset(
    {EventKind.PRODUCED, EventKind.BOUND, EventKind.REPLACED_IN, EventKind.REPLACED_OUT}
    | {EventKind.DISASSEMBLED, EventKind.SEPARATED}  # POST /api/v1/batteries/{code}/disassembly/
)


@transaction.atomic
def events_upload(*, items: list, actor: User) -> list[dict]:
    """Generic lifecycle events from the other actors (R-LIFE): ``{"battery_code", "kind", "occurred_at",
    "to_uscc", "manifest", "place", "place_ref", "payload"}``.

    Every item goes through the authority (:mod:`traceability.authority`) and the sibling apps' guards. A
    ``dispatched`` or ``handed_over`` item releases the battery to the enterprise ``to_uscc`` names; that
    enterprise confirms with a receipt (``received``, ``cascade_received``, ``regeneration_received``) and then
    holds it. A receipt without an open release naming the actor is refused (``custody.receipt_without_release``):
    a battery found without one is claimed through ``POST /api/v1/custody/claims/``.
    """
    results: list[dict | None] = [None] * len(items)
    wanted = {codes.normalise(str(it.get("battery_code") or "")) for it in items if isinstance(it, dict)}
    batteries = {b.code: b for b in Battery.objects.filter(code__in=wanted)}
    usccs = {str(it.get("to_uscc")) for it in items if isinstance(it, dict) and it.get("to_uscc")}
    orgs = {o.uscc: o for o in Organisation.objects.filter(uscc__in=usccs)}
    specs: list[EventSpec] = []
    index_of: list[int] = []
    for i, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise TraceabilityError("each item must be an object")
            battery = batteries.get(codes.normalise(str(item.get("battery_code") or "")))
            kind = str(item.get("kind") or "")
            if battery is None:
                raise TraceabilityError("no battery with this code is available to you", field="battery_code")
            if kind in DEDICATED_KINDS or kind == EventKind.RELEASE_CANCELLED:
                raise TraceabilityError(f"'{kind}' has its own endpoint", field="kind")
            after, release_to = UNCHANGED, None
            if item.get("to_uscc"):
                named = orgs.get(str(item["to_uscc"]))
                if named is None:
                    raise TraceabilityError("no organisation with this USCC", field="to_uscc")
                if kind in RELEASES:
                    release_to = named
                else:
                    after = named
            payload = item.get("payload") or {}
            if not isinstance(payload, dict):
                raise TraceabilityError("must be an object", field="payload")
            specs.append(
                EventSpec(
                    battery=battery,
                    kind=kind,
                    occurred_at=parse_when(
                        item.get("occurred_at"), field="occurred_at", refusal=TraceabilityError
                    ),
                    custodian_after=after,
                    place=str(item.get("place") or "")[:200],
                    place_ref=str(item.get("place_ref") or "")[:64],
                    payload=payload,
                    release_to=release_to,
                    manifest=str(item.get("manifest") or "")[:64],
                )
            )
            index_of.append(i)
        except TraceabilityError as exc:
            results[i] = _error(i, exc.as_dict(), rule=exc.code)
    outcome = events_record_bulk(specs=specs, actor=actor, skip_errors=True)
    written = iter(outcome.events)
    for n, i in enumerate(index_of):
        if n in outcome.errors:
            refused = outcome.errors[n]
            results[i] = _error(i, {refused.field: [refused.message]}, rule=refused.code)
        else:
            event = next(written)
            results[i] = _result(i, CREATED, battery_code=event.battery.code, event_id=event.pk)
    return results  # type: ignore[return-value]
