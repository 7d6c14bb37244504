"""Strict JSON for the valuation API: ``NaN`` and ``Infinity`` are not JSON (RFC 8259 §6).

Python's json module writes them for float('nan') and float('inf'); such a body is refused with a 400 that names
the field and says to omit the key, instead of being half-read.
"""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from valuation.core.cycle_life import OMIT_HINT


class _NonFinite:
    def __init__(self, literal: str):
        self.literal = literal


def _find_non_finite(data, path: str = "") -> tuple[str, str] | None:
    if isinstance(data, _NonFinite):
        return path or "body", data.literal
    if isinstance(data, dict):
        children = ((f"{path}.{k}" if path else str(k), v) for k, v in data.items())
    elif isinstance(data, list):
        children = ((f"{path}[{i}]", v) for i, v in enumerate(data))
    else:
        return None
    for child_path, value in children:
        found = _find_non_finite(value, child_path)
        if found:
            return found
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=_NonFinite)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}")
        found = _find_non_finite(data)
        if found:
            where, literal = found
            raise exceptions.ValidationError(
                {where: [f"{literal} is not valid JSON; {OMIT_HINT}"]}, code="invalid_json"
            )
        return data
