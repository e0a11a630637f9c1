"""Cross-app pages (dashboard, search, lists machinery, administration area)."""

from django.urls import include, path

from kunde.core.views import audit, dashboard, saved_views, search

urlpatterns: list = [
    path("", dashboard.dashboard, name="dashboard"),
    path("search/", search.search_results, name="search"),
    path("saved-views/<int:pk>/delete/", saved_views.saved_view_delete_view, name="saved_view_delete"),
    path("history/<str:object_type>/<str:object_id>/", audit.record_history, name="record_history"),
    path("admin-area/", include("kunde.core.admin_urls")),
]
