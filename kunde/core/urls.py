"""Cross-app pages (dashboard, search, lists machinery, administration area)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
