"""Bulk uploads (R-BIND): an envelope of items, one result per item, idempotent retries.

A bulk view answers 200 with ``{"summary": {...}, "results": [{"index", "status", ...}]}`` where status is
``created``, ``unchanged`` (an exact replay) or ``error`` (with ``errors``: field -> messages). Good items are
kept when others fail. ``Idempotency-Key`` makes a retried request return the first answer, also one that
arrives while the first is still being processed; the same key with a different body is refused (422).
Malformed envelopes get 400 and oversized ones 413.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import PayloadTooLarge
from core.models import IdempotencyRecord

CREATED, UNCHANGED, ERROR = "created", "unchanged", "error"


def item_result(index: int, status_: str, **extra: Any) -> dict:
    return {"index": index, "status": status_, **extra}


def summarise(results: list[dict]) -> dict:
    counts = Counter(r["status"] for r in results)
    return {
        "total": len(results),
        CREATED: counts[CREATED],
        UNCHANGED: counts[UNCHANGED],
        ERROR: counts[ERROR],
    }


def parse_envelope(data: Any, *, max_items: int | None = None) -> list:
    max_items = max_items or settings.BULK_MAX_ITEMS
    if not isinstance(data, dict) or "items" not in data:
        raise exceptions.ParseError('expected a JSON object {"items": [...]}')
    items = data["items"]
    if not isinstance(items, list):
        raise exceptions.ParseError('"items" must be a list')
    if not items:
        raise exceptions.ParseError('"items" is empty')
    if len(items) > max_items:
        raise PayloadTooLarge(f"{len(items)} items; at most {max_items} per request")
    return items


@contextmanager
def _key_held(user_id: int, endpoint: str, key: str) -> Iterator[None]:
    """One request at a time per idempotency key: a retry that arrives while the first is still being processed
    waits for its answer and replays it, instead of writing the items a second time. A session lock (released
    here, or by PostgreSQL when the connection ends), since each item commits on its own."""
    name = f"idempotency:{user_id}:{endpoint}:{key}"
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [name])
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [name])


class BulkAPIView(APIView):
    """Subclasses implement ``process(items, request) -> list[dict]`` (one :func:`item_result` per item)."""

    max_items: int | None = None

    def process(self, items: list, request) -> list[dict]:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        items = parse_envelope(request.data, max_items=self.max_items)
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return self._answer(items, request)
        body_hash = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
        endpoint = request.path
        with _key_held(request.user.pk, endpoint, key):
            previous = IdempotencyRecord.objects.filter(user=request.user, endpoint=endpoint, key=key).first()
            if previous is not None:
                return self._replay(previous, body_hash)
            response = self._answer(items, request)
            IdempotencyRecord.objects.create(
                user=request.user,
                endpoint=endpoint,
                key=key,
                request_hash=body_hash,
                status_code=response.status_code,
                response=response.data,
            )
        return response

    def _answer(self, items: list, request) -> Response:
        results = self.process(items, request)
        return Response({"summary": summarise(results), "results": results}, status=status.HTTP_200_OK)

    @staticmethod
    def _replay(record: IdempotencyRecord, body_hash: str) -> Response:
        if record.request_hash != body_hash:
            raise exceptions.ValidationError(
                {"Idempotency-Key": ["this key was already used with a different request body"]},
                code="idempotency_mismatch",
            )
        return Response(record.response, status=record.status_code, headers={"Idempotent-Replay": "true"})
