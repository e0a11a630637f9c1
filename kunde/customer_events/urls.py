"""URLs of customer events."""

from django.urls import path

from kunde.customer_events import views

app_name = "customer_events"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/new/", views.event_create_view, name="event_create"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", views.event_edit_view, name="event_edit"),
    path("events/<int:pk>/invite/", views.event_invite_view, name="event_invite"),
    path("events/<int:pk>/register/", views.event_register_view, name="event_register"),
    path("events/<int:pk>/close/", views.event_close_view, name="event_close"),
    path("events/<int:pk>/cancel/", views.event_cancel_view, name="event_cancel"),
    path("events/<int:pk>/check-in/", views.event_checkin, name="event_checkin"),
    path("events/registrations/<int:pk>/check-in/", views.registration_checkin_view, name="registration_checkin"),
    path("events/registrations/<int:pk>/cancel/", views.registration_cancel_view, name="registration_cancel"),
    path("events/series/", views.series_list_view, name="series_list"),
    path("events/series/new/", views.series_create_view, name="series_create"),
    path("events/series/<int:pk>/", views.series_detail, name="series_detail"),
    path("e/<str:token>/", views.public_registration, name="public_registration"),
]
