"""The administration area's URLs (mounted at /admin-area/; administrators only)."""

from django.urls import path

from kunde.accounts import views as accounts_views
from kunde.core.views import admin_area, audit, custom_fields

urlpatterns = [
    path("", admin_area.admin_index, name="admin_index"),
    path("users/", accounts_views.UserListView.as_view(), name="admin_users"),
    path("users/new/", accounts_views.user_create_view, name="admin_user_create"),
    path("users/<int:pk>/", accounts_views.user_edit_view, name="admin_user_edit"),
    path("teams/", accounts_views.team_list_view, name="admin_teams"),
    path("teams/<int:pk>/", accounts_views.team_edit_view, name="admin_team_edit"),
    path("roles/", accounts_views.role_list_view, name="admin_roles"),
    path("roles/<int:pk>/", accounts_views.role_edit_view, name="admin_role_edit"),
    path("custom-fields/", custom_fields.custom_field_list, name="admin_custom_fields"),
    path("custom-fields/<int:pk>/", custom_fields.custom_field_edit, name="admin_custom_field_edit"),
    path("audit/", audit.AuditListView.as_view(), name="admin_audit"),
]
