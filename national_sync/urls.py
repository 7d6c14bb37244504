from django.urls import path

from . import views

app_name = "national_sync"
urlpatterns = [
    path("metrics", views.metrics, name="metrics"),
    path("sync/", views.operations, name="operations"),
    path("sync/dead-letters/retry/", views.dead_letter_retry, name="dead-letter-retry"),
]
