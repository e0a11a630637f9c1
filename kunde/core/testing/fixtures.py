"""pytest fixtures: a small company with two teams and a user of every role.

`world` is the permission test matrix's setting: records owned by a member of team A,
seen by anonymous, read-only (team A), member of another team, the owner, a manager
and an admin.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kunde.accounts.defaults import ensure_default_roles
from kunde.accounts.models import Role, Team, User
from kunde.contacts.defaults import ensure_default_customer_groups, ensure_default_stages
from kunde.contacts.models import Organisation, Person
from kunde.core.testing.factories import make_organisation, make_person, make_team, make_user


@dataclass
class World:
    team_a: Team
    team_b: Team
    admin: User
    manager: User
    owner: User
    teammate: User
    other_team: User
    read_only: User
    person: Person
    organisation: Organisation


@pytest.fixture(autouse=True)
def _fast_tests(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.cache import cache

    cache.clear()  # rate limits and cached figures of one test never reach the next


@pytest.fixture
def default_rows(db) -> None:
    """The rows data migrations create; transactional tests flush them away."""
    ensure_default_roles()
    ensure_default_stages()
    ensure_default_customer_groups()


@pytest.fixture
def world(default_rows) -> World:
    team_a, team_b = make_team("Vertrieb Nord"), make_team("Vertrieb Süd")
    owner = make_user(Role.MEMBER, team=team_a, username="owner")
    organisation = make_organisation(owner, name="Gunther Glas", legal_form="GmbH")
    person = make_person(
        owner, first_name="Jürgen", last_name="Müller",
        emails=[{"email": "j.mueller@gunther-glas.de"}], phones=[{"number": "030 1234567"}],
        organisation=organisation, role="Einkauf",
    )
    return World(
        team_a=team_a, team_b=team_b,
        admin=make_user(Role.ADMIN, team=team_a, username="admin"),
        manager=make_user(Role.MANAGER, team=team_a, username="manager"),
        owner=owner,
        teammate=make_user(Role.MEMBER, team=team_a, username="teammate"),
        other_team=make_user(Role.MEMBER, team=team_b, username="other"),
        read_only=make_user(Role.READ_ONLY, team=team_a, username="reader"),
        person=person, organisation=organisation,
    )
