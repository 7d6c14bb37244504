from django.urls import path

from . import views

urlpatterns = [
    path("vehicles/<str:vin>/telemetry/", views.VehicleTelemetryView.as_view(), name="vehicle-telemetry"),
]
