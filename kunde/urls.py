"""URL map: the web UI of each app, the REST API, i18n and auth."""

from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("kunde.accounts.urls")),
    path("", include("kunde.core.urls")),
]
