from django.urls import path

from . import views

app_name = "telemetry"
urlpatterns = [
    path("telemetry/vehicles/<str:vin>/", views.vehicle_telemetry, name="vehicle"),
    path("telemetry/batteries/<str:code>/", views.battery_telemetry, name="battery"),
    path("telemetry/gateway/", views.gateway, name="gateway"),
]
