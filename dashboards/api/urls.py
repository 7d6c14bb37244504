from rest_framework.routers import SimpleRouter

from .views import FindingViewSet

router = SimpleRouter()
router.register("dashboards/findings", FindingViewSet, basename="dashboard-finding")
urlpatterns = router.urls
