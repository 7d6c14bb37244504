from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from recycling_network.views import IntakePhotoView

handler400 = core_views.bad_request

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("traceability.api.urls")),
    path("", include("recycling_network.api.urls")),
    path("", include("cascade_use.api.urls")),
    path("", include("regeneration.api.urls")),
    path("", include("valuation.api.urls")),
    path("", include("alliance.api.urls")),
    path("", include("dashboards.api.urls")),
    path("", include("national_sync.api.urls")),
    path("", include("passport.api.urls")),
    path("", include("telemetry.api.urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("audit/", core_views.audit_log_list, name="audit-log"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    path("", include("traceability.urls")),
    path("", include("recycling_network.urls")),
    path("", include("cascade_use.urls")),
    path("", include("regeneration.urls")),
    path("", include("valuation.urls")),
    path("", include("alliance.urls")),
    path("", include("dashboards.urls")),
    path("", include("national_sync.urls")),
    path("", include("passport.urls")),
    path("", include("telemetry.urls")),
]

# Uploads are never served as static files, in DEBUG neither: a view checks who may read them and sends them
# as downloads with nosniff.
urlpatterns += [path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", IntakePhotoView.as_view(), name="media")]
