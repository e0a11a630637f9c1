"""URLs of contracts."""

from django.urls import URLPattern

app_name = "contracts"

urlpatterns: list[URLPattern] = []
