"""Strict JSON for every API body (R-API): what PostgreSQL cannot store (``core.unstorable``) is a 400 naming
the place, at any depth, instead of a server error from the database, and nothing of the body is written."""

from __future__ import annotations

import codecs
import json

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from core.unstorable import MAX_DEPTH, NonFinite, finite_float, refusal


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=NonFinite, parse_float=finite_float)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}")
        except RecursionError:  # Python's decoder recurses once per level: ~1,000 levels exhaust it
            raise exceptions.ParseError(f"JSON parse error - the body nests deeper than {MAX_DEPTH} levels")
        found = refusal(data)
        if found:
            place, message = found
            raise exceptions.ValidationError({place: [message]}, code="invalid_json")
        return data
