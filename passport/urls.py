from django.urls import path

from . import views

app_name = "passport"
urlpatterns = [
    path("id/<str:code>/", views.page, name="page"),
    path("id/<str:code>/qr.svg", views.qr_svg, name="qr-svg"),
    path("id/<str:code>/qr.png", views.qr_png, name="qr-png"),
    path("id/<str:code>/label/", views.label, name="label"),
]
