"""A URL map for the list machinery tests: the real one plus a test list of people."""

from django.urls import path

from kunde.contacts.filters import PersonFilter
from kunde.contacts.selectors import person_list, person_page
from kunde.contacts.services import records_add_tags, records_change_owner
from kunde.core.views.lists import AddTagsAction, ChangeOwnerAction, Column, FilteredListView
from kunde.urls import urlpatterns as base_urlpatterns


def first_email(person):
    emails = list(person.emails.all())
    return emails[0].email if emails else None


class PeopleTestList(FilteredListView):
    list_key = "test.people"
    title = "People (test)"
    filterset_class = PersonFilter
    page_selector = person_page
    export_selector = person_list
    export_related = ("owner",)
    export_prefetch = ("emails", "tags")
    export_filename = "people"
    columns = [
        Column("name", "Name", accessor="full_name", sort="name"),
        Column("email", "E-mail", accessor=first_email),
        Column("tags", "Tags", accessor="tags", template="core/cells/tags.html"),
        Column("owner", "Owner", accessor="owner.username"),
        Column("created", "Created", accessor="created_at", sort="created", export=False),
    ]
    bulk_actions = [AddTagsAction(records_add_tags), ChangeOwnerAction(records_change_owner)]


urlpatterns = [
    path("test-people/", PeopleTestList.as_view(), name="test_people"),
    *base_urlpatterns,
]
