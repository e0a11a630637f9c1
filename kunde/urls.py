"""URL map: the web UI of each app, the REST API, i18n and auth."""

from django.urls import include, path

from kunde.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("accounts/", include("kunde.accounts.urls")),
    path("", include("kunde.core.urls")),
    path("", include("kunde.contacts.urls")),
    path("", include("kunde.activities.urls")),
]
