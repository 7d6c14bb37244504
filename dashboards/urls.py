from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("dashboards/", views.OverviewView.as_view(), name="overview"),
    path("dashboards/flows/", views.FlowsView.as_view(), name="flows"),
    path("dashboards/compliance/", views.ComplianceView.as_view(), name="compliance"),
    path("dashboards/compliance/<int:pk>/", views.EnterpriseView.as_view(), name="enterprise"),
    path("dashboards/compliance/publish/", views.PublishViolationsView.as_view(), name="publish"),
    path("dashboards/findings/", views.FindingRowsView.as_view(), name="findings"),
    path("dashboards/lost/", views.LostView.as_view(), name="lost"),
    path("dashboards/forecast/", views.ForecastView.as_view(), name="forecast"),
    path("dashboards/search/", views.SearchView.as_view(), name="search"),
    path("dashboards/rows/batteries/", views.BatteryRowsView.as_view(), name="batteries"),
    path("dashboards/rows/events/", views.EventRowsView.as_view(), name="events"),
    path("violations/", views.public_violations, name="violations"),
]
