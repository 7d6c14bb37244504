from django.urls import path

from . import views

urlpatterns = [
    path("passports/<str:code>/", views.PassportView.as_view(), name="passport"),
]
