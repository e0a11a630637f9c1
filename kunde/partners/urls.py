"""URLs of partners: the staff pages under /partners/ and the partner portal under /partner/."""

from django.urls import URLPattern, path

from kunde.partners import portal, views

app_name = "partners"

urlpatterns: list[URLPattern] = [
    path("partners/", views.partner_list, name="list"),
    path("partners/<int:pk>/", views.partner_detail, name="detail"),
    path("partners/<int:pk>/edit/", views.partner_edit, name="edit"),
    path("partners/<int:pk>/users/", views.partner_user_grant, name="user_grant"),
    path("partners/users/<int:pk>/revoke/", views.partner_user_revoke, name="user_revoke"),
    path("partners/<int:pk>/handovers/", views.handover_create, name="handover_create"),
    path("partners/handovers/<int:pk>/withdraw/", views.handover_withdraw, name="handover_withdraw"),
    path("partners/leads/<int:pk>/offer/", views.lead_offer, name="lead_offer"),
    path("partners/mark/<int:pk>/", views.mark_partner, name="mark"),
    path("partners/share/<str:kind>/<int:pk>/", views.share_record, name="share"),
    path("partners/shares/<int:pk>/revoke/", views.share_revoke, name="share_revoke"),
    path("partners/entries/<int:pk>/shareable/", views.entry_shareable, name="entry_shareable"),
    # The partner portal (no staff login; see portal.py).
    path("partner/", portal.home, name="portal_home"),
    path("partner/login/", portal.login, name="portal_login"),
    path("partner/login/<str:token>/", portal.magic, name="portal_magic"),
    path("partner/logout/", portal.logout, name="portal_logout"),
    path("partner/people/<int:pk>/", portal.person, name="portal_person"),
    path("partner/organisations/<int:pk>/", portal.organisation, name="portal_organisation"),
    path("partner/deals/<int:pk>/", portal.deal, name="portal_deal"),
    path("partner/leads/<int:pk>/", portal.lead, name="portal_lead"),
]
