from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("tokens/issue/", views.token_issue, name="token-issue"),
    path("tokens/<str:prefix>/revoke/", views.token_revoke, name="token-revoke"),
]
