"""Disassembly of a pack into its modules, or of a module into its cells (R-CODE, R-LIFE; GB/T 33598,
GB/T 34015.2).

While a module or cell is inside an intact parent it has no path of its own: the parent's events are part of
its trace by reference (:func:`traceability.selectors.battery_trace`) and an event on the child alone is refused
(``lifecycle.part_of_intact_pack``). A ``disassembled`` event makes the parent terminal and, in the same
transaction, gives each child a ``separated`` event: the child takes the parent's holder as custodian and the
state the parent was taken apart in (``lifecycle.SEPARATION``), and goes on alone from then on.

Who may take a battery apart is the authority's table (``data/authority.json``, kind ``disassembled``): its
holder, being a regeneration enterprise (with a valid licence, the regeneration guard), a cascade-use enterprise
in a second life, or the maker with a pack still in its custody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from accounts.actors import person
from accounts.models import User
from core.audit import audit_log

from .. import codes
from ..lifecycle import EventKind
from ..models import Battery, LifecycleEvent
from .events import (
    EventSpec,
    TraceabilityConflict,
    TraceabilityError,
    TraceabilityNotFound,
    events_record_bulk,
)
from .registration import LEVEL_RANK, BatterySpec, batteries_register_bulk, parse_code

MAX_CHILDREN = 2000  # a pack of a few hundred cells; more is a mistake or an attack


@dataclass
class Disassembly:
    parent: Battery
    event: LifecycleEvent
    children: list[Battery]
    separations: list[LifecycleEvent]
    registered: list[str]  # child codes first registered at this disassembly


@transaction.atomic
def battery_disassemble(
    *,
    actor: User,
    code: str,
    children: list[str] | None = None,
    occurred_at: datetime,
    place: str = "",
) -> Disassembly:
    """Take the battery ``code`` apart (R-LIFE): a ``disassembled`` event on it and a ``separated`` event on
    each child, ledgered, in one transaction.

    Every child already registered under the battery is separated, whether named or not. ``children`` may name
    more codes: a code already registered must be a child of this battery (``disassembly.child_of_another``);
    an unknown one must decode under GB/T 34014 one level below (``disassembly.child_level``) and is registered
    now as a child, not registered by its maker (``registered=False``), with the maker's prefix policy applying
    to its manufacturer code. Raises :class:`TraceabilityError` naming the rule; nothing is written then.
    """
    actor_user = person(actor)
    raw = codes.normalise(code)
    parent = Battery.objects.select_for_update().filter(code=raw).first()
    if parent is None:
        raise TraceabilityNotFound(f"no battery {raw}", field="code", code="not_found")
    named = _named(children)
    existing = {b.code: b for b in Battery.objects.filter(code__in=named)}
    for child_code, child in existing.items():
        if child.parent_id != parent.pk:
            where = f"part of {child.parent.code}" if child.parent is not None else "registered on its own"
            raise TraceabilityConflict(
                f"{child_code} is {where}, not of {parent.code}",
                field="children",
                code="disassembly.child_of_another",
            )
    new_codes = [c for c in named if c not in existing]
    for child_code in new_codes:
        parsed = parse_code(child_code, field_name="children")
        if LEVEL_RANK[parsed.product_type] >= LEVEL_RANK[parent.level]:
            raise TraceabilityError(
                f"{child_code} is a {parsed.level_name}: it cannot come out of a "
                f"{codes.PRODUCT_TYPES[parent.level]}",
                field="children",
                code="disassembly.child_level",
            )
    # The events first: the authority and the guards decide before anything is registered. New children are
    # registered inside the same transaction, so a refusal below rolls their registration back too.
    registered: list[Battery] = []
    if new_codes:
        registered = batteries_register_bulk(
            specs=[
                BatterySpec(
                    code=c,
                    parent=parent,
                    custodian=actor.organisation,
                    occurred_at=occurred_at,
                    registered=False,
                    maker=parent.maker if c[:3] == parent.manufacturer_code else None,
                    payload={"registered_at_disassembly_of": parent.code},
                )
                for c in new_codes
            ],
            maker=None,
            actor=actor,
            check_manufacturer=True,
        )
    kids = list(Battery.objects.filter(parent=parent).order_by("code"))
    if not kids:
        raise TraceabilityError(
            f"{parent.code} has no registered modules or cells: name the codes it comes apart into",
            field="children",
            code="disassembly.children_separated",
        )
    payload = {"children": [k.code for k in kids]}
    specs = [
        EventSpec(battery=parent, kind=EventKind.DISASSEMBLED, occurred_at=occurred_at, place=place,
                  payload=payload),
        *(
            EventSpec(battery=k, kind=EventKind.SEPARATED, occurred_at=occurred_at, place=place,
                      region=parent.region or None, payload={"from": parent.code})
            for k in kids
        ),
    ]  # fmt: skip
    outcome = events_record_bulk(specs=specs, actor=actor)
    parent.refresh_from_db()
    audit_log(
        actor=actor_user,
        action="battery.disassemble",
        obj=parent,
        changes={"children": payload["children"], "registered": [b.code for b in registered]},
    )
    return Disassembly(
        parent=parent,
        event=outcome.events[0],
        children=list(Battery.objects.filter(parent=parent).order_by("code")),
        separations=outcome.events[1:],
        registered=[b.code for b in registered],
    )


def _named(children) -> list[str]:
    if children is None:
        return []
    if not isinstance(children, list | tuple):
        raise TraceabilityError("a list of module or cell codes", field="children", code="invalid")
    if len(children) > MAX_CHILDREN:
        raise TraceabilityError(f"at most {MAX_CHILDREN} codes", field="children", code="too_many")
    out: list[str] = []
    for item in children:
        if not isinstance(item, str) or not item.strip():
            raise TraceabilityError("each child is a battery code", field="children", code="invalid")
        normal = codes.normalise(item)
        if len(normal) > 25:
            raise TraceabilityError(
                f"{normal[:30]}... is not a battery code", field="children", code="length"
            )
        if normal in out:
            raise TraceabilityError(f"{normal} is named twice", field="children", code="duplicate")
        out.append(normal)
    return out
