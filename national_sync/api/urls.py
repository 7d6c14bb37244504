from django.urls import path

from .views import ExchangeFeedView, SyncStatusView
from .witness_views import TreeHeadFeedView

urlpatterns = [
    path("exchange/feed/", ExchangeFeedView.as_view(), name="exchange-feed"),
    path("exchange/tree-heads/", TreeHeadFeedView.as_view(), name="exchange-tree-heads"),
    path("national-sync/status/", SyncStatusView.as_view(), name="national-sync-status"),
]
