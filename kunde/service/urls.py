"""URLs of service."""

from django.urls import URLPattern, URLResolver, path

from kunde.service import portal, settings_views, views

app_name = "service"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tickets/", views.TicketListView.as_view(), name="ticket_list"),
    path("tickets/mine/", views.my_tickets, name="my_tickets"),
    path("tickets/dashboard/", views.dashboard, name="dashboard"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/edit/", views.ticket_edit, name="ticket_edit"),
    path("tickets/<int:pk>/attachments/<int:attachment_id>/", views.ticket_attachment, name="ticket_attachment"),
    path("tickets/settings/", settings_views.section_list, name="settings_home"),
    path("tickets/settings/<slug:key>/", settings_views.section_list, name="settings"),
    path("tickets/settings/<slug:key>/new/", settings_views.section_edit, name="settings_new"),
    path("tickets/settings/<slug:key>/<int:pk>/", settings_views.section_edit, name="settings_edit"),
    path("satisfaction/<str:token>/", views.csat, name="csat"),
    path("portal/", portal.home, name="portal_home"),
    path("portal/login/", portal.login, name="portal_login"),
    path("portal/login/<str:token>/", portal.magic, name="portal_magic"),
    path("portal/logout/", portal.logout, name="portal_logout"),
    path("portal/new/", portal.new_ticket, name="portal_new"),
    path("portal/tickets/<str:number>/", portal.ticket, name="portal_ticket"),
]
