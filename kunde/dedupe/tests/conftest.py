"""A pair of duplicate people with history, deals, orders, tickets, consents, tags and segments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from kunde.contacts.models import Person
from kunde.core.testing.factories import make_person


@dataclass
class Twins:
    survivor: Person
    loser: Person
    segment: Any


@pytest.fixture
def twins(world) -> Twins:
    """Two records of Hans Müller, both owned by `world.owner`; the loser carries most of the history."""
    from kunde.activities.services import contact_log
    from kunde.audience import consent
    from kunde.audience.defaults import ensure_default_purposes
    from kunde.audience.models import SegmentMember
    from kunde.audience.services import segment_create
    from kunde.commerce.services import order_create
    from kunde.imports.models import ExternalReference
    from kunde.sales.defaults import ensure_sales_defaults
    from kunde.sales.services import deal_create
    from kunde.service.services import ensure_default_statuses, ticket_create

    ensure_default_purposes()
    ensure_sales_defaults()
    ensure_default_statuses()
    survivor = make_person(world.owner, first_name="Hans", last_name="Müller", title="",
                           emails=[{"email": "hans@mueller.example", "is_primary": True}],
                           tags=["VIP", "Newsletter"])
    loser = make_person(world.owner, first_name="Johannes", last_name="Mueller", title="Dr.",
                        birthday=dt.date(1970, 3, 1), notes="Mag Ringe.",
                        emails=[{"email": "Hans@Mueller.example", "is_primary": True},
                                {"email": "johannes@firma.example"}],
                        phones=[{"number": "030 1234567"}],
                        addresses=[{"street": "Hauptstraße 5", "postal_code": "10115", "city": "Berlin"}],
                        tags=["VIP", "Schmuck"], organisation=world.organisation, role="Einkauf")
    contact_log(actor=world.owner, channel="phone", subject="Anruf wegen Ringen", person=loser)
    contact_log(actor=world.owner, channel="email", subject="Angebot geschickt", person=survivor)
    deal_create(actor=world.owner, title="Ringe 2026", person=loser, amount=Decimal("1200"))
    order_create(actor=world.owner, person=loser, lines=[
        {"description": "Ring", "quantity": 1, "unit_price": "300.00"}])
    ticket_create(actor=world.owner, subject="Ring zu groß", description="Bitte ändern", person=loser)
    consent.consent_give(actor=None, person=loser, purpose="offers", confirmed=True, source="test")
    segment = segment_create(actor=world.owner, name="Schmuckkunden", definition={})
    SegmentMember.objects.create(segment=segment, person=loser)
    SegmentMember.objects.create(segment=segment, person=survivor)
    ExternalReference.objects.create(object_type="contacts.person", object_id=loser.pk, system="shop", value="K-77")
    survivor.refresh_from_db()
    loser.refresh_from_db()
    return Twins(survivor=survivor, loser=loser, segment=segment)
