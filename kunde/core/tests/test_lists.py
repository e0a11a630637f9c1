"""The generic list machinery: filters, sorting, keyset paging, htmx, saved views, bulk actions."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kunde.contacts.models import Person
from kunde.core.models import CustomFieldDefinition, SavedView
from kunde.core.testing.factories import make_person

pytestmark = [pytest.mark.django_db, pytest.mark.urls("kunde.core.tests.list_urls")]

URL = "/test-people/"
HTMX = {"HX-Request": "true", "HX-Target": "list-results"}


def names(response) -> list[str]:
    """The names in the list's rows, in order."""
    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r'<tr data-pk="\d+">(.*?)</tr>', body, flags=re.S)
    return [re.findall(r'<td class="">(.*?)</td>', row, flags=re.S)[0] for row in rows]


def href(response, rel: str) -> str | None:
    match = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


def flashed(response) -> list[str]:
    """The messages a response queued (each test request starts with none pending)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def save_and_show(client, *args):
    """Save a view and load the page it redirects to (which shows and clears the message)."""
    response = save_view(client, *args)
    client.get(response["Location"])
    return response


@pytest.fixture
def people(world):
    """Five more people of the owner (team A): Anders, Berger, Cramer, Dietz, Engel."""
    return [make_person(world.owner, first_name="P", last_name=name)
            for name in ("Engel", "Cramer", "Anders", "Dietz", "Berger")]


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/test-people/")


def test_list_sorted_by_default_and_by_header(client, world, people):
    client.force_login(world.admin)
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == ["P Anders", "P Berger", "P Cramer", "P Dietz", "P Engel", "Jürgen Müller"]
    # The active sort column offers the reverse order; an unsortable column has no link.
    html = response.content.decode()
    assert 'aria-sort="ascending"' in html
    assert 'href="/test-people/?sort=-name"' in html
    assert "?sort=email" not in html
    response = client.get(URL, {"sort": "-name"})
    assert names(response) == ["Jürgen Müller", "P Engel", "P Dietz", "P Cramer", "P Berger", "P Anders"]
    assert 'aria-sort="descending"' in response.content.decode()


def test_filters_apply_and_show_in_form(client, world, people):
    make_person(world.owner, first_name="Vera", last_name="Vip", tags=["VIP"])
    client.force_login(world.admin)
    response = client.get(URL, {"tag": "VIP"})
    assert names(response) == ["Vera Vip"]
    html = response.content.decode()
    assert 'name="tag" value="VIP"' in html
    # On a phone the filter panel is folded away, unless a filter is active.
    assert "list-filters collapse d-lg-block show" in html
    assert "list-filters collapse d-lg-block show" not in client.get(URL, {"sort": "-name"}).content.decode()


def test_owner_filter_is_a_select_of_users(client, world, people):
    make_person(world.teammate, last_name="Teamkollege")
    client.force_login(world.admin)
    response = client.get(URL, {"owner": str(world.teammate.pk)})
    assert names(response) == ["Erika Teamkollege"]
    assert f'<option value="{world.teammate.pk}" selected>teammate</option>' in response.content.decode()


def test_custom_field_filter_in_form_and_list(client, world):
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="segment", label="Segment",
                                         field_type="choice", choices=["A", "B"])
    make_person(world.owner, last_name="Alpha", custom_fields={"segment": "A"})
    make_person(world.owner, last_name="Beta", custom_fields={"segment": "B"})
    client.force_login(world.admin)
    response = client.get(URL, {"cf_segment": "B"})
    assert names(response) == ["Erika Beta"]
    html = response.content.decode()
    assert '<label class="form-label small mb-1" for="id_cf_segment">Segment</label>' in html
    assert '<option value="B" selected>B</option>' in html


def test_list_is_scoped_to_the_user(client, world, people):
    mine = make_person(world.other_team, last_name="Zander")
    client.force_login(world.other_team)
    response = client.get(URL)
    assert names(response) == [mine.full_name]


@pytest.mark.parametrize(("params", "key"), [
    ({"colour": "blue"}, "colour"),
    ({"sort": "password"}, "sort"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"owner": "someone"}, "owner"),
    ({"page_size": "many"}, "page_size"),
])
def test_bad_input_is_a_400_page_never_500(client, world, params, key):
    client.force_login(world.admin)
    response = client.get(URL, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This list cannot be shown with these settings." in html
    assert f"<code>{key}</code>" in html
    assert "<html" in html and "Jürgen Müller" not in html
    # The filter form is still there to fix the input.
    assert 'id="list-filters"' in html


def test_bad_filter_in_htmx_request_answers_the_partial_with_400(client, world):
    client.force_login(world.admin)
    response = client.get(URL, {"colour": "blue"}, headers=HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" not in html
    assert "<code>colour</code>" in html


def test_htmx_request_gets_only_the_results(client, world, people):
    client.force_login(world.admin)
    response = client.get(URL, {"sort": "-name"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="list-filters"' not in html
    assert names(response)[0] == "Jürgen Müller"
    # The filter form's hidden sort field follows the header that was clicked.
    assert '<input type="hidden" name="sort" id="list-sort" value="-name" hx-swap-oob="true">' in html
    assert "HX-Request" in response["Vary"]
    # A history restore (back button after a cache miss) needs the whole page again.
    response = client.get(URL, headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_keyset_paging_with_next_and_previous_links(client, world, people):
    client.force_login(world.admin)
    first = client.get(URL, {"page_size": "2"})
    assert names(first) == ["P Anders", "P Berger"]
    assert href(first, "prev") is None
    second = client.get(href(first, "next"))
    assert names(second) == ["P Cramer", "P Dietz"]
    third = client.get(href(second, "next"))
    assert names(third) == ["P Engel", "Jürgen Müller"]
    assert href(third, "next") is None
    back = client.get(href(third, "prev"))
    assert names(back) == ["P Cramer", "P Dietz"]
    # Links keep the filter and page size, and never use an offset.
    query = parse_qs(urlsplit(href(second, "next")).query)
    assert query["page_size"] == ["2"] and "cursor" in query and "page" not in query


def test_paging_runs_no_count_and_no_offset(client, world, people):
    client.force_login(world.admin)
    first = client.get(URL, {"page_size": "2"})
    with CaptureQueriesContext(connection) as queries:
        client.get(href(first, "next"))
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "OFFSET" not in sql
    assert "COUNT(" not in sql


def test_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    """Five rows and fifty rows cost the same number of queries (no N+1)."""
    client.force_login(world.admin)
    for index in range(4):
        make_person(world.owner, last_name=f"Aaa{index}", tags=["A", "B"], emails=[{"email": f"a{index}@x.de"}])
    with CaptureQueriesContext(connection) as small:
        assert len(names(client.get(URL))) == 5
    for index in range(45):
        make_person(world.owner, last_name=f"Bbb{index}", tags=["C"], emails=[{"email": f"b{index}@x.de"}])
    with CaptureQueriesContext(connection) as large:
        assert len(names(client.get(URL))) == 50
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(small.captured_queries) <= 20


# --- saved views -----------------------------------------------------------------


def save_view(client, name: str, query: str = ""):
    return client.post(URL + (f"?{query}" if query else ""), {"op": "save_view", "name": name})


def test_save_a_view_and_apply_it(client, world, people):
    make_person(world.owner, first_name="Vera", last_name="Vip", tags=["VIP"])
    client.force_login(world.admin)
    response = save_view(client, "VIPs by name", "tag=VIP&sort=-name&cursor=abc")
    view = SavedView.objects.get(user=world.admin)
    assert (view.name, view.list_key, view.query) == ("VIPs by name", "test.people", "tag=VIP&sort=-name")
    assert response.status_code == 302 and response["Location"] == f"{URL}?view={view.pk}"
    applied = client.get(URL, {"view": view.pk})
    assert names(applied) == ["Vera Vip"]
    html = applied.content.decode()
    assert f'href="/test-people/?view={view.pk}" aria-current="page">VIPs by name</a>' in html
    # Parameters in the URL refine the saved ones.
    assert names(client.get(URL, {"view": view.pk, "tag": "nobody"})) == []


def test_saving_under_an_existing_name_replaces_the_query(client, world):
    client.force_login(world.admin)
    save_view(client, "Mine", "tag=A")
    save_view(client, "Mine", "tag=B")
    assert list(SavedView.objects.filter(user=world.admin).values_list("name", "query")) == [("Mine", "tag=B")]


def test_saving_an_invalid_filter_saves_nothing(client, world):
    client.force_login(world.admin)
    response = save_view(client, "Broken", "colour=blue")
    assert response.status_code == 302
    assert flashed(response) == ["These filters are not valid; the view was not saved."]
    assert not SavedView.objects.exists()
    client.get(URL)
    response = save_view(client, "  ", "tag=A")
    assert flashed(response) == ["Give the view a name."]
    assert not SavedView.objects.exists()


def test_saved_views_are_private(client, world):
    client.force_login(world.admin)
    save_and_show(client, "Admin only", "tag=A")
    view = SavedView.objects.get()
    client.force_login(world.teammate)
    assert client.get(URL, {"view": view.pk}).status_code == 404
    assert "Admin only" not in client.get(URL).content.decode()
    response = client.post(f"/saved-views/{view.pk}/delete/", {"next": URL})
    assert response.status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_delete_own_saved_view(client, world):
    client.force_login(world.admin)
    save_view(client, "Temp", "tag=A")
    view = SavedView.objects.get()
    response = client.post(f"/saved-views/{view.pk}/delete/", {"next": URL})
    assert response.status_code == 302 and response["Location"] == URL
    assert not SavedView.objects.exists()
    assert client.get(f"/saved-views/{view.pk}/delete/").status_code == 405


def test_delete_redirect_stays_on_this_site(client, world):
    client.force_login(world.admin)
    save_view(client, "Temp", "tag=A")
    view = SavedView.objects.get()
    response = client.post(f"/saved-views/{view.pk}/delete/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"


# --- bulk actions ----------------------------------------------------------------


def bulk(client, action: str, ids: list[int], query: str = "", **fields):
    data = {"op": "bulk", "action": action, "ids": [str(i) for i in ids]}
    data.update({f"{action}-{k}": v for k, v in fields.items()})
    return client.post(URL + (f"?{query}" if query else ""), data)


def tags_of(person: Person) -> list[str]:
    return sorted(t.name for t in Person.objects.get(pk=person.pk).tags.all())


def test_bulk_add_tag_reports_the_count(client, world, people):
    client.force_login(world.admin)
    response = bulk(client, "add_tags", [people[0].pk, people[1].pk], query="sort=-name", tags="Messe, 2026")
    assert response.status_code == 302 and response["Location"] == f"{URL}?sort=-name"
    assert flashed(response) == ["Add tag: 2 of 2 selected records changed."]
    assert tags_of(people[0]) == tags_of(people[1]) == ["2026", "Messe"]
    assert tags_of(people[2]) == []


def test_bulk_tag_counts_only_records_the_member_may_change(client, world):
    own = make_person(world.teammate, last_name="Eigen")
    client.force_login(world.teammate)  # member: sees team A, changes only own records
    response = bulk(client, "add_tags", [own.pk, world.person.pk], tags="Messe")
    assert flashed(response) == ["Add tag: 1 of 2 selected records changed. "
                                 "The others you may not change, or they needed no change."]
    assert tags_of(own) == ["Messe"]
    assert tags_of(world.person) == []


def test_member_cannot_reown_another_teams_records(client, world):
    client.force_login(world.other_team)
    response = bulk(client, "change_owner", [world.person.pk], owner=str(world.other_team.pk))
    assert flashed(response)[0].startswith("Change owner: 0 of 1 selected record changed.")
    person = Person.objects.get(pk=world.person.pk)
    assert (person.owner_id, person.team_id, person.version) == (world.owner.pk, world.team_a.pk, 1)


def test_manager_reowns_only_own_team_records(client, world):
    team_b_record = make_person(world.other_team, last_name="Süd")
    client.force_login(world.manager)  # manager: sees all, changes team A's records
    response = bulk(client, "change_owner", [world.person.pk, team_b_record.pk], owner=str(world.manager.pk))
    assert flashed(response)[0].startswith("Change owner: 1 of 2 selected records changed.")
    assert Person.objects.get(pk=world.person.pk).owner_id == world.manager.pk
    assert Person.objects.get(pk=team_b_record.pk).owner_id == world.other_team.pk


def test_member_may_not_hand_records_to_another_team(client, world):
    own = make_person(world.teammate, last_name="Eigen")
    client.force_login(world.teammate)
    response = bulk(client, "change_owner", [own.pk], owner=str(world.other_team.pk))
    assert flashed(response) == [
        "Change owner: Select a valid choice. That choice is not one of the available choices."]
    assert Person.objects.get(pk=own.pk).owner_id == world.teammate.pk


def test_read_only_user_sees_no_bulk_actions_and_cannot_post_them(client, world):
    client.force_login(world.read_only)
    html = client.get(URL).content.decode()
    assert 'name="action"' not in html and 'name="ids"' not in html
    response = bulk(client, "add_tags", [world.person.pk], tags="X")
    assert flashed(response) == ["Unknown bulk action."]
    assert tags_of(world.person) == []


@pytest.mark.parametrize(("ids", "message"), [
    ([], "Select at least one row first."),
    (["x"], "The selection is not valid."),
])
def test_bulk_with_bad_selection_changes_nothing(client, world, ids, message):
    client.force_login(world.admin)
    response = client.post(URL, {"op": "bulk", "action": "add_tags", "ids": ids, "add_tags-tags": "X"})
    assert flashed(response) == [message]
    assert tags_of(world.person) == []


def test_bulk_with_invalid_form_changes_nothing(client, world):
    client.force_login(world.admin)
    response = bulk(client, "add_tags", [world.person.pk], tags=" , ")
    assert flashed(response) == ["Add tag: Enter at least one tag."]
    assert tags_of(world.person) == []


def test_filter_selects_have_one_empty_choice(client, world):
    client.force_login(world.admin)
    html = client.get(URL).content.decode()
    assert "---------" not in html
    language = html.split('name="preferred_language"', 1)[1].split("</select>", 1)[0]
    assert language.count('<option value=""') == 1
    assert '<option value="" selected>—</option>' in language
    works_at = html.split('name="has_organisation"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]*)"', works_at) == ["", "true", "false"]
