from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("alliance/tiers", views.TierViewSet, basename="alliance-tier")
router.register("alliance/memberships", views.MembershipViewSet, basename="alliance-membership")
router.register("alliance/shared-points", views.SharedPointViewSet, basename="alliance-shared-point")
router.register("alliance/guidance", views.GuidanceViewSet, basename="alliance-guidance")
router.register("alliance/lots", views.LotViewSet, basename="alliance-lot")
router.register("alliance/deals", views.DealViewSet, basename="alliance-deal")

urlpatterns = [
    path("alliance/directory/", views.DirectoryView.as_view(), name="alliance-directory"),
    path("alliance/applications/", views.ApplyView.as_view(), name="alliance-apply"),
    path("alliance/memberships/<int:pk>/decide/", views.DecideView.as_view(), name="alliance-decide"),
    path("alliance/statements/", views.StatementView.as_view(), name="alliance-statement"),
    path("alliance/guidance/<int:pk>/publish/", views.GuidancePublishView.as_view(), name="alliance-publish"),
    path("alliance/guidance/in-force/", views.InForceView.as_view(), name="alliance-in-force"),
    path("alliance/price-history/", views.PriceHistoryView.as_view(), name="alliance-price-history"),
    path("alliance/lots/<int:pk>/bids/", views.LotBidsView.as_view(), name="alliance-lot-bids"),
    path(
        "alliance/lots/<int:pk>/qualification/",
        views.LotQualificationView.as_view(),
        name="alliance-lot-qual",
    ),
    path("alliance/lots/<int:pk>/accept/", views.LotAcceptView.as_view(), name="alliance-lot-accept"),
    path("alliance/lots/<int:pk>/cancel/", views.LotCancelView.as_view(), name="alliance-lot-cancel"),
    path("alliance/lots/<int:pk>/events/", views.LotEventsView.as_view(), name="alliance-lot-events"),
    path("alliance/bids/<int:pk>/withdraw/", views.BidWithdrawView.as_view(), name="alliance-bid-withdraw"),
    path("alliance/deals/offline/", views.OfflineDealView.as_view(), name="alliance-deal-offline"),
    path("alliance/reports/market/", views.MarketReportView.as_view(), name="alliance-market-report"),
    *router.urls,
]
