import pytest

from traceability.lifecycle import (
    TRANSITIONS,
    EventKind,
    IllegalTransition,
    State,
    allowed_events,
    next_state,
)

LEGAL = [(state, kind) for kind, (allowed, _) in TRANSITIONS.items() for state in sorted(allowed, key=str)]


@pytest.mark.parametrize(("state", "kind"), LEGAL, ids=lambda v: str(v))
def test_every_legal_step(state, kind):
    step = next_state(state, kind)
    target = TRANSITIONS[kind][1]
    assert step.before == state
    assert step.after == (target or state)
    assert kind in allowed_events(state)


def test_first_event_is_produced():
    assert next_state(None, "produced").after == State.REGISTERED
    with pytest.raises(IllegalTransition):
        next_state(None, "bound")


ILLEGAL = [
    (State.REGISTERED, EventKind.PRODUCED),
    (State.REGISTERED, EventKind.REPLACED_OUT),
    (State.IN_VEHICLE, EventKind.RECEIVED),
    (State.IN_VEHICLE, EventKind.DISMANTLED),
    (State.SCRAPPED, EventKind.RECEIVED),
    (State.CONSUMED, EventKind.BOUND),
    (State.RECYCLED, EventKind.BOUND),
    (State.AT_SERVICE_POINT, EventKind.MATERIALS_RECOVERED),
    (State.IN_TRANSIT, EventKind.STORED),
]


@pytest.mark.parametrize(("state", "kind"), ILLEGAL, ids=lambda v: str(v))
def test_illegal_steps_are_refused_with_the_allowed_states(state, kind):
    with pytest.raises(IllegalTransition) as err:
        next_state(state, kind)
    assert kind.value in str(err.value)


def test_unknown_kind():
    with pytest.raises(ValueError, match="unknown event kind"):
        next_state("registered", "teleported")
