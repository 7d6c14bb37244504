from django.urls import path

from . import views

app_name = "valuation"
urlpatterns = [
    path("valuation/", views.valuation_list, name="valuation_list"),
    path("valuation/batteries/<str:code>/", views.battery_detail, name="battery_detail"),
    path("valuation/batteries/<str:code>/assess/", views.battery_assess, name="battery_assess"),
    path("valuation/jobs/", views.job_list, name="job_list"),
    path("valuation/jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("valuation/prices/", views.price_list, name="price_list"),
]
