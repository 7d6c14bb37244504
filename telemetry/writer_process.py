"""The gateway's batch writer as its own process (spawned: a fresh interpreter with its own database connection),
so that writing never waits for the interpreter lock the event loop holds. Importable before Django is set up."""

from __future__ import annotations

_writer = None


def init(keep_raw: bool, synchronous_commit: bool) -> None:
    import django  # noqa: PLC0415

    django.setup()
    from .storage import SampleWriter  # noqa: PLC0415

    global _writer
    _writer = SampleWriter(keep_raw=keep_raw, synchronous_commit=synchronous_commit)


def flush(items: list) -> None:
    _writer.flush(items)


def ready() -> bool:
    return _writer is not None
