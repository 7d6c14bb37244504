"""Writes of the telemetry store: partition upkeep and the raw-frame purge (samples are written by the gateway's
batch writer, ``telemetry.storage``)."""

from __future__ import annotations

from . import storage


def partitions_maintain(*, ahead: int, keep_months: int = 0) -> dict:
    return storage.partitions_maintain(ahead=ahead, keep_months=keep_months)


def raw_frames_purge(*, days: int) -> int:
    return storage.raw_frames_purge(days=days)
