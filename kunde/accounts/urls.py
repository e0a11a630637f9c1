"""Log in and out, and the user's own API tokens."""

from django.contrib.auth import views as auth_views
from django.urls import path

from kunde.accounts import views

urlpatterns = [
    path("login/", views.KundeLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/", views.token_list, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
