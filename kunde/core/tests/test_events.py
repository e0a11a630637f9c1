"""Domain events are delivered after commit, with ids only."""

from __future__ import annotations

import pytest
from django.db import transaction

from kunde.contacts.services import person_update
from kunde.core import events
from kunde.core.context import request_id_scope
from kunde.core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received():
    seen: list[tuple[str, dict]] = []

    def handler(event_type, payload):
        seen.append((event_type, payload))

    events.subscribe("contacts.person_updated", handler)
    yield seen
    events.unsubscribe("contacts.person_updated", handler)


def test_event_after_commit_carries_ids_only(world, received):
    with request_id_scope("req-12345678"):
        person_update(actor=world.owner, person=world.person, expected_version=1, changes={"title": "Dr."})
    assert received == [("contacts.person_updated", {"id": world.person.pk, "request_id": "req-12345678"})]
    entry = AuditEntry.objects.filter(object_type="contacts.person", action="update").latest("id")
    assert entry.request_id == "req-12345678"


def test_no_event_when_the_transaction_rolls_back(world, received):
    with pytest.raises(RuntimeError), transaction.atomic():
        person_update(actor=world.owner, person=world.person, expected_version=1, changes={"title": "Dr."})
        raise RuntimeError("abort")
    assert received == []
    world.person.refresh_from_db()
    assert world.person.title == ""


def test_a_failing_handler_does_not_break_others(world, received):
    def broken(event_type, payload):
        raise ValueError("boom")

    events.subscribe("contacts.person_updated", broken)
    try:
        person_update(actor=world.owner, person=world.person, expected_version=1, changes={"title": "Dr."})
    finally:
        events.unsubscribe("contacts.person_updated", broken)
    assert len(received) == 1


def test_request_id_header_is_echoed(client, world):
    response = client.get("/i18n/setlang/", HTTP_X_REQUEST_ID="abcdef123456")
    assert response["X-Request-ID"] == "abcdef123456"
    response = client.get("/i18n/setlang/", HTTP_X_REQUEST_ID="bad id with spaces")
    assert response["X-Request-ID"] != "bad id with spaces" and len(response["X-Request-ID"]) == 32
