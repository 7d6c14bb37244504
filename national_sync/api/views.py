"""API of the national sync: the three-region exchange feed and the queue status (R-SHARE)."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import JJJ_REGIONS
from core.api.base import AuditedViewMixin
from core.tenancy import require_regulator, scope_of

from .. import conf, exchange, selectors


def signed_feed_schema(input_serializer, *, headers: list[tuple[str, str]], lines: str):
    """The OpenAPI description of a signed JSON Lines feed: its query, its response headers, one object a line."""
    return extend_schema(
        parameters=[
            input_serializer,
            *(
                OpenApiParameter(name, str, OpenApiParameter.HEADER, response=True, description=text)
                for name, text in headers
            ),
        ],
        responses={
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description=f"one JSON object a line: {lines}"
            )
        },
    )


def exchange_key() -> bytes:
    """The key the three regions' instances share; derived from the ledger key or SECRET_KEY when unset."""
    secret = conf.get("EXCHANGE_SIGNING_KEY") or settings.LEDGER_SIGNING_KEY or settings.SECRET_KEY
    return exchange.derive_key(secret)


class ExchangeFeedView(AuditedViewMixin, APIView):
    """``GET /api/v1/exchange/feed/?since=<cursor>&region=BJ``: signed JSON Lines, oldest first.

    For regulators (each region reads the others', R-SHARE). Follow ``X-Next-Cursor`` until
    ``X-Exchange-Count`` is 0; verify ``X-Exchange-Signature`` with ``national_sync.exchange.verify``.
    """

    class InputSerializer(serializers.Serializer):
        since = serializers.IntegerField(min_value=0, default=0)
        region = serializers.ChoiceField(choices=JJJ_REGIONS, required=False)
        limit = serializers.IntegerField(min_value=1, max_value=5000, default=1000)

    @signed_feed_schema(
        InputSerializer,
        headers=[
            ("X-Exchange-Region", "the region whose records these are"),
            ("X-Exchange-Count", "records in this page; 0 at the end of the feed"),
            ("X-Next-Cursor", "pass as ?since= for the next page"),
            ("X-Exchange-Signature", "verify with national_sync.exchange.verify"),
        ],
        lines="cursor, key, kind, region, battery, day, hash, queued_at, data",
    )
    def get(self, request):
        require_regulator(request.user)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        region = params.validated_data.get("region") or scope_of(request.user).region
        if region not in JJJ_REGIONS:
            raise PermissionDenied("name the region to read with ?region=")
        since = params.validated_data["since"]
        records = selectors.exchange_feed_records(
            region=region, since=since, limit=params.validated_data["limit"]
        )
        lines = [
            json.dumps(
                {"cursor": r.id, "key": r.idempotency_key, "kind": r.kind, "region": r.region,
                 "battery": r.partition_key, "day": r.record_day.isoformat(), "hash": r.payload_hash,
                 "queued_at": r.created_at.isoformat(), "data": r.payload},
                ensure_ascii=False, sort_keys=True,
            )
            for r in records
        ]  # fmt: skip
        body = ("\n".join(lines) + ("\n" if lines else "")).encode()
        next_cursor = records[-1].id if records else since
        response = HttpResponse(body, content_type="application/x-ndjson; charset=utf-8")
        response["X-Exchange-Region"] = region
        response["X-Exchange-Count"] = str(len(records))
        response["X-Next-Cursor"] = str(next_cursor)
        response["X-Exchange-Signature"] = exchange.sign(
            exchange_key(), region=region, since=since, next_cursor=next_cursor, body=body
        )
        return response


class SyncStatusView(AuditedViewMixin, APIView):
    """``GET /api/v1/national-sync/status/``: the operations page's figures, for administrators."""

    @extend_schema(
        responses=inline_serializer(
            "SyncStatus",
            {
                "pending": serializers.IntegerField(),
                "dead": serializers.IntegerField(),
                "oldest_pending_age_seconds": serializers.FloatField(),
                "send_rate_per_second": serializers.FloatField(),
                "error_rate": serializers.FloatField(),
                "window_seconds": serializers.IntegerField(),
            },
        )
    )
    def get(self, request):
        if not (request.user.is_superuser or request.user.is_staff):
            raise PermissionDenied("administrators only")
        s = selectors.queue_stats()
        return Response(
            {"pending": s.pending, "dead": s.dead, "oldest_pending_age_seconds": round(s.oldest_pending_age, 1),
             "send_rate_per_second": round(s.send_rate, 2), "error_rate": round(s.error_rate, 4),
             "window_seconds": s.window_seconds}
        )  # fmt: skip
