from django.urls import path

from . import views

app_name = "recycling_network"
urlpatterns = [
    path("service-points/", views.public_list, name="public-list"),
    path("service-points/<str:code>/", views.public_detail, name="public-detail"),
    path("recycling-guide/", views.guide, name="guide"),
    path("network/points/", views.points, name="points"),
    path("network/points/new/", views.point_register, name="point-register"),
    path("network/points/<int:pk>/review/", views.point_review, name="point-review"),
    path("network/points/<int:pk>/stock/", views.stock, name="stock"),
    path("network/points/<int:pk>/requests/", views.change_requests, name="change-requests"),
    path("network/intake/", views.intake, name="intake"),
    path("network/intake/upload/", views.intake_upload, name="intake-upload"),
    path("network/transfers/", views.transfers, name="transfers"),
    path("network/transfers/<int:pk>/", views.transfer_detail, name="transfer-detail"),
    path("network/alerts/", views.alerts, name="alerts"),
]
