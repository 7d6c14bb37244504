from django.urls import path

from . import ledger_views, views

urlpatterns = [
    path("codes/<str:code>/", views.CodeDecodeView.as_view(), name="code-decode"),
    path("batteries/", views.BatteryListCreateView.as_view(), name="battery-list"),
    path("batteries/<str:code>/", views.BatteryDetailView.as_view(), name="battery-detail"),
    path("batteries/<str:code>/trace/", views.BatteryTraceView.as_view(), name="battery-trace"),
    path("bindings/", views.BindingBulkView.as_view(), name="binding-bulk"),
    path("replacements/", views.ReplacementBulkView.as_view(), name="replacement-bulk"),
    path("events/", views.EventBulkView.as_view(), name="event-bulk"),
    path("vehicles/<str:vin>/", views.VehicleDetailView.as_view(), name="vehicle-detail"),
    path("ledger/head/", views.LedgerHeadView.as_view(), name="ledger-head"),
    path("ledger/proof/<int:event_id>/", views.LedgerProofView.as_view(), name="ledger-proof"),
    path("ledger/consistency/", ledger_views.LedgerConsistencyView.as_view(), name="ledger-consistency"),
]
