"""In-transaction hooks between apps, so arrows keep pointing inward.

``traceability`` calls :func:`records_written` inside the transaction that wrote lifecycle events; other apps
(``national_sync``'s outbox) register a receiver in their ``AppConfig.ready``. A receiver that raises rolls the
whole write back: nothing is stored that is not also queued, and nothing is queued that was rolled back.

Before it writes, the core asks the guards of an event's kind (:func:`guards_check`): sibling apps' rules
(cascade-use authorisations, hazardous-waste licences) registered with :func:`guard`. A guard raises a
``core.errors.ServiceError`` to refuse; every path of the core calls them, so no endpoint can skip them.
Relation providers (:func:`relation_provider`) tell the core's authority of relations only another app knows
(a dismantler's scrap certificate for a vehicle, an alliance deal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

Receiver = Callable[[str, Sequence[Any]], None]
Guard = Callable[[Any], None]  # called with the proposed event (see traceability.services.Proposal)
RelationProvider = Callable[[Any, Sequence[Any]], set]  # (actor, proposals) -> ids of proposals that hold

_receivers: list[Receiver] = []
_guards: dict[str, list[Guard]] = {}
_relations: dict[str, list[RelationProvider]] = {}


def connect(receiver: Receiver) -> None:
    if receiver not in _receivers:
        _receivers.append(receiver)


def records_written(kind: str, records: Sequence[Any]) -> None:
    """Tell receivers that ``records`` of ``kind`` (e.g. ``"lifecycle_event"``, ``"binding"``) were written."""
    if not records:
        return
    for receiver in _receivers:
        receiver(kind, records)


def guard(kinds: Iterable[str], check: Guard) -> None:
    """Register ``check`` for every event of ``kinds``; it raises a ``ServiceError`` to refuse one."""
    for kind in kinds:
        registered = _guards.setdefault(str(kind), [])
        if check not in registered:
            registered.append(check)


def guarded(kind: str) -> bool:
    """Whether any guard is registered for ``kind``: a set-based path that skips building proposals must ask."""
    return bool(_guards.get(str(kind)))


def guards_check(kind: str, proposal: Any) -> None:
    for check in _guards.get(str(kind), ()):
        check(proposal)


def relation_provider(name: str, provide: RelationProvider) -> None:
    registered = _relations.setdefault(name, [])
    if provide not in registered:
        registered.append(provide)


def relation_holds(name: str, actor: Any, proposals: Sequence[Any]) -> set:
    """Indexes into ``proposals`` for which some provider says the relation ``name`` holds for ``actor``."""
    found: set = set()
    for provide in _relations.get(name, ()):
        found |= set(provide(actor, proposals))
    return found
