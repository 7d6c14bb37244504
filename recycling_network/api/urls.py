from django.urls import path

from . import views as v

urlpatterns = [
    path("public/service-points/", v.PublicServicePointListView.as_view(), name="public-service-points"),
    path(
        "public/service-points/<str:code>/",
        v.PublicServicePointDetailView.as_view(),
        name="public-service-point",
    ),
    path("service-points/", v.ServicePointListCreateView.as_view(), name="service-points"),
    path("service-points/<int:pk>/", v.ServicePointDetailView.as_view(), name="service-point"),
    path("service-points/<int:pk>/review/", v.ServicePointReviewView.as_view(), name="service-point-review"),
    path(
        "service-points/<int:pk>/change-requests/",
        v.PointChangeRequestListCreateView.as_view(),
        name="service-point-change-requests",
    ),
    path(
        "service-point-change-requests/<int:pk>/decide/",
        v.PointChangeDecideView.as_view(),
        name="service-point-change-decide",
    ),
    path("intakes/", v.IntakeListCreateView.as_view(), name="intakes"),
    path("intakes/bulk/", v.IntakeBulkView.as_view(), name="intakes-bulk"),
    path("intakes/upload/", v.IntakeUploadView.as_view(), name="intakes-upload"),
    path("stock/", v.StockListView.as_view(), name="stock"),
    path("transfers/", v.TransferListCreateView.as_view(), name="transfers"),
    path("transfers/<int:pk>/", v.TransferDetailView.as_view(), name="transfer"),
    path("transfers/<int:pk>/receive/", v.TransferReceiveView.as_view(), name="transfer-receive"),
    path("scrap-certificates/", v.ScrapCertificateCreateView.as_view(), name="scrap-certificates"),
    path("scrap-certificates/<int:pk>/removals/", v.PackRemovalCreateView.as_view(), name="pack-removals"),
    path(
        "scrap-certificates/<int:pk>/recycled-certificate/",
        v.RecycledCertificateCreateView.as_view(),
        name="recycled-certificate",
    ),
    path("network-alerts/", v.NetworkAlertListView.as_view(), name="network-alerts"),
    path("network-compliance/", v.ComplianceView.as_view(), name="network-compliance"),
]
