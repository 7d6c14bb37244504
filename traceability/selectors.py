"""Reads for the traceability core (R-LIFE: "来源可查、去向可追、节点可控")."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from core import tenancy

from . import codes
from .models import Battery, BatteryLink, Binding, LedgerLeaf, LifecycleEvent, Vehicle


def battery_list(*, user, filters: dict | None = None) -> QuerySet[Battery]:
    from .filtersets import BatteryFilterSet  # noqa: PLC0415

    qs = tenancy.visible(Battery.objects.select_related("maker", "custodian"), user).order_by("-id")
    return BatteryFilterSet(filters or {}, queryset=qs).qs


def battery_get_by_code(*, code: str, user) -> Battery | None:
    """The battery with ``code`` if this user may read it (another tenant's battery is None, like a missing one)."""
    qs = Battery.objects.select_related("maker", "custodian", "parent")
    return tenancy.visible(qs, user).filter(code=codes.normalise(code)).first()


def vehicle_get_by_vin(*, vin: str, user) -> Vehicle | None:
    qs = Vehicle.objects.select_related("automaker", "fleet_owner")
    return tenancy.visible(qs, user).filter(vin=(vin or "").strip().upper()).first()


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
        "maker": battery.maker.display_name if battery.maker_id else None,
        "custodian": battery.custodian.display_name if battery.custodian_id else None,
        "parent": battery.parent.code if battery.parent_id else None,
    }


def _event_dict(e: LifecycleEvent, names: dict[int, str]) -> dict:
    return {
        "id": e.pk,
        "battery": e.battery_code,
        "kind": e.kind,
        "state_before": e.state_before,
        "state_after": e.state_after,
        "actor": names.get(e.actor_id),
        "custodian_before": names.get(e.custodian_before_id),
        "custodian_after": names.get(e.custodian_after_id),
        "place": e.place,
        "region": e.region,
        "occurred_at": e.occurred_at,
        "reported_at": e.reported_at,
        "deadline": e.deadline,
        "on_time": e.on_time,
        "payload": e.payload,
        "ledger_index": e.ledger_index,
    }


def battery_trace(*, battery: Battery) -> dict:
    """The whole history of ``battery``: its events, its modules and cells (pack to cells) with theirs, the
    vehicles it was in, and cascade-use links both ways (the originals it was built from and the products it went
    into), each event with its ledger index. A fixed number of queries whatever the history's length."""
    from accounts.models import Organisation  # noqa: PLC0415

    family = [battery]
    level_ids = [battery.pk]
    for _ in range(2):  # pack -> modules -> cells
        children = list(Battery.objects.filter(parent_id__in=level_ids).order_by("code"))
        if not children:
            break
        family.extend(children)
        level_ids = [c.pk for c in children]
    sources = list(
        BatteryLink.objects.filter(product=battery)
        .select_related("source")
        .values_list("source__code", flat=True)
    )
    products = list(
        BatteryLink.objects.filter(source=battery)
        .select_related("product")
        .values_list("product__code", flat=True)
    )
    linked = list(Battery.objects.filter(code__in=sources + products))
    ids = [b.pk for b in family] + [b.pk for b in linked]
    events = list(
        LifecycleEvent.objects.filter(battery_id__in=ids)
        .annotate(
            battery_code=Subquery(Battery.objects.filter(pk=OuterRef("battery_id")).values("code")[:1]),
            ledger_index=Subquery(LedgerLeaf.objects.filter(event_id=OuterRef("pk")).values("index")[:1]),
        )
        .order_by("occurred_at", "id")
    )
    org_ids = {i for e in events for i in (e.actor_id, e.custodian_before_id, e.custodian_after_id) if i}
    names = {o.pk: o.display_name for o in Organisation.objects.filter(pk__in=org_ids)}
    by_battery: dict[int, list[dict]] = {}
    for e in events:
        by_battery.setdefault(e.battery_id, []).append(_event_dict(e, names))
    bindings = list(Binding.objects.filter(pack=battery).select_related("vehicle").order_by("bound_at", "id"))
    children_of: dict[int | None, list[Battery]] = {}
    for b in family[1:]:
        children_of.setdefault(b.parent_id, []).append(b)

    def node(b: Battery) -> dict:
        return {
            "code": b.code,
            "level": b.level,
            "state": b.state,
            "events": by_battery.get(b.pk, []),
            "children": [node(c) for c in children_of.get(b.pk, [])],
        }

    tree = node(battery)
    return {
        "battery": battery_summary(battery),
        "events": tree["events"],
        "children": tree["children"],
        "vehicles": [
            {
                "vin": b.vehicle.vin,
                "bound_at": b.bound_at,
                "unbound_at": b.unbound_at,
                "reason": b.unbound_reason,
            }
            for b in bindings
        ],
        "sources": [
            {"code": b.code, "level": b.level, "state": b.state, "events": by_battery.get(b.pk, [])}
            for b in linked
            if b.code in sources
        ],
        "products": [
            {"code": b.code, "level": b.level, "state": b.state, "events": by_battery.get(b.pk, [])}
            for b in linked
            if b.code in products
        ],
    }


def event_get(*, event_id: int, user) -> LifecycleEvent | None:
    return tenancy.visible(LifecycleEvent.objects.all(), user).filter(pk=event_id).first()
