"""The battery lifecycle as a state machine (R-LIFE). Pure module: no Django imports.

States follow a battery from production to final disposal; each lifecycle event kind names the states it
may follow and the state it leads to (``None`` keeps the state: a record about the battery, not a move).
An illegal step is refused with :class:`IllegalTransition`, which says what was attempted and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    REGISTERED = "registered"  # produced and coded, not yet in a vehicle
    IN_VEHICLE = "in_vehicle"
    REMOVED = "removed"  # retired / taken out of a vehicle, with its owner, dealer or dismantler
    AT_SERVICE_POINT = "at_service_point"
    IN_TRANSIT = "in_transit"
    CASCADE_USE = "cascade_use"  # in a second life (or held by a cascade-use enterprise for it)
    AT_REGENERATION = "at_regeneration"
    DISMANTLED = "dismantled"
    RECYCLED = "recycled"  # materials recovered
    SCRAPPED = "scrapped"  # final disposal; terminal
    CONSUMED = "consumed"  # built into a cascade-use product under a new code; terminal for the old code
    LOST = "lost"  # reported missing; found again only through a claim the regulator approves
    DISASSEMBLED = "disassembled"  # taken apart into its modules or cells, which go on under their own codes


class EventKind(StrEnum):
    PRODUCED = "produced"
    BOUND = "bound"  # sold with a vehicle
    REPLACED_OUT = "replaced_out"  # maintenance replacement: the pack taken out
    REPLACED_IN = "replaced_in"  # maintenance replacement: the pack put in
    REMOVED = "removed"  # retired / removed from the vehicle (incl. scrapped-vehicle dismantling)
    HANDED_OVER = "handed_over"  # custody from one holder to another, without transport
    DISPATCHED = "dispatched"  # left a holder under a transfer manifest
    RECEIVED = "received"  # received at a service point or hub
    STORED = "stored"
    TRANSPORTED = "transported"  # a transport leg reported while in transit
    ASSESSED = "assessed"  # safety or residual-value assessment
    CASCADE_RECEIVED = "cascade_received"  # received by a cascade-use enterprise
    CASCADE_REPURPOSED = "cascade_repurposed"  # put into a second-life product or use
    CASCADE_RETIRED = "cascade_retired"  # end of second life
    REGENERATION_RECEIVED = "regeneration_received"
    DISMANTLED = "dismantled"
    MATERIALS_RECOVERED = "materials_recovered"
    SCRAPPED = "scrapped"
    LOST = "lost"  # reported missing (e.g. missing in transit)
    RELEASE_CANCELLED = "release_cancelled"  # the holder withdrew an unconfirmed release
    DISASSEMBLED = "disassembled"  # a pack into modules, or a module into cells
    CORRECTED = "corrected"  # an error declaration took effect: back to the state before the wrong event
    SEPARATED = "separated"  # a module or cell out of its disassembled parent, on its own path from then on


S = State
HOLDING = frozenset({S.REMOVED, S.AT_SERVICE_POINT, S.CASCADE_USE, S.AT_REGENERATION})
# States a receipt may follow: a release (in transit or handed over in place), or a lost battery found again.
RECEIVABLE = frozenset({S.REGISTERED, S.IN_TRANSIT, S.REMOVED, S.AT_SERVICE_POINT, S.LOST})

# kind -> (states it may follow, state it leads to; None keeps the state)
TRANSITIONS: dict[EventKind, tuple[frozenset[State], State | None]] = {
    EventKind.PRODUCED: (frozenset(), S.REGISTERED),
    EventKind.BOUND: (frozenset({S.REGISTERED, S.REMOVED, S.AT_SERVICE_POINT}), S.IN_VEHICLE),
    EventKind.REPLACED_OUT: (frozenset({S.IN_VEHICLE}), S.REMOVED),
    EventKind.REPLACED_IN: (frozenset({S.REGISTERED, S.REMOVED, S.AT_SERVICE_POINT}), S.IN_VEHICLE),
    EventKind.REMOVED: (frozenset({S.IN_VEHICLE}), S.REMOVED),
    EventKind.HANDED_OVER: (HOLDING | {S.REGISTERED}, None),
    EventKind.DISPATCHED: (HOLDING, S.IN_TRANSIT),
    # REGISTERED: a never-sold pack (factory reject, or a code first seen at intake) can enter the network.
    EventKind.RECEIVED: (RECEIVABLE, S.AT_SERVICE_POINT),
    EventKind.STORED: (frozenset({S.AT_SERVICE_POINT}), None),
    EventKind.TRANSPORTED: (frozenset({S.IN_TRANSIT}), None),
    EventKind.ASSESSED: (HOLDING | {S.IN_VEHICLE, S.REGISTERED}, None),
    EventKind.CASCADE_RECEIVED: (RECEIVABLE, S.CASCADE_USE),
    EventKind.CASCADE_REPURPOSED: (frozenset({S.CASCADE_USE, S.REGISTERED}), S.CASCADE_USE),
    EventKind.CASCADE_RETIRED: (frozenset({S.CASCADE_USE}), S.REMOVED),
    # A damaged pack may go from a service point straight to regeneration; a second life ends there too.
    EventKind.REGENERATION_RECEIVED: (RECEIVABLE | {S.CASCADE_USE}, S.AT_REGENERATION),
    # Dismantling into materials and material recovery happen only at a (licensed) regeneration enterprise.
    EventKind.DISMANTLED: (frozenset({S.AT_REGENERATION}), S.DISMANTLED),
    EventKind.MATERIALS_RECOVERED: (frozenset({S.DISMANTLED}), S.RECYCLED),
    EventKind.SCRAPPED: (frozenset({S.DISMANTLED, S.RECYCLED, S.AT_REGENERATION}), S.SCRAPPED),
    EventKind.LOST: (HOLDING | {S.IN_TRANSIT, S.REGISTERED}, S.LOST),
    # Keeps the state of a hand-over; a cancelled dispatch returns to the state before it (see the services).
    EventKind.RELEASE_CANCELLED: (HOLDING | {S.IN_TRANSIT, S.REGISTERED}, None),
    EventKind.DISASSEMBLED: (frozenset({S.AT_REGENERATION, S.REGISTERED, S.CASCADE_USE}), S.DISASSEMBLED),
    # An error declaration (EPCIS 2.0 errorDeclaration) returns the battery to the state before the wrong event,
    # which the corrections service names; final states are refused there (``correction.terminal``).
    EventKind.CORRECTED: (frozenset(S) - {S.SCRAPPED, S.CONSUMED, S.DISASSEMBLED}, None),
    # A child has no path of its own while inside its parent; it leaves in the state the parent was taken
    # apart in (see SEPARATION).
    EventKind.SEPARATED: (frozenset({S.REGISTERED}), None),
}

# The parent's state when it was taken apart -> the state its modules or cells go on in.
SEPARATION: dict[State, State] = {
    S.AT_REGENERATION: S.AT_REGENERATION,
    S.CASCADE_USE: S.CASCADE_USE,
    S.REGISTERED: S.REGISTERED,
}


def separated_state(parent_state: str) -> State:
    """The state a module or cell starts its own path in when its parent, in ``parent_state``, is taken apart."""
    return SEPARATION[State(parent_state)]


# A battery that has been in a second life or at regeneration never goes back into a vehicle (R-LIFE).
VEHICLE_ENTRY = frozenset({EventKind.BOUND, EventKind.REPLACED_IN})
ENDS_VEHICLE_USE = frozenset({S.CASCADE_USE, S.AT_REGENERATION, S.DISMANTLED, S.RECYCLED, S.DISASSEMBLED})

# Repurposing under a new code ends the old code's own path: it lives on through its product's trace.
CONSUMING = {EventKind.CASCADE_REPURPOSED: S.CONSUMED}

TERMINAL = frozenset({S.SCRAPPED, S.CONSUMED, S.DISASSEMBLED})


class IllegalTransition(ValueError):
    """``rule`` names the rule: ``lifecycle.<kind>`` for a step the table does not allow,
    ``lifecycle.no_return_to_vehicle`` for a battery whose vehicle use has ended."""

    def __init__(self, kind: str, state: str | None, allowed: frozenset[State], *, rule: str = ""):
        self.kind, self.state, self.allowed = kind, state, allowed
        self.rule = rule or f"lifecycle.{kind}"
        if rule == "lifecycle.no_return_to_vehicle":
            message = (
                f"'{kind}' refused in state '{state}': after a second life or regeneration no vehicle use"
            )
        elif not allowed:
            message = f"'{kind}' can only be the first event of a battery, which already has state '{state}'"
        elif state is None:
            message = f"'{kind}' needs an existing battery; register (produce) it first"
        else:
            options = ", ".join(sorted(s.value for s in allowed))
            message = f"'{kind}' cannot follow state '{state}'; allowed from: {options}"
        super().__init__(message)


@dataclass(frozen=True)
class Step:
    before: State | None
    after: State


def next_state(state: str | None, kind: str, *, vehicle_use_ended: bool = False) -> Step:
    """The state after ``kind`` happens to a battery in ``state`` (None: no battery yet). ``vehicle_use_ended``:
    the battery has been in a second life or at regeneration, so it may not enter a vehicle again."""
    try:
        event = EventKind(kind)
    except ValueError:
        raise ValueError(f"unknown event kind {kind!r}; known: {', '.join(k.value for k in EventKind)}")
    allowed, target = TRANSITIONS[event]
    current = State(state) if state is not None else None
    if current is None:
        if event is not EventKind.PRODUCED:
            raise IllegalTransition(event.value, None, allowed or frozenset({State.REGISTERED}))
        return Step(None, State.REGISTERED)
    if current not in allowed:
        raise IllegalTransition(event.value, current.value, allowed)
    if vehicle_use_ended and event in VEHICLE_ENTRY:
        raise IllegalTransition(event.value, current.value, allowed, rule="lifecycle.no_return_to_vehicle")
    return Step(current, target if target is not None else current)


def allowed_events(state: str) -> list[EventKind]:
    current = State(state)
    return [kind for kind, (allowed, _) in TRANSITIONS.items() if current in allowed]
