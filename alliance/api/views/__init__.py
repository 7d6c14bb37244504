"""REST API of the alliance (R-ALLIANCE), one module per concept: membership, co-built points and statements,
price guidance, the lot market and the market report."""

from .guidance import GuidancePublishView, GuidanceViewSet, InForceView, PriceHistoryView
from .market import (
    BidWithdrawView,
    DealViewSet,
    LotAcceptView,
    LotBidsView,
    LotCancelView,
    LotEventsView,
    LotQualificationView,
    LotViewSet,
    OfflineDealView,
)
from .membership import ApplyView, DecideView, DirectoryView, MembershipViewSet, TierViewSet
from .points import SharedPointViewSet, StatementView
from .reports import MarketReportView, require_report_reader

__all__ = [
    "ApplyView",
    "BidWithdrawView",
    "DealViewSet",
    "DecideView",
    "DirectoryView",
    "GuidancePublishView",
    "GuidanceViewSet",
    "InForceView",
    "LotAcceptView",
    "LotBidsView",
    "LotCancelView",
    "LotEventsView",
    "LotQualificationView",
    "LotViewSet",
    "MarketReportView",
    "MembershipViewSet",
    "OfflineDealView",
    "PriceHistoryView",
    "SharedPointViewSet",
    "StatementView",
    "TierViewSet",
    "require_report_reader",
]
