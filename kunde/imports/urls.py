"""URLs of the import wizard."""

from django.urls import path

from kunde.imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.run_list, name="list"),
    path("imports/new/", views.run_new, name="new"),
    path("imports/<int:pk>/", views.run_detail, name="detail"),
    path("imports/<int:pk>/status/", views.run_status, name="status"),
    path("imports/<int:pk>/mapping/", views.run_mapping, name="mapping"),
    path("imports/<int:pk>/dry-run/", views.run_dry_run, name="dry_run"),
    path("imports/<int:pk>/start/", views.run_start, name="start"),
    path("imports/<int:pk>/undo/", views.run_undo, name="undo"),
    path("imports/<int:pk>/<str:kind>.csv", views.run_report, name="report"),
]
