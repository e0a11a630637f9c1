"""URLs of analytics."""

from django.urls import path

from kunde.analytics import views

app_name = "analytics"

urlpatterns = [
    path("analytics/", views.dashboard, name="dashboard"),
    path("analytics/export/<str:chart>.<str:fmt>", views.chart_export, name="export"),
    path("analytics/at-risk/", views.at_risk, name="at_risk"),
    path("analytics/models/", views.models_view, name="models"),
    path("analytics/refresh/", views.refresh, name="refresh"),
    path("analytics/settings/", views.settings_view, name="settings"),
]
