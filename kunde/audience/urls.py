"""URLs of segments and consent."""

from django.urls import URLPattern, URLResolver, path

from kunde.audience import views

app_name = "audience"

urlpatterns: list[URLPattern | URLResolver] = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("consent/confirm/<str:token>/", views.consent_confirm, name="consent_confirm"),
    path("consent/preferences/<str:token>/", views.preferences, name="preferences"),
    path("audience/segments/", views.segment_list, name="segment_list"),
    path("audience/segments/new", views.segment_edit, name="segment_new"),
    path("audience/segments/count", views.segment_live_count, name="segment_count"),
    path("audience/segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("audience/segments/<int:pk>/edit", views.segment_edit, name="segment_edit"),
    path("audience/consent-settings", views.consent_settings, name="consent_settings"),
    path("audience/people/<int:person_id>/consent", views.consent_record, name="consent_record"),
]
