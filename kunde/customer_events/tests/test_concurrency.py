"""Concurrent registrations never over-book an event (PostgreSQL, real threads and connections)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from kunde.core.testing.factories import make_person
from kunde.customer_events.models import Event, Registration
from kunde.customer_events.services import event_create, registration_create

pytestmark = pytest.mark.django_db(transaction=True)

CAPACITY = 3
PEOPLE = 12


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="SQLite serialises all writers with one database lock; row locks need PostgreSQL")
def test_concurrent_registrations_fill_the_capacity_and_wait_list_the_rest(world):
    start = timezone.now() + dt.timedelta(days=3)
    event = event_create(actor=world.owner, title="Sommerfest", kind="customer_event", starts_at=start,
                         ends_at=start + dt.timedelta(hours=4), place="Hamburg", capacity=CAPACITY,
                         cost=Decimal("1200.00"), status=Event.Status.OPEN)
    people = [make_person(world.owner, last_name=f"Gast{i}") for i in range(PEOPLE)]
    barrier = threading.Barrier(PEOPLE)
    errors: list[BaseException] = []

    def register(person) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait(timeout=10)
            registration_create(actor=None, event=event, person=person, source=Registration.Source.PUBLIC)
        except BaseException as error:  # reported below, in the test thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    rows = Registration.objects.filter(event=event)
    assert rows.filter(status=Registration.Status.REGISTERED).count() == CAPACITY
    waiting = sorted(rows.filter(status=Registration.Status.WAITLISTED).values_list("waitlist_position", flat=True))
    assert waiting == list(range(1, PEOPLE - CAPACITY + 1))
    assert connection.vendor == "postgresql"
