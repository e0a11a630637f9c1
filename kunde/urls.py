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
    path("", include("kunde.mail.urls")),
    path("", include("kunde.sales.urls")),
    path("", include("kunde.commerce.urls")),
    path("", include("kunde.service.urls")),
    path("", include("kunde.knowledge.urls")),
    path("", include("kunde.audience.urls")),
    path("", include("kunde.campaigns.urls")),
    path("", include("kunde.webhooks.urls")),
    path("", include("kunde.interop.urls")),
    path("", include("kunde.imports.urls")),
    path("", include("kunde.analytics.urls")),
    path("", include("kunde.dedupe.urls")),
    path("", include("kunde.contracts.urls")),
    path("", include("kunde.loyalty.urls")),
    path("", include("kunde.customer_events.urls")),
    path("", include("kunde.partners.urls")),
    path("", include("kunde.ideas.urls")),
    path("", include("kunde.retention.urls")),
]
