"""Reads of the battery passport: one battery's digital ID from the traceability, cascade-use, valuation and
recycling-network selectors, cut to the caller's access class (R-PUBLIC, R-LIFE, R-CASCADE, R-VALUE).

The full passport is built once and then filtered by the access table, so what a caller sees depends only on
its class (:mod:`passport.access`).
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from cascade_use import selectors as cascade
from core import tenancy
from recycling_network import selectors as network
from telemetry import selectors as telemetry
from traceability import ledger_store
from traceability import selectors as trace
from traceability.lifecycle import State
from valuation import selectors as valuation

from . import access, battery_pass

DATA = Path(__file__).resolve().parent / "data"
WASTE_STATES = {State.AT_REGENERATION, State.DISMANTLED, State.RECYCLED, State.SCRAPPED}
NEGATIVE_ROUTES = {"recycle", "regeneration"}


def _table_path() -> Path:
    configured = getattr(settings, "PASSPORT_ACCESS_TABLE", "")
    if configured:
        return Path(configured)
    return max(DATA.glob("access-classes-v*.csv"), key=lambda p: int(p.stem.rsplit("-v", 1)[1]))


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> access.AccessTable:
    text = Path(path).read_text(encoding="utf-8")
    return access.parse_table(text, version=Path(path).stem)


def access_table() -> access.AccessTable:
    """The access table in force, read at run time: editing or adding a versioned file takes effect on the next
    request, without a release (``PASSPORT_ACCESS_TABLE`` names another file)."""
    path = _table_path()
    return _load(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=1)
def _centres() -> dict:
    return json.loads((DATA / "region-centres.json").read_text(encoding="utf-8"))


def _num(value) -> float | None:
    return float(value) if value is not None else None


def _kinds(org) -> list[str]:
    return sorted(org.kinds) if org is not None else []


def caller_class(*, user, battery, events) -> str:
    scope = tenancy.scope_of(user)
    involved = False
    if scope.enterprise:
        parties = {battery.custodian_id}
        for e in events:
            parties.update((e.actor_id, e.custodian_before_id, e.custodian_after_id))
        involved = scope.org_id in parties
    return access.caller_class(
        authenticated=scope.authenticated,
        superuser=scope.superuser,
        regulator=scope.regulator,
        involved=involved,
    )


def _status(battery, waste_reason: str | None) -> str:
    """original / repurposed / waste (Annex XIII 4(c); a cascade-use code is the repurposed battery)."""
    if battery.state in WASTE_STATES or waste_reason:
        return "waste"
    if battery.is_cascade_product or battery.state == State.CONSUMED:
        return "repurposed"
    return "original"


def _hand_in_point(battery, near: tuple[float, float] | None) -> dict | None:
    where = near or _centres().get(battery.region or "BJ") or _centres()["BJ"]
    # only what the answer shows: no operator, district or automakers loaded for every published point
    points = (
        network.published_points()
        .select_related(None)
        .prefetch_related(None)
        .only("code", "name_zh", "name_en", "address", "region", "lat", "lon", "opening_hours")
    )
    nearest = network.points_nearest(points, lat=where[0], lon=where[1], limit=1)
    if not nearest:
        return None
    p = nearest[0].point
    return {
        "code": p.code,
        "name": p.name_zh,
        "name_en": p.name_en,
        "address": p.address,
        "region": p.region,
        "lat": p.lat,
        "lon": p.lon,
        "opening_hours": p.opening_hours,
        "distance_km": round(nearest[0].distance_m / 1000, 1),
        "from": "your position" if near else f"centre of {battery.region or 'BJ'}",
    }


def _assessment(a) -> dict | None:
    if a is None:
        return None
    return {"verdict": a.verdict, "assessed_at": a.assessed_at.isoformat(), "soh_pct": _num(a.soh_pct),
            "limits": a.limits}  # fmt: skip


def _second_life(battery, found: dict) -> dict | None:
    product = cascade.product_of(battery) if battery.is_cascade_product else None
    sources = [s["code"] for s in found["sources"]]
    products = [p["code"] for p in found["products"]]
    if not (product or sources or products):
        return None
    life: dict = {}
    if product is not None:
        life["product"] = {
            "code": battery.code,
            "name": product.name,
            "enterprise": product.enterprise.display_name,
            "scenario": product.scenario.key,
            "scenario_name": product.scenario.name_zh,
            "scenario_name_en": product.scenario.name_en,
            "site_region": product.site_region,
            "commissioned_at": product.commissioned_at.isoformat(),
            "status": product.status,
        }
    if sources:
        life["built_from"] = []
        for code in sources:
            original = trace.battery_get_public(code=code)
            life["built_from"].append(
                {
                    "code": code,
                    "passport": f"/id/{code}/",
                    "safety_assessment": _assessment(cascade.latest_assessment_of(original)),
                }  # fmt: skip
            )
    if products:
        life["built_into"] = []
        for code in products:
            item = trace.battery_get_public(code=code)
            made = cascade.product_of(item)
            life["built_into"].append(
                {
                    "code": code,
                    "passport": f"/id/{code}/",
                    "enterprise": made.enterprise.display_name if made else None,
                    "scenario": made.scenario.key if made else None,
                }  # fmt: skip
            )
    if not battery.is_cascade_product:
        life["safety_assessment"] = _assessment(cascade.latest_assessment_of(battery))
    return life


TELEMETRY_EVENTS_SHOWN = 20  # the latest negative events of the vehicle telemetry


def _telemetry_points(battery) -> list[dict]:
    """The pack's telemetry SOH (dated by its last charging segment) and its latest negative events."""
    health = telemetry.health_for_battery(
        battery_id=battery.pk, rated_capacity_ah=battery.rated_capacity_ah or 0
    )
    blank = {"source": "vehicle_telemetry", "soh_pct": None, "cycle_count": None, "grade": None}
    points = [
        {**blank, "date": timezone.localdate(e.start).isoformat(), "negative": True,
         "reason": f"{e.kind.replace('_', ' ')} (peak {e.peak:g}, {e.samples} samples)"}
        for e in health.events[-TELEMETRY_EVENTS_SHOWN:]
    ]  # fmt: skip
    if health.soh is not None and health.segments:
        points.append(
            {**blank, "date": timezone.localdate(health.segments[-1].end).isoformat(),
             "soh_pct": round(health.soh * 100, 2), "negative": False, "reason": ""}
        )  # fmt: skip
    return points


def _timeline(battery, events, *, valuations, with_telemetry: bool = True) -> list[dict]:
    """SOH, cycle count and negative events from the residual-value and safety assessments and from the vehicle
    telemetry, oldest first (``with_telemetry`` False: the pack is known to have no telemetry)."""
    points: list[dict] = _telemetry_points(battery) if battery.level == "P" and with_telemetry else []
    for v in valuations:
        result = v.result if isinstance(v.result, dict) else {}
        negative = v.route in NEGATIVE_ROUTES or (v.inputs or {}).get("safety_passed") is False
        points.append(
            {
                "date": v.valuation_date.isoformat(),
                "source": "residual_value_assessment",
                "soh_pct": round(float(v.soh) * 100, 2),
                "cycle_count": _num(result.get("efc")),
                "grade": v.grade,
                "negative": negative,
                "reason": ("route " + v.route)
                if v.route in NEGATIVE_ROUTES
                else ("safety test failed" if negative else ""),
            }  # fmt: skip
        )
    for e in events:
        payload = e.payload if isinstance(e.payload, dict) else {}
        if payload.get("assessment") != "safety":
            continue
        failed = payload.get("verdict") == "fail"
        points.append(
            {
                "date": e.occurred_at.date().isoformat(),
                "source": "safety_assessment",
                "soh_pct": _num(Decimal(str(payload["soh_pct"]))) if payload.get("soh_pct") else None,
                "cycle_count": None,
                "grade": None,
                "negative": failed,
                "reason": "safety assessment failed" if failed else "",
            }  # fmt: skip
        )
    return sorted(points, key=lambda p: p["date"])


def _custody(events, found_events: dict) -> tuple[list[dict], list[dict]]:
    anonymous, named = [], []
    for e in events:
        base = {"event_id": e.pk, "kind": e.kind, "occurred_at": e.occurred_at.isoformat(), "region": e.region,
                "ledger_index": found_events.get(e.pk)}  # fmt: skip
        anonymous.append(
            {**base, "actor_kinds": _kinds(e.actor), "custodian_kinds": _kinds(e.custodian_after)}
        )
        named.append(
            {
                **base,
                "actor": e.actor.display_name if e.actor else None,
                "custodian_before": e.custodian_before.display_name if e.custodian_before else None,
                "custodian_after": e.custodian_after.display_name if e.custodian_after else None,
                "place": e.place,
            }  # fmt: skip
        )
    return anonymous, named


def _exported_fields(battery, *, events, timeline: list[dict], waste_reason: str | None) -> dict:
    """The fields of a passport that the Battery Pass export reads (``battery_pass.battery_pass``), the same for
    one passport and for many; the rest of the export is not built."""
    bound = next((e for e in events if e.kind == "bound"), None)
    return {
        "passport_id": f"urn:jjjtrace:{battery.code.lower()}",
        "code": battery.code,
        "battery_category": "stationary" if battery.is_cascade_product else "ev",
        "production_date": battery.production_date.isoformat() if battery.production_date else None,
        "status": _status(battery, waste_reason),
        "mass_kg": _num(battery.mass_kg),
        "put_into_service": bound.occurred_at.isoformat() if bound else None,
        "rated_energy_kwh": _num(battery.rated_energy_kwh),
        "rated_capacity_ah": _num(battery.rated_capacity_ah),
        "timeline": timeline,
        "negative_events": [p for p in timeline if p["negative"]],
    }


def passport_full(*, battery, events, near: tuple[float, float] | None = None) -> dict:
    """Every field of the passport, before the access classes cut it."""
    found = trace.battery_trace(battery=battery)
    timeline = _timeline(battery, events, valuations=valuation.valuation_history(battery=battery))
    latest_soh = next((p for p in reversed(timeline) if p["soh_pct"] is not None), None)
    latest_cycles = next((p for p in reversed(timeline) if p["cycle_count"] is not None), None)
    proofs = ledger_store.inclusion_proofs([e.pk for e in events])
    head = ledger_store.latest_head()
    custody, custody_named = _custody(events, {k: p.leaf_index for k, p in proofs.items()})

    def children(nodes: list[dict]) -> list[str]:
        return [code for n in nodes for code in [n["code"], *children(n.get("children", []))]]

    return {
        **_exported_fields(
            battery, events=events, timeline=timeline, waste_reason=cascade.waste_reason(battery)
        ),
        "level": battery.level,
        "manufacturer": battery.maker.display_name if battery.maker_id else None,
        "manufacturer_code": battery.manufacturer_code,
        "chemistry": battery.chemistry,
        "recycled_content": None,
        "hand_in_point": _hand_in_point(battery, near),
        "parent": battery.parent.code if battery.parent_id else None,
        "components": children(found["children"]),
        "second_life": _second_life(battery, found),
        "ledger_head": head.as_dict() if head else None,
        "region": battery.region,
        "state_of_health": latest_soh["soh_pct"] if latest_soh else None,
        "cycle_count": latest_cycles["cycle_count"] if latest_cycles else None,
        "custody_history": custody,
        "ledger_proofs": {str(k): _proof(p) for k, p in proofs.items()},
        "lifecycle_state": battery.state,
        "custodian": battery.custodian.display_name if battery.custodian_id else None,
        "custody_history_named": custody_named,
        "vehicles": [
            {
                "vin": v["vin"],
                "bound_at": v["bound_at"].isoformat() if v["bound_at"] else None,
                "unbound_at": v["unbound_at"].isoformat() if v["unbound_at"] else None,
            }  # fmt: skip
            for v in found["vehicles"]
        ],
        "ledger_leaf_data": {str(k): p.as_dict()["leaf_data"] for k, p in proofs.items()},
    }


def _proof(p: ledger_store.InclusionProof) -> dict:
    """The shape of ``GET /api/v1/ledger/proof/{event_id}/`` less ``leaf_data`` (an authority field)."""
    proof = p.as_dict()
    proof.pop("leaf_data")
    return proof


def passport_for(*, code: str, user, near: tuple[float, float] | None = None) -> dict | None:
    """The passport of the battery with ``code`` as this caller may see it, or None for an unknown code."""
    battery = trace.battery_get_public(code=code)
    if battery is None:
        return None
    events = trace.battery_events_with_parties(battery=battery)
    cls = caller_class(user=user, battery=battery, events=events)
    return access_table().visible(passport_full(battery=battery, events=events, near=near), cls)


@lru_cache(maxsize=1)
def _digital_id_fields() -> dict:
    return json.loads((DATA / "digital-id-fields-v1.json").read_text(encoding="utf-8"))


def battery_pass_for(*, code: str, user) -> dict | None:
    """The EU Battery Pass export of what this caller may see of the passport."""
    passport = passport_for(code=code, user=user)
    return battery_pass.battery_pass(passport) if passport is not None else None


def battery_passes_for(*, codes: list[str], user) -> dict[str, dict]:
    """The Battery Pass export of many batteries, each as this caller may see it, keyed by code (unknown codes
    left out): the answer ``battery_pass_for`` gives for each."""
    return {
        code: battery_pass.battery_pass(p) for code, p in passports_for_export(codes=codes, user=user).items()
    }


def passports_for_export(*, codes: list[str], user) -> dict[str, dict]:
    """The passports of many batteries as this caller may see them, only the fields the export reads
    (:func:`_exported_fields`), keyed by code: one query per table for all of them — batteries, events, residual-value
    assessments, latest safety assessments, which packs have telemetry — and the telemetry health only of the
    packs that have any."""
    batteries = list(
        trace.batteries_by_code(codes=codes).select_related(None).only(
            "id", "code", "level", "state", "is_cascade_product", "custodian_id", "production_date", "mass_kg",
            "rated_energy_kwh", "rated_capacity_ah",
        )
    )  # fmt: skip
    ids = [b.pk for b in batteries]
    events = trace.events_of_batteries(battery_ids=ids)
    valuations = valuation.valuation_histories(battery_ids=ids)
    waste = cascade.waste_reasons(batteries)
    with_samples = telemetry.batteries_with_samples(battery_ids=[b.pk for b in batteries if b.level == "P"])
    table = access_table()
    out = {}
    for b in batteries:
        own = events[b.pk]
        timeline = _timeline(b, own, valuations=valuations[b.pk], with_telemetry=b.pk in with_samples)
        full = _exported_fields(b, events=own, timeline=timeline, waste_reason=waste[b.pk])
        out[b.code] = table.visible(full, caller_class(user=user, battery=b, events=own))
    return out


def digital_id_for(*, code: str, user) -> dict | None:
    """The digital ID of the 2026 measures, each field with its source's firmness mark."""
    passport = passport_for(code=code, user=user)
    return battery_pass.digital_id(passport, _digital_id_fields()) if passport is not None else None
