from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("regeneration/categories", views.WasteCategoryViewSet, basename="regeneration-category")
router.register("regeneration/editions", views.EditionViewSet, basename="regeneration-edition")

urlpatterns = [
    path("regeneration/licences/", views.LicenceListView.as_view(), name="regeneration-licences"),
    path("regeneration/licences/<int:pk>/", views.LicenceDetailView.as_view(), name="regeneration-licence"),
    path("regeneration/receipts/", views.ReceiveView.as_view(), name="regeneration-receive"),
    path("regeneration/batches/", views.BatchListView.as_view(), name="regeneration-batches"),
    path("regeneration/batches/<int:pk>/", views.BatchDetailView.as_view(), name="regeneration-batch"),
    path(
        "regeneration/batches/<int:pk>/stage1/", views.BatchStage1View.as_view(), name="regeneration-stage1"
    ),
    path(
        "regeneration/batches/<int:pk>/stage2/", views.BatchStage2View.as_view(), name="regeneration-stage2"
    ),
    path(
        "regeneration/batches/<int:pk>/evaluation/",
        views.BatchEvaluationView.as_view(),
        name="regeneration-evaluation",
    ),
    path("regeneration/balance/", views.YearBalanceView.as_view(), name="regeneration-balance"),
    *router.urls,
]
