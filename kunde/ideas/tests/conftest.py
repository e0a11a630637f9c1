"""Fixtures of the ideas tests: a small catalogue, customers of two teams and portal sessions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kunde.commerce.models import Product, ProductCategory
from kunde.commerce.services import product_create
from kunde.contacts.models import Person
from kunde.core.testing.factories import make_person
from kunde.service.portal import SESSION_KEY


@pytest.fixture
def catalogue(world: Any) -> dict[str, Product]:
    desks = ProductCategory.objects.create(key="desks", name_en="Desks", name_de="Tische")
    desk = product_create(actor=world.admin, sku="TD-HV-160", name="Schreibtisch 160", net_price="489.00",
                          category=desks)
    chair = product_create(actor=world.admin, sku="TD-ST-01", name="Bürostuhl Ergo", net_price="219.90")
    retired = product_create(actor=world.admin, sku="TD-OLD", name="Alter Tisch", net_price="99.00", is_active=False)
    return {"desk": desk, "chair": chair, "retired": retired}


@pytest.fixture
def anna(world: Any) -> Person:
    """A customer of team A with an e-mail address."""
    return make_person(world.owner, first_name="Anna", last_name="Schmidt", emails=[{"email": "anna@example.org"}])


@pytest.fixture
def bernd(world: Any) -> Person:
    """A customer of team B (the other team's member owns him)."""
    return make_person(world.other_team, first_name="Bernd", last_name="Bauer",
                       emails=[{"email": "bernd@example.org"}])


def portal_client(person: Person, **options: Any) -> Client:
    """A browser signed in to the customer portal as `person` (as the magic link leaves it)."""
    client = Client(**options)
    session = client.session
    session[SESSION_KEY] = person.pk
    session.save()
    return client
