"""What PostgreSQL cannot store, found in a request's data before anything reads it (R-API).

- U+0000 is valid JSON and a valid URL escape (``%00``), but neither a text column nor ``jsonb`` stores it.
- A lone surrogate (``"\\ud800"``) is valid JSON but not Unicode: it cannot be encoded as UTF-8.
- ``NaN`` and ``Infinity`` are not JSON (RFC 8259 §6), though Python's json module reads and writes them; a
  number beyond a double's range (``1e999``) would be read as infinity (RFC 8259 §6 lets a parser refuse it).
- Nesting deeper than ``MAX_DEPTH`` (RFC 8259 §9 lets a parser limit it).

Pure: no Django. ``refusal`` names the first place at fault (``items[0].payload.note``) and why.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

# No record of the platform nests this deep; a body that does is an attack on the parser, not data.
MAX_DEPTH = 32
# A UTF-16 surrogate alone: json.loads lets "\ud800" through as a str that UTF-8 cannot encode.
_SURROGATE = re.compile("[\ud800-\udfff]")


class NonFinite:
    """What ``json.loads(..., parse_constant=NonFinite, parse_float=finite_float)`` puts where the body said
    NaN or Infinity, or wrote a number beyond a double (``1e999``, which Python would read as infinity)."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def finite_float(literal: str) -> float | NonFinite:
    value = float(literal)
    return value if math.isfinite(value) else NonFinite(literal)


def _walk(data: object) -> Iterator[tuple[str, object, int]]:
    """Every key and value with the place it stands and its depth, depth first (with a stack: a body nested a
    thousand deep must not exhaust Python's own)."""
    stack: list[tuple[str, object, int]] = [("", data, 0)]
    while stack:
        path, item, depth = stack.pop()
        yield path, item, depth
        if isinstance(item, dict):
            children = []
            for key, value in item.items():
                child = f"{path}.{key}" if path else str(key)
                children += [(child, key, depth + 1), (child, value, depth + 1)]
        elif isinstance(item, list | tuple):
            children = [(f"{path}[{index}]", value, depth + 1) for index, value in enumerate(item)]
        else:
            continue
        stack.extend(reversed(children))


def _printable(place: str) -> str:
    """The place as it can be shown: the characters at fault escaped."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", place.replace("\x00", "\\u0000")) or "body"


def _non_finite(literal: str) -> str:
    if literal in ("NaN", "Infinity", "-Infinity"):
        return f"{literal} is not valid JSON; omit the key when the value is unknown"
    return f"{literal[:40]} is beyond the range of a number (about ±1.8e308)"


def refusal(data: object) -> tuple[str, str] | None:
    """The first place in parsed request data that cannot be stored, and why; None when all of it can."""
    for place, item, depth in _walk(data):
        if depth >= MAX_DEPTH and isinstance(item, dict | list | tuple):  # the 33rd object or array inside
            return _printable(place), f"nests deeper than {MAX_DEPTH} levels"
        if isinstance(item, NonFinite):
            return _printable(place), _non_finite(item.literal)
        if isinstance(item, str):
            if "\x00" in item:
                return _printable(place), "must not contain the NUL character (U+0000)"
            if _SURROGATE.search(item):
                return _printable(place), "must be valid Unicode: a lone surrogate (\\ud800-\\udfff) was sent"
    return None
