"""URLs of ideas: the staff pages under /ideas/, the portal section under /portal/ideas/."""

from django.urls import URLPattern, path

from kunde.ideas import portal_views, views

app_name = "ideas"

urlpatterns: list[URLPattern] = [
    path("ideas/", views.IdeaListView.as_view(), name="idea_list"),
    path("ideas/new/", views.idea_create_view, name="idea_create"),
    path("ideas/<int:pk>/", views.idea_detail, name="idea_detail"),
    path("ideas/<int:pk>/triage/", views.idea_triage_view, name="idea_triage"),
    path("ideas/<int:pk>/links/", views.idea_link_view, name="idea_link"),
    path("ideas/<int:pk>/links/<int:link_id>/delete/", views.idea_unlink_view, name="idea_unlink"),
    path("ideas/<int:pk>/merge/", views.idea_merge_view, name="idea_merge"),
    path("portal/ideas/", portal_views.idea_list, name="portal_list"),
    path("portal/ideas/new/", portal_views.idea_new, name="portal_new"),
    path("portal/ideas/<int:pk>/", portal_views.idea_detail, name="portal_detail"),
    path("portal/ideas/<int:pk>/vote/", portal_views.idea_vote, name="portal_vote"),
]
