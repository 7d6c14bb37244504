"""Market report API: volumes and prices by month, chemistry and grade, as JSON, CSV or XLSX (R-ALLIANCE)."""

from __future__ import annotations

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.base import AuditedViewMixin
from core.dates import require_date
from core.tabular import export_response

from ... import selectors


def require_report_reader(user) -> None:
    """Market reports are for members, the secretariat and regulators."""
    if not selectors.sees_members_only(user):
        raise exceptions.PermissionDenied("market reports are for alliance members and regulators")


class MarketReportView(AuditedViewMixin, APIView):
    """Volumes and prices by month, chemistry and grade; ``?format=csv`` or ``xlsx`` downloads it."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", date),
            OpenApiParameter("to", date),
            OpenApiParameter("format", str, enum=["json", "csv", "xlsx"]),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        require_report_reader(request.user)
        rows = selectors.market_report(
            date_from=require_date(request.GET.get("from"), field="date"),
            date_to=require_date(request.GET.get("to"), field="date"),
        )
        fmt = request.GET.get("format", "json")
        if fmt in ("csv", "xlsx"):
            return export_response(
                selectors.report_rows(rows),
                selectors.REPORT_HEADER,
                filename="alliance-market-report",
                fmt=fmt,
            )
        return Response(
            [
                dict(
                    zip(
                        selectors.REPORT_HEADER, [str(v) if v is not None else None for v in row], strict=True
                    )
                )
                for row in selectors.report_rows(rows)
            ]
        )

    # DRF reserves ?format= for renderer negotiation; this view answers csv/xlsx itself.
    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)
