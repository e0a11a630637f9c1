"""URLs of ideas."""

from django.urls import URLPattern

app_name = "ideas"

urlpatterns: list[URLPattern] = []
