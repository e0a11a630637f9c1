"""Filters are strict, sorting is declared, paging is by cursor."""

from __future__ import annotations

import pytest

from kunde.contacts.selectors import person_list, person_page
from kunde.core.filters import FilterError
from kunde.core.models import CustomFieldDefinition
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db


def test_unknown_filter_and_sort_are_errors(world):
    with pytest.raises(FilterError) as raised:
        person_list(world.admin, {"colour": "blue"})
    assert raised.value.errors == {"colour": ["Unknown filter."]}
    with pytest.raises(FilterError) as raised:
        person_list(world.admin, {"sort": "password"})
    assert list(raised.value.errors) == ["sort"]


def test_invalid_filter_value_is_an_error(world):
    with pytest.raises(FilterError) as raised:
        person_list(world.admin, {"owner": "someone"})
    assert "owner" in raised.value.errors


def test_filter_by_tag_city_and_organisation(world):
    tagged = make_person(world.owner, last_name="Tagged", tags=["VIP"],
                         addresses=[{"street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"}])
    assert list(person_list(world.admin, {"tag": "VIP"})) == [tagged]
    assert list(person_list(world.admin, {"city": "berlin"})) == [tagged]
    assert list(person_list(world.admin, {"organisation": str(world.organisation.pk)})) == [world.person]
    assert list(person_list(world.admin, {"has_organisation": "false"})) == [tagged]


def test_custom_field_filter(world):
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="newsletter",
                                         label="Newsletter", field_type="boolean")
    yes = make_person(world.owner, last_name="Ja", custom_fields={"newsletter": "ja"})
    make_person(world.owner, last_name="Nein", custom_fields={"newsletter": "nein"})
    assert list(person_list(world.admin, {"cf_newsletter": "yes"})) == [yes]
    with pytest.raises(FilterError) as raised:
        person_list(world.admin, {"cf_newsletter": "vielleicht"})
    assert "cf_newsletter" in raised.value.errors


def test_keyset_pages_cover_everything_once_with_equal_names(world):
    """Rows with the same sort values are neither skipped nor repeated across pages."""
    people = [make_person(world.owner, last_name="Schulz", first_name="Anna") for _ in range(5)]
    expected = [world.person.pk] + [p.pk for p in people]  # "Müller" sorts before "Schulz"
    seen, cursor = [], None
    while True:
        page, _filters = person_page(world.admin, {"page_size": "2", "cursor": cursor})
        seen += [p.pk for p in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected


def test_bad_cursor_is_an_error(world):
    with pytest.raises(FilterError):
        person_page(world.admin, {"cursor": "not-a-cursor"})


def test_list_is_scoped(world):
    make_person(world.other_team, last_name="Fremd")
    names = {p.last_name for p in person_list(world.owner, {})}
    assert names == {"Müller"}


def test_filter_by_email_domain(world):
    other = make_person(world.owner, last_name="Andere", emails=[{"email": "a@topp-desk.de"}])
    assert list(person_list(world.admin, {"email_domain": "gunther-glas.de"})) == [world.person]
    assert list(person_list(world.admin, {"email_domain": "@topp-desk.de"})) == [other]


def test_team_member_pages_read_branch_by_branch_match_the_plain_scope(world):
    """Reading a team member's list per scope branch yields exactly the scoped rows, in order."""
    from kunde.accounts.models import Role
    from kunde.contacts.models import Person
    from kunde.contacts.services import person_update
    from kunde.core.permissions import scope_branches

    # The teammate owns a record filed under the other team: visible through "owner is me" only.
    own_elsewhere = make_person(world.teammate, last_name="Adler", team=world.team_b)
    for index in range(6):
        make_person(world.owner, last_name=f"Team{index}")
    make_person(world.other_team, last_name="Unsichtbar")
    moved = make_person(world.owner, last_name="Zander")
    person_update(actor=world.admin, person=moved, expected_version=1, changes={"team": world.team_b})
    assert world.teammate.role.key == Role.MEMBER
    assert len(scope_branches(world.teammate, "view", Person)) == 2

    seen, cursor = [], None
    while True:
        page, _filters = person_page(world.teammate, {"page_size": "3", "cursor": cursor})
        seen += [p.last_name for p in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = [p.last_name for p in Person.objects.for_user(world.teammate).order_by("last_name", "first_name", "id")]
    assert seen == expected
    assert "Adler" in seen and "Zander" not in seen and "Unsichtbar" not in seen
    assert own_elsewhere.team == world.team_b


def test_lifecycle_stage_filter_takes_a_stage_key(world):
    from kunde.contacts.models import LifecycleStage

    customer = make_person(world.owner, last_name="Kundin", lifecycle_stage=LifecycleStage.objects.get(key="customer"))
    assert list(person_list(world.admin, {"lifecycle_stage": "customer"})) == [customer]
    with pytest.raises(FilterError) as raised:
        person_list(world.admin, {"lifecycle_stage": "vip"})
    assert list(raised.value.errors) == ["lifecycle_stage"]
