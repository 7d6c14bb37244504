"""In-transaction hooks between apps, so arrows keep pointing inward.

``traceability`` calls :func:`events_recorded` inside the transaction that wrote lifecycle events; other apps
(``national_sync``'s outbox) register a receiver in their ``AppConfig.ready``. A receiver that raises rolls the
whole write back: nothing is stored that is not also queued, and nothing is queued that was rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Receiver = Callable[[str, Sequence[Any]], None]
_receivers: list[Receiver] = []


def connect(receiver: Receiver) -> None:
    if receiver not in _receivers:
        _receivers.append(receiver)


def records_written(kind: str, records: Sequence[Any]) -> None:
    """Tell receivers that ``records`` of ``kind`` (e.g. ``"lifecycle_event"``, ``"binding"``) were written."""
    if not records:
        return
    for receiver in _receivers:
        receiver(kind, records)
