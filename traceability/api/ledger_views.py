"""Consistency proofs of the event ledger (RFC 9162 §2.1.4): a holder of an old signed tree head checks that
the log only grew since (R-LIFE)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from traceability import ledger_store

from .serializers import ConsistencyProofSerializer


def _size(request, name: str, default: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        if default is not None:
            return default
        raise exceptions.ValidationError({name: ["required: a tree size (a whole number of leaves)"]})
    if not raw.isdigit() or len(raw) > 18:
        raise exceptions.ValidationError({name: [f"not a tree size: {raw[:40]!r}"]})
    return int(raw)


class LedgerConsistencyView(APIView):
    """``GET /api/v1/ledger/consistency/?first=&second=`` (public, like the heads it relates): both signed tree
    heads and the ``consistency_path`` (hex) proving that the tree of ``second`` leaves extends the tree of
    ``first`` leaves. ``second`` defaults to the latest head."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("first", int, required=True), OpenApiParameter("second", int)],
        responses={
            200: ConsistencyProofSerializer,
            404: OpenApiResponse(description="no signed head of that size"),
        },
    )
    def get(self, request):
        latest = ledger_store.latest_head()
        first = _size(request, "first")
        second = _size(request, "second", default=latest.tree_size if latest else 0)
        if first < 1:
            raise exceptions.ValidationError({"first": ["must be at least 1"]})
        if second < first:
            raise exceptions.ValidationError({"second": [f"must be at least first ({first})"]})
        proof = ledger_store.consistency_proof(first, second)
        if proof is None:
            raise exceptions.NotFound(f"no signed tree head of size {first} or {second}")
        return Response(proof.as_dict())
