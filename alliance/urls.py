from django.urls import path

from . import views

app_name = "alliance"
urlpatterns = [
    path("alliance/", views.home, name="home"),
    path("alliance/directory/", views.directory, name="directory"),
    path("alliance/apply/", views.apply, name="apply"),
    path("alliance/applications/", views.applications, name="applications"),
    path("alliance/applications/<int:pk>/decide/", views.decide, name="decide"),
    path("alliance/points/", views.points, name="points"),
    path("alliance/guidance/", views.guidance, name="guidance"),
    path("alliance/guidance/<int:pk>/", views.guidance_detail, name="guidance-detail"),
    path("alliance/lots/", views.lots, name="lots"),
    path("alliance/lots/new/", views.lot_new, name="lot-new"),
    path("alliance/lots/<int:pk>/", views.lot_detail, name="lot"),
    path("alliance/lots/<int:pk>/accept/", views.lot_accept, name="lot-accept"),
    path("alliance/deals/", views.deals, name="deals"),
    path("alliance/report/", views.report, name="report"),
]
