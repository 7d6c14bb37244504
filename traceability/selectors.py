"""Reads for the traceability core (R-LIFE: "来源可查、去向可追、节点可控")."""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, Expression, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import ExtractYear

from core import tenancy
from core.i18n import is_english, localised

from . import authority, codes
from . import codes as code_rules
from . import vin as vin_
from .filtersets import BatteryFilterSet
from .lifecycle import TRANSITIONS, EventKind, State
from .models import (
    DECLARATION_IN_FORCE,
    Battery,
    Binding,
    CustodyClaim,
    CustodyRelease,
    ErrorDeclaration,
    LifecycleEvent,
    Vehicle,
    not_declared_erroneous,
)

if TYPE_CHECKING:
    from accounts.models import Organisation


def battery_list(*, user, filters: dict | None = None) -> QuerySet[Battery]:
    qs = tenancy.visible(Battery.objects.select_related("maker", "custodian"), user).order_by("-id")
    return BatteryFilterSet(filters or {}, queryset=qs).qs


def battery_get_by_code(*, code: str, user) -> Battery | None:
    """The battery with ``code`` if this user may read it (another tenant's battery is None, like a missing one)."""
    qs = Battery.objects.select_related("maker", "custodian", "parent")
    return tenancy.visible(qs, user).filter(code=codes.normalise(code)).first()


def vehicle_get_by_vin(*, vin: str, user) -> Vehicle | None:
    qs = Vehicle.objects.select_related("automaker", "fleet_owner")
    return tenancy.visible(qs, user).filter(vin=vin_.normalise(vin)).first()


def vehicle_detail(*, vehicle: Vehicle) -> dict:
    """A vehicle with its current and past packs (R-BIND)."""
    bindings = Binding.objects.filter(vehicle=vehicle).select_related("pack").order_by("bound_at", "id")
    packs = [
        {
            "pack_code": b.pack.code,
            "bound_at": b.bound_at,
            "unbound_at": b.unbound_at,
            "unbound_reason": b.unbound_reason,
            "current": b.unbound_at is None,
            "state": b.pack.state,
        }
        for b in bindings
    ]
    return {
        "vin": vehicle.vin,
        "automaker": vehicle.automaker.display_name,
        "automaker_uscc": vehicle.automaker.uscc,
        "model_name": vehicle.model_name,
        "use": vehicle.use,
        "region": vehicle.region,
        "sold_at": vehicle.sold_at,
        "scrapped_at": vehicle.scrapped_at,
        "current_packs": [p for p in packs if p["current"]],
        "past_packs": [p for p in packs if not p["current"]],
    }


def battery_summary(battery: Battery) -> dict:
    return {
        "code": battery.code,
        "level": battery.level,
        "chemistry": battery.chemistry,
        "spec_code": battery.spec_code,
        "manufacturer_code": battery.manufacturer_code,
        "rated_capacity_ah": battery.rated_capacity_ah,
        "rated_energy_kwh": battery.rated_energy_kwh,
        "mass_kg": battery.mass_kg,
        "production_date": battery.production_date,
        "state": battery.state,
        "region": battery.region,
        "registered": battery.registered,
        "is_cascade_product": battery.is_cascade_product,
        "unregistered_maker": battery.unregistered_maker,
        "maker": battery.maker.display_name if battery.maker_id else None,  # type: ignore[union-attr]  # *_id checked
        "custodian": battery.custodian.display_name if battery.custodian_id else None,  # type: ignore[union-attr]  # *_id checked
        "parent": battery.parent.code if battery.parent_id else None,  # type: ignore[union-attr]  # *_id checked
    }


TRACE_SQL = """
WITH RECURSIVE family AS (
    SELECT id, code, level, state, parent_id, 0 AS depth FROM traceability_battery WHERE parent_id = %(id)s
    UNION ALL
    SELECT c.id, c.code, c.level, c.state, c.parent_id, f.depth + 1
    FROM traceability_battery c JOIN family f ON c.parent_id = f.id WHERE f.depth < 1
), ancestry AS (
    SELECT p.id, p.code, p.level, p.state, p.parent_id, 1 AS depth FROM traceability_battery p
    WHERE p.id = %(parent_id)s
    UNION ALL
    SELECT p.id, p.code, p.level, p.state, p.parent_id, a.depth + 1
    FROM traceability_battery p JOIN ancestry a ON p.id = a.parent_id WHERE a.depth < 2
), related AS (
    SELECT 'self' AS role, %(id)s::bigint AS id, %(code)s::varchar AS code, ''::varchar AS level, ''::varchar AS state,
           NULL::bigint AS parent_id
    UNION ALL
    SELECT 'child', id, code, level, state, parent_id FROM family
    UNION ALL
    SELECT 'ancestor', id, code, level, state, parent_id FROM ancestry
    UNION ALL
    SELECT 'source', b.id, b.code, b.level, b.state, b.parent_id FROM traceability_batterylink l
        JOIN traceability_battery b ON b.id = l.source_id WHERE l.product_id = %(id)s
    UNION ALL
    SELECT 'product', b.id, b.code, b.level, b.state, b.parent_id FROM traceability_batterylink l
        JOIN traceability_battery b ON b.id = l.product_id WHERE l.source_id = %(id)s
)
SELECT r.role, r.id, r.code, r.level, r.state, r.parent_id,
       e.id, e.kind, e.state_before, e.state_after, e.place, e.region, e.occurred_at, e.reported_at, e.deadline,
       e.on_time, e.payload, l.index, oa.name_zh, oa.name_en, ob.name_zh, ob.name_en, oc.name_zh, oc.name_en,
       d.id, d.reason, d.note, d.status, d.declared_at, d.correction_event_id, od.name_zh, od.name_en
FROM related r
LEFT JOIN traceability_lifecycleevent e ON e.battery_id = r.id
LEFT JOIN traceability_ledgerleaf l ON l.event_id = e.id
LEFT JOIN accounts_organisation oa ON oa.id = e.actor_id
LEFT JOIN accounts_organisation ob ON ob.id = e.custodian_before_id
LEFT JOIN accounts_organisation oc ON oc.id = e.custodian_after_id
-- At most one declaration per event is pending or in force (the partial unique index one_declaration_per_event).
LEFT JOIN traceability_errordeclaration d ON d.event_id = e.id AND d.status <> 'rejected'
LEFT JOIN accounts_organisation od ON od.id = d.declarant_id
ORDER BY e.occurred_at, e.id
"""

# The trace statement is prepared once per database connection: planning its recursive CTEs and eight joins
# costs several times what running it does, and after a few executions PostgreSQL keeps a generic plan.
_TRACE_PARAMS = {"id": "$1", "code": "$2", "parent_id": "$3"}
TRACE_PREPARE = "PREPARE battery_trace (bigint, varchar, bigint) AS " + TRACE_SQL % _TRACE_PARAMS
_trace_prepared: weakref.WeakSet = weakref.WeakSet()  # the driver connections holding it


class _TraceRow(NamedTuple):
    """One row of :data:`TRACE_SQL`: a related battery and one of its events (event columns None for none)."""

    role: str
    battery_id: int
    code: str
    level: str
    state: str
    parent_id: int | None
    event_id: int | None
    kind: str
    state_before: str
    state_after: str
    place: str
    region: str
    occurred_at: object
    reported_at: object
    deadline: object
    on_time: bool | None
    payload: Any
    ledger_index: int | None
    actor_zh: str | None
    actor_en: str | None
    custodian_before_zh: str | None
    custodian_before_en: str | None
    custodian_after_zh: str | None
    custodian_after_en: str | None
    declaration_id: int | None
    declaration_reason: str
    declaration_note: str
    declaration_status: str
    declared_at: object
    correction_event_id: int | None
    declarant_zh: str | None
    declarant_en: str | None


def _trace_rows(cur, battery: Battery) -> list[_TraceRow]:
    raw = connection.connection
    if raw not in _trace_prepared:
        cur.execute(TRACE_PREPARE)  # a prepared statement outlives the transaction, rolled back or not
        _trace_prepared.add(raw)
    cur.execute("EXECUTE battery_trace (%s, %s, %s)", [battery.pk, battery.code, battery.parent_id])
    return [_TraceRow._make(row) for row in cur.fetchall()]


VEHICLES_SQL = """
SELECT v.vin, k.bound_at, k.unbound_at, k.unbound_reason FROM traceability_binding k
JOIN traceability_vehicle v ON v.id = k.vehicle_id WHERE k.pack_id = %s ORDER BY k.bound_at, k.id
"""


def battery_trace(*, battery: Battery) -> dict:
    """The whole history of ``battery``: its events, its modules and cells (pack to cells) with theirs, the
    vehicles it was in, and cascade-use links both ways (the originals it was built from and the products it went
    into), each event with its ledger index.

    Two queries whatever the history's length (and the statement's preparation, once per connection): the
    family, the links and every event (with its battery code, ledger index and organisation names) in one, the
    vehicles in the other; each step is an index probe
    (``parent_id``, ``battery_id``, the ledger's unique ``event_id``). Inclusion proofs are not read here: a
    client asks for the proof of the event it wants to check. An event declared erroneous stays, flagged
    (``declared_erroneous``, ``error_declaration``); the ``corrected`` event names it (``corrects``), the corrective
    events too (``corrective_of``).
    """

    english = is_english()  # once for the whole history

    def name(zh: str | None, en: str | None) -> str | None:
        return localised(zh, en or "", english=english) if zh is not None else None

    with connection.cursor() as cur:
        rows = _trace_rows(cur, battery)
        cur.execute(VEHICLES_SQL, [battery.pk])
        vehicles = cur.fetchall()
    related: dict[int, _TraceRow] = {}
    by_battery: dict[int, list[dict]] = {}
    seen: set[tuple[int, int]] = set()
    for row in rows:
        pk = row.battery_id
        related.setdefault(pk, row)
        if row.event_id is None or (pk, row.event_id) in seen:  # a battery linked both ways comes twice
            continue
        seen.add((pk, row.event_id))
        payload = json.loads(row.payload) if isinstance(row.payload, str) else row.payload
        declaration = (
            {
                "id": row.declaration_id,
                "reason": row.declaration_reason,
                "note": row.declaration_note,
                "status": row.declaration_status,
                "declared_at": row.declared_at,
                "correction_event": row.correction_event_id,
                "declared_by": name(row.declarant_zh, row.declarant_en),
            }
            if row.declaration_id is not None
            else None
        )
        by_battery.setdefault(pk, []).append(
            {
                "id": row.event_id,
                "battery": row.code,
                "kind": row.kind,
                "state_before": row.state_before,
                "state_after": row.state_after,
                "actor": name(row.actor_zh, row.actor_en),
                "custodian_before": name(row.custodian_before_zh, row.custodian_before_en),
                "custodian_after": name(row.custodian_after_zh, row.custodian_after_en),
                "place": row.place,
                "region": row.region,
                "occurred_at": row.occurred_at,
                "reported_at": row.reported_at,
                "deadline": row.deadline,
                "on_time": row.on_time,
                "payload": payload,
                "ledger_index": row.ledger_index,
                # EPCIS 2.0 errorDeclaration: the wrong event stays, flagged; corrections point to it.
                "declared_erroneous": bool(declaration and declaration["status"] in DECLARATION_IN_FORCE),
                "error_declaration": declaration,
                "corrective_of": (payload or {}).get("corrective_of"),
                "corrects": (payload or {}).get("corrects") if row.kind == "corrected" else None,
            }
        )
    children = sorted((r for r in related.values() if r.role == "child"), key=lambda r: r.code)
    children_of: dict[int | None, list[_TraceRow]] = {}
    for row in children:
        children_of.setdefault(row.parent_id, []).append(row)

    def node(row: _TraceRow) -> dict:
        return {
            "code": row.code,
            "level": row.level,
            "state": row.state,
            "events": by_battery.get(row.battery_id, []),
            "children": [node(c) for c in children_of.get(row.battery_id, [])],
        }

    def linked(role: str) -> list[dict]:
        first: dict[int, _TraceRow] = {}
        for r in rows:
            if r.role == role:
                first.setdefault(r.battery_id, r)
        return [
            {"code": r.code, "level": r.level, "state": r.state, "events": by_battery.get(r.battery_id, [])}
            for _, r in sorted(first.items())
        ]

    return {
        "battery": battery_summary(battery),
        "events": by_battery.get(battery.pk, []),
        "ancestors": _ancestors(battery, related, by_battery),
        "children": [node(c) for c in children_of.get(battery.pk, [])],
        "vehicles": [
            {"vin": vin, "bound_at": bound_at, "unbound_at": unbound_at, "reason": reason}
            for vin, bound_at, unbound_at, reason in vehicles
        ],
        "sources": linked("source"),
        "products": linked("product"),
    }


def _ancestors(
    battery: Battery, related: dict[int, _TraceRow], by_battery: dict[int, list[dict]]
) -> list[dict]:
    """The module and pack a cell (or the pack a module) was part of, nearest first, each with its events up to
    the moment the part below it was separated (all of them while it is still inside): the parent's history is
    the child's by reference, never copied (R-CODE, R-LIFE)."""
    out: list[dict] = []
    below, parent_id = battery.pk, battery.parent_id
    while parent_id is not None and parent_id in related:
        parent = related[parent_id]
        pk, code, level, state, grandparent = (
            parent.battery_id,
            parent.code,
            parent.level,
            parent.state,
            parent.parent_id,
        )
        separation = next((e for e in by_battery.get(below, []) if e["kind"] == "separated"), None)
        events = by_battery.get(pk, [])
        if separation is not None:
            events = [e for e in events if e["id"] < separation["id"]]
        out.append(
            {
                "code": code,
                "level": level,
                "state": state,
                "separated_at": separation["occurred_at"] if separation else None,
                "events": events,
            }
        )
        below, parent_id = pk, grandparent
    return out


def disassembly_offered(*, battery: Battery, org) -> bool:
    """Whether the battery page offers ``org`` to take ``battery`` apart: the state machine and the authority
    would let it (the service asks them again, with the guards, when it records)."""
    if (
        org is None
        or battery.custodian_id != org.pk
        or battery.state not in TRANSITIONS[EventKind.DISASSEMBLED][0]
    ):
        return False
    if battery.parent_id is not None and battery.parent.state != State.DISASSEMBLED:  # type: ignore[union-attr]  # parent_id checked
        return False
    request = authority.Request(kind=EventKind.DISASSEMBLED, state=battery.state, actor_kinds=frozenset(org.kinds),
                                relations=frozenset({"holder"}), code=battery.code)  # fmt: skip
    return authority.decide(request) is None


def event_get(*, event_id: int, user) -> LifecycleEvent | None:
    return tenancy.visible(LifecycleEvent.objects.all(), user).filter(pk=event_id).first()


def retired_by_region_year(*, regions, year_from: int, year_to: int) -> list[dict]:
    """Packs retired (removed from a vehicle, or replaced out in maintenance) per region and calendar year in
    the platform's time zone, with their mass: what the retirement forecast is checked against (R-FORECAST)."""

    rows = (
        LifecycleEvent.objects.filter(
            not_declared_erroneous(),
            kind__in=[EventKind.REMOVED, EventKind.REPLACED_OUT],
            battery__level="P",
            region__in=list(regions),
        )
        .annotate(year=ExtractYear("occurred_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        .filter(year__gte=year_from, year__lte=year_to)
        .values("region", "year")
        .annotate(packs=Count("id"), mass_kg=Sum("battery__mass_kg"))
        .order_by("region", "year")
    )
    return [
        {"region": r["region"], "year": r["year"], "packs": r["packs"], "mass_kg": float(r["mass_kg"] or 0)}
        for r in rows
    ]


def battery_get_public(*, code: str) -> Battery | None:
    """The battery behind a label's QR code, whoever scans it: its passport's access classes, not tenancy,
    decide what the answer shows (R-PUBLIC)."""
    qs = Battery.objects.select_related("maker", "custodian", "parent")
    return qs.filter(code=codes.normalise(code)[:64]).first()


def battery_events_with_parties(*, battery: Battery) -> list[LifecycleEvent]:
    """The battery's own events, oldest first, with the organisations that acted and held it (one query)."""
    qs = LifecycleEvent.objects.filter(battery=battery).select_related(
        "actor", "custodian_before", "custodian_after"
    )
    return list(qs.order_by("occurred_at", "id"))


def batteries_by_code(*, codes: list[str]) -> QuerySet[Battery]:
    """The batteries behind many labels (as ``battery_get_public``, for exports of many passports)."""
    return Battery.objects.select_related("maker", "custodian", "parent").filter(
        code__in=[code_rules.normalise(c)[:64] for c in codes]
    )


def events_of_batteries(*, battery_ids: list[int]) -> dict[int, list[LifecycleEvent]]:
    """``battery_events_with_parties`` of many batteries in one query, without the parties' rows (their ids
    only), keyed by battery id (every id present)."""
    out: dict[int, list[LifecycleEvent]] = {pk: [] for pk in battery_ids}
    for e in LifecycleEvent.objects.filter(battery_id__in=battery_ids).order_by("occurred_at", "id"):
        out[e.battery_id].append(e)
    return out


def vehicles_known(*, vins: list[str]) -> set[str]:
    """Which of ``vins`` are registered vehicles (the GB/T 32960 gateway admits only those)."""
    return set(Vehicle.objects.filter(vin__in=vins).values_list("vin", flat=True))


def pack_bindings(*, vins: list[str]) -> dict[str, list[tuple[int, object, object]]]:
    """Per VIN, every pack it carried: ``(pack id, bound_at, unbound_at or None)`` in binding order (R-BIND)."""
    out: dict[str, list[tuple[int, object, object]]] = {vin: [] for vin in vins}
    rows = Binding.objects.filter(vehicle__vin__in=vins).order_by("bound_at", "id")
    for vin, pack_id, bound_at, unbound_at in rows.values_list(
        "vehicle__vin", "pack_id", "bound_at", "unbound_at"
    ):
        out[vin].append((pack_id, bound_at, unbound_at))
    return out


def vehicle_vins(*, limit: int) -> list[str]:
    """VINs of registered, unscrapped vehicles, oldest registration first (demo telemetry picks from these)."""
    qs = Vehicle.objects.filter(scrapped_at__isnull=True).order_by("id").values_list("vin", flat=True)
    return list(qs[:limit])


def releases_open(*, org):
    """Open releases the organisation made or is to confirm (R-LIFE, two-party custody)."""

    return (
        CustodyRelease.objects.filter(Q(releaser=org) | Q(receiver=org), status="open")
        .select_related("battery", "releaser", "receiver")
        .order_by("-id")
    )


def claims_for(*, org, status: str | None = None):
    """A regulator's review queue (its region's claims) or an enterprise's own claims, newest first."""
    qs = CustodyClaim.objects.select_related("battery", "claimant", "custodian_at_claim")
    qs = qs.filter(region=org.region) if org.is_regulator else qs.filter(claimant=org)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def corrections_for(*, org, status: str | None = None):
    """Error declarations: a regulator's review queue (its region's), or those the enterprise made, newest first."""
    qs = ErrorDeclaration.objects.select_related("battery", "event", "declarant", "reviewer")
    qs = qs.filter(region=org.region) if org.is_regulator else qs.filter(declarant=org)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-declared_at", "-id")


# --- the other apps' reads: batteries ---------------------------------------------------------------------


def battery_by_code(*, code: str) -> Battery | None:
    """The battery registered under ``code``, whoever holds it (None if there is none); no related rows."""
    return Battery.objects.filter(code=codes.normalise(code)).first()


def battery_code_taken(*, code: str) -> bool:
    """Whether a battery is registered under ``code`` already, whoever holds it (codes are unique platform-wide)."""
    return Battery.objects.filter(code=code).exists()


def batteries_visible(*, user) -> QuerySet[Battery]:
    """Every battery this user may read, unordered, for the caller to narrow."""
    return tenancy.visible(Battery.objects.all(), user)


def batteries_held(*, custodian: Organisation | int | None) -> QuerySet[Battery]:
    """The batteries in an organisation's custody (the organisation or its id), unordered, for the caller to
    narrow."""
    return Battery.objects.filter(custodian=custodian)


def batteries_in_states(*, states: Iterable[str]) -> QuerySet[Battery]:
    """Batteries of any level in one of ``states`` now, unordered, for the caller to narrow."""
    return Battery.objects.filter(state__in=list(states))


def packs(*, states: Iterable[str] | None = None) -> QuerySet[Battery]:
    """Packs (not modules or cells), in one of ``states`` when given; unordered, for the caller to narrow."""
    qs = Battery.objects.filter(level="P")
    return qs if states is None else qs.filter(state__in=list(states))


def battery_in_state_exists(*, state: str) -> bool:
    """Whether any battery is in ``state`` now."""
    return Battery.objects.filter(state=state).exists()


def batteries_with_ids(*, ids: Iterable[int] | Expression) -> QuerySet[Battery]:
    """The batteries with these ids (a list, or a subquery or SQL expression selecting them), unordered."""
    return Battery.objects.filter(pk__in=ids)


def batteries_in_bulk(*, ids: list[int]) -> dict[int, Battery]:
    """The batteries with these ids and their custodians, keyed by id (a missing id is left out); one query."""
    return Battery.objects.select_related("custodian").in_bulk(ids)


def batteries_locked_by_code(*, codes: list[str]) -> dict[str, Battery]:
    """The batteries with these codes, locked for the rest of the transaction, keyed by code (a code no battery
    has is left out)."""
    return {b.code: b for b in Battery.objects.select_for_update().filter(code__in=codes)}


def batteries_built_into(*, product: Battery) -> QuerySet[Battery]:
    """The originals a cascade-use product was built from, unordered."""
    return Battery.objects.filter(product_links__product=product)


def batteries_released_to_or_held(*, org: Organisation, states: Iterable[str]) -> QuerySet[Battery]:
    """Batteries an open release hands to ``org``, and those it holds in one of ``states``, each once,
    unordered."""
    released = Q(releases__status="open", releases__receiver=org)
    held = Q(custodian=org, state__in=list(states))
    return Battery.objects.filter(released | held).distinct()


def release_open_to(*, battery: Battery, org: Organisation) -> bool:
    """Whether an open release hands ``battery`` to ``org`` (the receiver is yet to confirm it)."""
    return CustodyRelease.objects.filter(battery=battery, status="open", receiver=org).exists()


def battery_ever_held_by(*, battery: Battery, org: Organisation) -> bool:
    """Whether an event of ``battery`` ever put it in ``org``'s custody."""
    return LifecycleEvent.objects.filter(battery=battery, custodian_after=org).exists()


def battery_rated_capacity_ah(*, battery_id: int) -> Decimal | None:
    """The battery's rated capacity (None when it has none, or there is no such battery)."""
    return Battery.objects.filter(pk=battery_id).values_list("rated_capacity_ah", flat=True).first()


# --- the other apps' reads: vehicles and bindings ---------------------------------------------------------


def vehicle_by_vin(*, vin: str) -> Vehicle | None:
    """The vehicle registered under ``vin``, whoever owns it (None if there is none)."""
    return Vehicle.objects.filter(vin=vin_.normalise(vin)).first()


def vehicle_locked_by_vin(*, vin: str) -> Vehicle | None:
    """The vehicle registered under ``vin``, locked for the rest of the transaction (None if there is none)."""
    return Vehicle.objects.select_for_update().filter(vin=vin_.normalise(vin)).first()


def vehicle_bindings(*, vehicle: Vehicle) -> list[Binding]:
    """Every binding of the vehicle, current and past, with its pack, in binding order (R-BIND)."""
    return list(Binding.objects.filter(vehicle=vehicle).select_related("pack").order_by("bound_at", "id"))


def battery_bindings(*, battery: Battery) -> list[Binding]:
    """Every binding of the pack, current and past, with its vehicle, in binding order (R-BIND)."""
    return list(Binding.objects.filter(pack=battery).select_related("vehicle").order_by("bound_at"))


def vehicle_pack_now_or_last(*, vehicle: Vehicle) -> Battery | None:
    """The pack bound to ``vehicle`` now or, if none is, the one bound last (None if it never carried one)."""
    order = (F("unbound_at").desc(nulls_first=True), "-bound_at")
    binding = Binding.objects.filter(vehicle=vehicle).select_related("pack").order_by(*order).first()
    return binding.pack if binding else None


def bindings_current(*, vehicle_region: str) -> QuerySet[Binding]:
    """The bindings in force of packs still in vehicles registered in ``vehicle_region``, unordered."""
    return Binding.objects.filter(
        unbound_at__isnull=True, pack__state=State.IN_VEHICLE, vehicle__region=vehicle_region
    )


def vehicles_carrying(*, pack_ids: Iterable[int]) -> dict[int, int]:
    """Pack id -> id of the vehicle it is bound to now, for those of ``pack_ids`` that are in a vehicle."""
    rows = Binding.objects.filter(pack_id__in=set(pack_ids), unbound_at__isnull=True)
    return dict(rows.values_list("pack_id", "vehicle_id"))


def pack_bound_to(*, vehicle: Vehicle, pack: Battery, now: bool = False) -> bool:
    """Whether ``pack`` was ever bound to ``vehicle`` (with ``now``: whether it is bound to it now)."""
    rows = Binding.objects.filter(vehicle=vehicle, pack=pack)
    return (rows.filter(unbound_at__isnull=True) if now else rows).exists()


# --- the other apps' reads: lifecycle events --------------------------------------------------------------


def events_in_force() -> QuerySet[LifecycleEvent]:
    """Every event that no declaration in force has struck out (what counts and figures count), unordered."""
    return LifecycleEvent.objects.filter(not_declared_erroneous())


def events_with_deadline() -> QuerySet[LifecycleEvent]:
    """Events that had an upload deadline (their ``on_time`` is known), unordered, for the caller to narrow."""
    return LifecycleEvent.objects.filter(on_time__isnull=False)


def battery_event_history(*, battery: Battery) -> QuerySet[LifecycleEvent]:
    """The battery's own events, oldest first, unevaluated (the caller may narrow the columns it reads)."""
    return LifecycleEvent.objects.filter(battery=battery).order_by("occurred_at", "id")


def latest_event_of_kind(*, battery: Battery, kind: str) -> LifecycleEvent | None:
    """The battery's most recently recorded event of ``kind`` (None if it has none)."""
    return LifecycleEvent.objects.filter(battery=battery, kind=kind).order_by("-id").first()


def events_of_kind(*, batteries: Iterable[Battery], kind: str) -> QuerySet[LifecycleEvent]:
    """The events of one kind recorded on any of ``batteries``, unordered."""
    return LifecycleEvent.objects.filter(battery__in=list(batteries), kind=kind)


def bindings_of_unregistered_makers() -> QuerySet[LifecycleEvent]:
    """The ``bound`` events of packs whose code's manufacturer is not in the code registry (R-CODE)."""
    return LifecycleEvent.objects.filter(kind=EventKind.BOUND, battery__unregistered_maker=True)


def arrivals_in_states(*, battery_ids: Iterable[int], states: Iterable[str]) -> list[tuple[int, datetime]]:
    """``(battery id, when)`` of every event that left one of these batteries in one of ``states``."""
    rows = LifecycleEvent.objects.filter(battery_id__in=set(battery_ids), state_after__in=list(states))
    return list(rows.values_list("battery_id", "occurred_at"))


def mass_received_at(*, place_ref: str, start: datetime, end: datetime) -> Decimal:
    """The rated mass (kg) of the batteries received at a place (``place_ref`` as on the events) in a period,
    both ends included."""
    kg = LifecycleEvent.objects.filter(
        kind=EventKind.RECEIVED, place_ref=place_ref, occurred_at__range=(start, end)
    ).aggregate(kg=Sum("battery__mass_kg"))["kg"]
    return Decimal(kg or 0)


def masses_received_by(*, org: Organisation, kind: str, year: int) -> list[tuple[object, Decimal | None]]:
    """Per event of ``kind`` that brought a battery into ``org``'s custody in calendar ``year``: the mass its
    payload states (None if it states none) and the battery's rated mass."""
    rows = LifecycleEvent.objects.filter(kind=kind, custodian_after=org, occurred_at__year=year)
    return list(rows.values_list("payload__mass_kg", "battery__mass_kg"))


def latest_place_of(*, kinds: Iterable[str]) -> Subquery:
    """For annotating a battery queryset: the place reference of the battery's latest event of one of
    ``kinds``."""
    latest = LifecycleEvent.objects.filter(battery=OuterRef("pk"), kind__in=list(kinds))
    return Subquery(latest.order_by("-occurred_at", "-id").values("place_ref")[:1])


def last_custody_change() -> Subquery:
    """For annotating a battery queryset: when the battery last changed custodian (its latest event but those
    that kept it with its present custodian)."""
    latest = LifecycleEvent.objects.filter(battery=OuterRef("pk")).exclude(
        custodian_before=OuterRef("custodian"), custodian_after=OuterRef("custodian")
    )
    return Subquery(latest.order_by("-occurred_at").values("occurred_at")[:1])
