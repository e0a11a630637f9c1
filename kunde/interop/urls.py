"""URLs of vCard and iCalendar."""

from django.urls import path

from kunde.interop import views

app_name = "interop"

urlpatterns = [
    path("people/<int:pk>/vcard/", views.person_vcard, name="person_vcard"),
    path("people/import-vcard/", views.vcard_import_view, name="vcard_import"),
    path("calendar/feeds/", views.calendar_feed_settings, name="calendar_feeds"),
    path("calendar/feeds/<int:pk>/revoke/", views.calendar_feed_revoke_view, name="calendar_feed_revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
