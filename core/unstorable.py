"""What PostgreSQL cannot store, found in a request's data before anything reads it (R-API).

- U+0000 is valid JSON and a valid URL escape (``%00``), but neither a text column nor ``jsonb`` stores it.
- A lone surrogate (``"\\ud800"``) is valid JSON but not Unicode: it cannot be encoded as UTF-8.
- ``NaN`` and ``Infinity`` are not JSON (RFC 8259 §6), though Python's json module reads and writes them.

Pure: no Django. ``refusal`` names the first place at fault (``items[0].payload.note``) and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# A UTF-16 surrogate alone: json.loads lets "\ud800" through as a str that UTF-8 cannot encode.
_SURROGATE = re.compile("[\ud800-\udfff]")


class NonFinite:
    """What ``json.loads(..., parse_constant=NonFinite)`` puts where the body said NaN or Infinity."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def _walk(data: object, path: str) -> Iterator[tuple[str, object]]:
    """Every key and value with the place it stands, depth first."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, key
            yield from _walk(value, child)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from _walk(value, f"{path}[{index}]")


def _printable(place: str) -> str:
    """The place as it can be shown: the characters at fault escaped."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", place.replace("\x00", "\\u0000")) or "body"


def refusal(data: object) -> tuple[str, str] | None:
    """The first place in parsed request data that cannot be stored, and why; None when all of it can."""
    for place, item in _walk(data, ""):
        if isinstance(item, NonFinite):
            return _printable(
                place
            ), f"{item.literal} is not valid JSON; omit the key when the value is unknown"
        if isinstance(item, str):
            if "\x00" in item:
                return _printable(place), "must not contain the NUL character (U+0000)"
            if _SURROGATE.search(item):
                return _printable(place), "must be valid Unicode: a lone surrogate (\\ud800-\\udfff) was sent"
    return None
