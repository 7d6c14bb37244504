from django.urls import path

from . import views

urlpatterns = [
    path("passports/<str:code>/", views.PassportView.as_view(), name="passport"),
    path("passports/<str:code>/battery-pass/", views.BatteryPassView.as_view(), name="passport-battery-pass"),
    path("passports/<str:code>/digital-id/", views.DigitalIdView.as_view(), name="passport-digital-id"),
]
