"""URLs of the e-mail channel's administration."""

from django.urls import URLPattern, URLResolver, path

from kunde.mail import views

app_name = "mail"

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin-area/mail/", views.inbound_list, name="inbound_list"),
    path("admin-area/mail/messages/<int:pk>/retry/", views.inbound_retry_view, name="inbound_retry"),
    path("admin-area/mail/messages/<int:pk>/raw/", views.inbound_raw, name="inbound_raw"),
]
