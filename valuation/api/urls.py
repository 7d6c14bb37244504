from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("valuation/valuations", views.ValuationViewSet, basename="valuation-valuation")
router.register("valuation/price-sets", views.PriceSetViewSet, basename="valuation-priceset")
router.register("valuation/jobs", views.JobViewSet, basename="valuation-job")

urlpatterns = [
    path("valuation/cycle-life/", views.CycleLifeView.as_view(), name="valuation-cycle-life"),
    path("valuation/assess/", views.AssessView.as_view(), name="valuation-assess"),
    path("valuation/sort/", views.SortView.as_view(), name="valuation-sort"),
    *router.urls,
]
