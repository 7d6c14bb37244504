"""Base classes for API views: tenancy-filtered querysets, audit context for token-authenticated calls, and one
view for an action on one row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core import tenancy
from core.audit import _context


class AuditedViewMixin:
    """DRF authenticates after middleware runs; hand the API user to the audit context."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # mixed into an APIView
        ctx = _context.get()
        if ctx is not None:
            ctx.user = request.user


class TenantQuerysetMixin(AuditedViewMixin):
    """``get_queryset`` narrowed by :mod:`core.tenancy` to what the caller may read."""

    def get_queryset(self):
        return tenancy.visible(super().get_queryset(), self.request.user)  # type: ignore[misc, attr-defined]  # mixed into a GenericAPIView


class TenantReadOnlyViewSet(TenantQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class RowActionView(AuditedViewMixin, APIView):
    """``POST <rows>/{pk}/<action>/``: one step on one row, the way every app takes it. The row is one the
    caller may read (else 404, whoever owns it); the body is checked by ``input_serializer`` (400 naming the
    field; no body when None); ``service`` is called with the actor, the row under
    ``row_argument`` and the checked fields, and decides everything else; the answer is the service's result
    (or the row read again from ``answer_queryset``) through ``output_serializer``. The OpenAPI operation is
    declared from the same attributes.

        class BidWithdrawView(RowActionView):
            queryset = Bid.objects.all()
            row_argument = "bid"
            service = staticmethod(services.bid_withdraw)
            output_serializer = s.BidSerializer
    """

    queryset: ClassVar[QuerySet]
    row_argument: ClassVar[str]
    service: ClassVar[Callable[..., Any]]  # not ``action``: DRF and drf-spectacular read that as a viewset's
    input_serializer: ClassVar[type[serializers.Serializer] | None] = None
    output_serializer: ClassVar[
        Any
    ]  # a serializer class, or an OpenAPI type where ``answer`` builds the body
    answer_queryset: ClassVar[QuerySet | None] = None
    success_status: ClassVar[int] = status.HTTP_200_OK

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "output_serializer" in cls.__dict__:
            extend_schema(
                methods=["POST"],
                request=cls.input_serializer,
                responses={cls.success_status: cls.output_serializer},
            )(cls)

    def post(self, request, pk: int):
        row = tenancy.get_visible_or_404(self.queryset.all(), request.user, pk=pk)
        fields: dict = {}
        if self.input_serializer is not None:
            data = self.input_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            fields = dict(data.validated_data)
        result = type(self).service(actor=request.user, **{self.row_argument: row}, **fields)
        if self.answer_queryset is not None:
            result = self.answer_queryset.get(pk=row.pk)
        return Response(self.answer(row if result is None else result), status=self.success_status)

    def answer(self, result: Model) -> Any:
        return self.output_serializer(result, context={"request": self.request}).data
