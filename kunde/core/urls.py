"""Cross-app pages (dashboard, search, lists machinery, administration area)."""

from django.urls import path  # noqa: F401

from kunde.core.views import saved_views

urlpatterns: list = [
    path("saved-views/<int:pk>/delete/", saved_views.saved_view_delete_view, name="saved_view_delete"),
]
