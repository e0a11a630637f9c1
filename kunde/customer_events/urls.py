"""URLs of customer events."""

from django.urls import URLPattern

app_name = "customer_events"

urlpatterns: list[URLPattern] = []
