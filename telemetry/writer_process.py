"""The gateway's batch writer as its own process (spawned: a fresh interpreter with its own database connection),
so that writing never waits for the interpreter lock the event loop holds. Importable before Django is set up.

The gateway leaves the blocks of real-time and reissued reports undecoded (``defer_report_decoding``): they are
decoded here, on the other core, and a report the decoder refuses is left out of the batch and answered error."""

from __future__ import annotations

from .gateway import decode_deferred

_writer = None


def init(keep_raw: bool, synchronous_commit: bool) -> None:
    import django  # noqa: PLC0415

    django.setup()
    from .storage import SampleWriter  # noqa: PLC0415

    global _writer
    _writer = SampleWriter(keep_raw=keep_raw, synchronous_commit=synchronous_commit)


def flush(items: list) -> list:
    faults = decode_deferred(items)
    _writer.flush([item for item, fault in zip(items, faults, strict=True) if fault is None])
    return faults


def ready() -> bool:
    return _writer is not None
