from django.urls import path  # noqa: F401

app_name = "recycling_network"
urlpatterns: list = []
