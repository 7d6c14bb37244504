from django.urls import path

from . import views

app_name = "traceability"
urlpatterns = [
    path("batteries/", views.battery_search, name="battery-search"),
    path("batteries/<str:code>/", views.battery_detail, name="battery-detail"),
    path("batteries/<str:code>/disassembly/", views.battery_disassemble, name="battery-disassemble"),
    path("vehicles/<str:vin>/", views.vehicle_detail, name="vehicle-detail"),
    path("ledger/events/<int:event_id>/proof/", views.event_proof, name="event-proof"),
    path("custody/", views.custody, name="custody"),
    path("codes/", views.code_decode, name="code-decode"),
    path("uploads/", views.upload_index, name="upload-index"),
    path("uploads/report/<str:token>/", views.upload_report, name="upload-report"),
    path("uploads/<str:kind>/", views.upload, name="upload"),
]
