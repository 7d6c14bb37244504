from django.urls import path

from . import views

app_name = "regeneration"
urlpatterns = [
    path("regeneration/", views.home, name="home"),
    path("regeneration/receive/", views.receive, name="receive"),
    path("regeneration/licences/", views.licences, name="licences"),
    path("regeneration/batches/", views.batches, name="batches"),
    path("regeneration/batches/new/", views.batch_new, name="batch-new"),
    path("regeneration/batches/<int:pk>/", views.batch_detail, name="batch"),
    path("regeneration/balance/", views.balance, name="balance"),
]
