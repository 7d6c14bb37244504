from django.urls import path

from . import ledger_views, views

urlpatterns = [
    path("codes/<str:code>/", views.CodeDecodeView.as_view(), name="code-decode"),
    path("batteries/", views.BatteryListCreateView.as_view(), name="battery-list"),
    path("batteries/<str:code>/", views.BatteryDetailView.as_view(), name="battery-detail"),
    path("batteries/<str:code>/trace/", views.BatteryTraceView.as_view(), name="battery-trace"),
    path(
        "batteries/<str:code>/disassembly/",
        views.BatteryDisassemblyView.as_view(),
        name="battery-disassembly",
    ),
    path("bindings/", views.BindingBulkView.as_view(), name="binding-bulk"),
    path("replacements/", views.ReplacementBulkView.as_view(), name="replacement-bulk"),
    path("events/", views.EventBulkView.as_view(), name="event-bulk"),
    path("vehicles/<str:vin>/", views.VehicleDetailView.as_view(), name="vehicle-detail"),
    path("custody/releases/", views.ReleaseListCreateView.as_view(), name="release-list"),
    path("custody/releases/<int:pk>/confirm/", views.ReleaseConfirmView.as_view(), name="release-confirm"),
    path("custody/releases/<int:pk>/cancel/", views.ReleaseCancelView.as_view(), name="release-cancel"),
    path("custody/claims/", views.ClaimListCreateView.as_view(), name="claim-list"),
    path("custody/claims/<int:pk>/review/", views.ClaimReviewView.as_view(), name="claim-review"),
    path(
        "events/<int:event_id>/error-declaration/", views.ErrorDeclarationView.as_view(), name="error-declare"
    ),
    path("corrections/", views.CorrectionListView.as_view(), name="correction-list"),
    path("corrections/<int:pk>/review/", views.CorrectionReviewView.as_view(), name="correction-review"),
    path("ledger/head/", views.LedgerHeadView.as_view(), name="ledger-head"),
    path("ledger/proof/<int:event_id>/", views.LedgerProofView.as_view(), name="ledger-proof"),
    path("ledger/consistency/", ledger_views.LedgerConsistencyView.as_view(), name="ledger-consistency"),
]
