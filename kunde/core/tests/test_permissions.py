"""One scoping rule decides what every role sees and may change."""

from __future__ import annotations

import pytest

from kunde.activities.models import Activity
from kunde.activities.services import contact_log
from kunde.contacts.models import EmailAddress, Organisation, Person
from kunde.core.permissions import Action, can_create, user_can
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db

# role -> (may view the owner's person, may change it, may delete it)
MATRIX = {
    "owner": (True, True, False),
    "teammate": (True, False, False),
    "read_only": (True, False, False),
    "other_team": (False, False, False),
    "manager": (True, True, True),
    "admin": (True, True, True),
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_person_scope_matrix(world, who):
    user = getattr(world, who)
    expected = MATRIX[who]
    actual = tuple(user_can(user, action, world.person) for action in (Action.VIEW, Action.CHANGE, Action.DELETE))
    assert actual == expected


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_child_rows_follow_their_customer(world, who):
    """E-mail addresses and history entries are visible exactly when their customer is."""
    user = getattr(world, who)
    contact_log(actor=world.owner, person=world.person, channel="phone", subject="x")
    sees_person = MATRIX[who][0]
    assert EmailAddress.objects.for_user(user).filter(person=world.person).exists() is sees_person
    assert Activity.objects.for_user(user).filter(person=world.person).exists() is sees_person


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not Person.objects.for_user(anonymous).exists()
    assert not Organisation.objects.for_user(anonymous).exists()
    assert not can_create(anonymous)


def test_read_only_cannot_create(world):
    assert not can_create(world.read_only)
    assert can_create(world.owner)


def test_deactivated_user_sees_nothing(world):
    world.owner.is_active = False
    world.owner.save()
    assert not Person.objects.for_user(world.owner).exists()


def test_own_scope_member_sees_only_team_records(world):
    mine = make_person(world.other_team, last_name="Süd")
    visible = set(Person.objects.for_user(world.other_team).values_list("pk", flat=True))
    assert visible == {mine.pk}
