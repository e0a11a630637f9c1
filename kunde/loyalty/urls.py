"""URLs of loyalty."""

from django.urls import URLPattern, path

from kunde.loyalty import views

app_name = "loyalty"

urlpatterns: list[URLPattern] = [
    path("loyalty/settings/", views.settings_view, name="settings"),
    path("loyalty/accounts/<int:pk>/", views.account_detail, name="account"),
    path("loyalty/accounts/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("portal/points/", views.portal_points, name="portal_points"),
]
