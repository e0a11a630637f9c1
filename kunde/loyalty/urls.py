"""URLs of loyalty."""

from django.urls import URLPattern

app_name = "loyalty"

urlpatterns: list[URLPattern] = []
