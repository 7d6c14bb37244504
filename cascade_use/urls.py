from django.urls import path  # noqa: F401

app_name = "cascade_use"
urlpatterns: list = []
