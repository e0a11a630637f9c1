"""URLs of the people and organisation pages."""

from django.urls import path

from kunde.contacts import views

app_name = "contacts"

urlpatterns = [
    path("people/", views.PersonListView.as_view(), name="person_list"),
    path("people/new/", views.person_create_view, name="person_create"),
    path("people/deleted/", views.person_deleted_list, name="person_deleted"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/delete/", views.person_delete_view, name="person_delete"),
    path("people/<int:pk>/restore/", views.person_restore_view, name="person_restore"),
    path("people/<int:pk>/links/add/", views.employment_add, name="employment_add"),
    path("people/<int:pk>/links/<int:link_pk>/edit/", views.employment_edit, name="employment_edit"),
    path("people/<int:pk>/links/<int:link_pk>/end/", views.employment_end, name="employment_end"),
    path("people/<int:pk>/links/<int:link_pk>/remove/", views.employment_remove, name="employment_remove"),
    path("organisations/", views.OrganisationListView.as_view(), name="organisation_list"),
    path("organisations/new/", views.organisation_create_view, name="organisation_create"),
    path("organisations/deleted/", views.organisation_deleted_list, name="organisation_deleted"),
    path("organisations/options/", views.organisation_options, name="organisation_options"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/delete/", views.organisation_delete_view, name="organisation_delete"),
    path("organisations/<int:pk>/restore/", views.organisation_restore_view, name="organisation_restore"),
]
