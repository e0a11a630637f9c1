"""Query counts of the idea lists do not grow with the number of ideas (no N+1), without timing anything."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kunde.core.testing.api import client_for
from kunde.ideas.models import IdeaLink
from kunde.ideas.services import idea_submit
from kunde.ideas.tests.conftest import portal_client

pytestmark = pytest.mark.django_db


def _add_ideas(world, person, products, count: int) -> None:
    for number in range(count):
        idea = idea_submit(actor=world.owner, title=f"Idee {number}", person=person,
                           product=products[number % len(products)])
        IdeaLink.objects.create(idea=idea, organisation=world.organisation, linked_by=world.owner)


def _queries(fetch) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == 200
    return len(captured)


def test_lists_take_the_same_number_of_queries_for_3_and_13_ideas(world, catalogue, anna):
    products = [catalogue["desk"], catalogue["chair"]]
    portal = portal_client(anna)
    staff = Client()
    staff.force_login(world.owner)
    api = client_for(world, "owner")
    fetches = {
        "portal": lambda: portal.get("/portal/ideas/"),
        "staff": lambda: staff.get("/ideas/"),
        "api": lambda: api.get("/ideas"),
        "panel": lambda: staff.get(anna.get_absolute_url()),
    }
    _add_ideas(world, anna, products, 3)
    for fetch in fetches.values():
        fetch()  # warm caches (roles, content types, sessions)
    few = {name: _queries(fetch) for name, fetch in fetches.items()}
    _add_ideas(world, anna, products, 10)
    many = {name: _queries(fetch) for name, fetch in fetches.items()}
    assert many == few
