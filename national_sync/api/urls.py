from django.urls import path

from .views import ExchangeFeedView, SyncStatusView

urlpatterns = [
    path("exchange/feed/", ExchangeFeedView.as_view(), name="exchange-feed"),
    path("national-sync/status/", SyncStatusView.as_view(), name="national-sync-status"),
]
