"""Fixtures of customer events: an open webinar owned in team A and people with and without consent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kunde.audience import consent
from kunde.audience.services import segment_create
from kunde.core.testing.factories import make_person
from kunde.customer_events.models import Event
from kunde.customer_events.services import ensure_events_purpose, event_create


@pytest.fixture
def events_purpose(db: Any) -> None:
    ensure_events_purpose()


@pytest.fixture
def webinar(world: Any, events_purpose: None) -> Event:
    start = timezone.now() + dt.timedelta(days=7)
    return event_create(actor=world.owner, title="Marktausblick Q1", kind="webinar", starts_at=start,
                        ends_at=start + dt.timedelta(hours=1), online_url="https://meet.example.com/q1",
                        capacity=2, cost=Decimal("300.00"), status=Event.Status.OPEN)


def consenting_person(owner: Any, last_name: str, purpose: str = "events") -> Any:
    person = make_person(owner, first_name="Eva", last_name=last_name,
                         emails=[{"email": f"{last_name.lower()}@example.com"}])
    consent.consent_give(actor=None, person=person, purpose=purpose, confirmed=True, source="test")
    return person


@pytest.fixture
def segment(world: Any) -> Any:
    """A segment of everybody whose name contains "Kunde" (the invitees below)."""
    return segment_create(actor=world.owner, name="Webinar-Kunden",
                          definition={"op": "and", "rules": [
                              {"field": "name", "operator": "contains", "value": "Kunde"}]})
