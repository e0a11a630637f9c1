"""Small factories that go through the real services (no model shortcuts)."""

from __future__ import annotations

import itertools
from typing import Any

from kunde.accounts.models import Role, Team, User
from kunde.accounts.services import team_create, user_create
from kunde.contacts.models import Organisation, Person
from kunde.contacts.services import organisation_create, person_create

PASSWORD = "Kunde-Test-Passw0rd!"
_counter = itertools.count(1)


def make_team(name: str | None = None) -> Team:
    return team_create(actor=None, name=name or f"Team {next(_counter)}")


def make_user(role: str = Role.MEMBER, *, team: Team | None = None, username: str | None = None,
              **kwargs: Any) -> User:
    return user_create(
        actor=None, username=username or f"user{next(_counter)}", password=PASSWORD, role_key=role,
        teams=[team] if team else [], **kwargs,
    )


def make_person(owner: User | None, **kwargs: Any) -> Person:
    kwargs.setdefault("last_name", f"Muster{next(_counter)}")
    kwargs.setdefault("first_name", "Erika")
    return person_create(actor=owner, **kwargs)


def make_organisation(owner: User | None, **kwargs: Any) -> Organisation:
    kwargs.setdefault("name", f"Beispiel {next(_counter)} GmbH")
    return organisation_create(actor=owner, **kwargs)
