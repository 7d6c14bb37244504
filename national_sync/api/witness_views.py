"""``GET /api/v1/exchange/tree-heads/?since=<size>``: the ledger's signed tree heads for the other regions'
witnesses, signed like the exchange feed (R-SHARE, R-LIFE)."""

from __future__ import annotations

import json

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.views import APIView

from core.api.base import AuditedViewMixin
from core.tenancy import require_regulator

from .. import exchange, witness
from .views import exchange_key, signed_feed_schema


class TreeHeadFeedView(AuditedViewMixin, APIView):
    """JSON Lines, smallest head first, each with the consistency path from the line before (or from ``since``).
    ``X-Exchange-Signature`` is :func:`national_sync.exchange.sign` with region ``LEDGER``; follow ``X-Next-Cursor``."""

    class InputSerializer(serializers.Serializer):
        since = serializers.IntegerField(min_value=0, default=0)
        limit = serializers.IntegerField(min_value=1, max_value=1000, default=500)

    @signed_feed_schema(
        InputSerializer,
        headers=[
            ("X-Exchange-Count", "heads in this page; 0 at the end of the feed"),
            ("X-Next-Cursor", "tree size to pass as ?since= for the next page"),
            ("X-Exchange-Signature", "verify with national_sync.exchange.verify, region LEDGER"),
        ],
        lines="tree_head (signed) and consistency_path from the line before",
    )
    def get(self, request):
        require_regulator(request.user)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        since = params.validated_data["since"]
        lines = witness.head_feed(since=since, limit=params.validated_data["limit"])
        body = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines).encode()
        next_cursor = lines[-1]["tree_head"]["tree_size"] if lines else since
        response = HttpResponse(body, content_type="application/x-ndjson; charset=utf-8")
        response["X-Exchange-Count"] = str(len(lines))
        response["X-Next-Cursor"] = str(next_cursor)
        response["X-Exchange-Signature"] = exchange.sign(
            exchange_key(), region=exchange.HEAD_FEED_REGION, since=since, next_cursor=next_cursor, body=body
        )
        return response
