"""The consent card on the 360° page and its record form."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kunde.audience import consent
from kunde.audience.models import ConsentRecord
from kunde.audience.panel import consent_panel
from kunde.contacts.selectors import person_get

pytestmark = pytest.mark.django_db


def test_panel_uses_three_queries(world):
    consent.consent_give(actor=None, person=world.person, purpose="offers", confirmed=True)
    consent.consent_give(actor=None, person=world.person, purpose="surveys", channel="phone")
    consent.consent_withdraw(actor=None, person=world.person, purpose="offers", suppress=True)
    person = person_get(world.owner, world.person.pk)
    with CaptureQueriesContext(connection) as queries:
        panel = consent_panel(world.owner, person)
    assert len(queries) <= 3, [q['sql'][:120] for q in queries]
    assert panel["suppressed"] and [row["state"] for row in panel["rows"]] == ["withdrawn", "given"]
    assert consent_panel(world.owner, world.organisation) is None


def test_person_page_shows_panel_and_staff_record_consent(client, world):
    client.force_login(world.owner)
    page = client.get(f"/people/{world.person.pk}/")
    assert page.status_code == 200 and "consent-heading" in page.content.decode()
    response = client.post(f"/audience/people/{world.person.pk}/consent",
                           {"purpose": "surveys", "channel": "phone", "action": "given", "source": "Anruf"})
    assert response.status_code == 302
    record = ConsentRecord.objects.get()
    assert record.actor == world.owner and record.source == "Anruf"
    assert consent.may_contact(world.person, purpose="surveys", channel="phone")


def test_reader_may_not_record(client, world):
    client.force_login(world.read_only)
    page = client.get(f"/people/{world.person.pk}/")
    assert "consent-heading" in page.content.decode() and "Record consent" not in page.content.decode()
    response = client.post(f"/audience/people/{world.person.pk}/consent",
                           {"purpose": "surveys", "channel": "phone", "action": "given"})
    assert response.status_code == 404
    assert not ConsentRecord.objects.exists()
