from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("tokens/", views.ApiTokenListCreateView.as_view(), name="api-tokens"),
    path("tokens/<str:prefix>/revoke/", views.ApiTokenRevokeView.as_view(), name="api-token-revoke"),
    *router.urls,
]
