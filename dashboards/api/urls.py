from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import FindingViewSet, ForecastView

router = SimpleRouter()
router.register("dashboards/findings", FindingViewSet, basename="dashboard-finding")
urlpatterns = [
    path("dashboards/forecast/", ForecastView.as_view(), name="dashboard-forecast"),
    *router.urls,
]
