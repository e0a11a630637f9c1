"""URLs of vCard and iCalendar."""

from django.urls import path, re_path

from kunde.interop import dav, views

app_name = "interop"

urlpatterns = [
    path("people/<int:pk>/vcard/", views.person_vcard, name="person_vcard"),
    path("people/import-vcard/", views.vcard_import_view, name="vcard_import"),
    path("calendar/feeds/", views.calendar_feed_settings, name="calendar_feeds"),
    path("calendar/feeds/<int:pk>/revoke/", views.calendar_feed_revoke_view, name="calendar_feed_revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("carddav/", views.carddav_settings, name="carddav_settings"),
    # CardDAV (RFC 6352): HTTP Basic on every request, no session, no CSRF (see dav.py).
    path(".well-known/carddav", dav.well_known, name="dav_well_known"),
    path("dav/", dav.dav, {"kind": "root"}, name="dav_root"),
    re_path(r"^dav/principals/(?P<username>[^/]+)/$", dav.dav, {"kind": "principal"}, name="dav_principal"),
    re_path(r"^dav/addressbooks/(?P<username>[^/]+)/$", dav.dav, {"kind": "home"}, name="dav_home"),
    re_path(r"^dav/addressbooks/(?P<username>[^/]+)/contacts/$", dav.dav, {"kind": "book"}, name="dav_book"),
    re_path(r"^dav/addressbooks/(?P<username>[^/]+)/contacts/(?P<name>[^/]+)$", dav.dav, {"kind": "card"},
            name="dav_card"),
]
