from django.urls import path

from . import views

app_name = "cascade_use"
urlpatterns = [
    path("cascade/", views.home, name="home"),
    path("cascade/authorisations/", views.authorisations, name="authorisations"),
    path("cascade/authorisations/<int:pk>/revoke/", views.authorisation_revoke, name="authorisation-revoke"),
    path("cascade/assess/<str:code>/", views.assess, name="assess"),
    path("cascade/products/", views.products, name="products"),
    path("cascade/products/new/", views.product_new, name="product-new"),
    path("cascade/products/<int:pk>/", views.product_detail, name="product"),
    path("cascade/waste/handover/", views.handover, name="handover"),
]
