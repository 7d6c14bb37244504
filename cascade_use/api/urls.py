from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("cascade/scenarios", views.ScenarioViewSet, basename="cascade-scenario")

urlpatterns = [
    path("cascade/authorisations/", views.AuthorisationListView.as_view(), name="cascade-authorisations"),
    path(
        "cascade/authorisations/<int:pk>/",
        views.AuthorisationDetailView.as_view(),
        name="cascade-authorisation",
    ),
    path(
        "cascade/authorisations/<int:pk>/revoke/",
        views.AuthorisationRevokeView.as_view(),
        name="cascade-authorisation-revoke",
    ),
    path("cascade/assessments/", views.AssessmentListView.as_view(), name="cascade-assessments"),
    path("cascade/products/", views.ProductListView.as_view(), name="cascade-products"),
    path("cascade/products/<int:pk>/", views.ProductDetailView.as_view(), name="cascade-product"),
    path(
        "cascade/products/<int:pk>/retire/", views.ProductRetireView.as_view(), name="cascade-product-retire"
    ),
    path("cascade/waste/", views.WasteView.as_view(), name="cascade-waste"),
    path("cascade/waste/handover/", views.WasteHandoverView.as_view(), name="cascade-waste-handover"),
    path("cascade/queues/<slug:queue>/", views.QueueView.as_view(), name="cascade-queue"),
    *router.urls,
]
