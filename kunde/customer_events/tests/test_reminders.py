"""The hourly reminder job: N hours before the start, once per registration, through the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kunde.core.jobs import get_job
from kunde.customer_events import services
from kunde.customer_events.models import Event, Registration
from kunde.customer_events.tests.conftest import consenting_person
from kunde.mail.models import OutboundMessage

pytestmark = pytest.mark.django_db


def _reminders():  # type: ignore[no-untyped-def]
    return OutboundMessage.objects.filter(dedupe_key__startswith="customer_events.reminder.")


def test_reminders_are_sent_once_within_the_lead_and_not_to_the_waiting_list(world, webinar):
    seated = [consenting_person(world.owner, f"Kunde{i}") for i in range(2)]
    waiting = consenting_person(world.owner, "Kunde9")
    for person in [*seated, waiting]:
        services.registration_create(actor=world.owner, event=webinar, person=person)
    Event.objects.filter(pk=webinar.pk).update(reminder_hours=48)

    # Seven days before the start: too early.
    assert services.reminders_send() == 0
    assert not _reminders().exists()

    later = webinar.starts_at - dt.timedelta(hours=47)
    assert services.reminders_send(now=later) == 2
    assert services.reminders_send(now=later + dt.timedelta(hours=1)) == 0  # the next hourly run
    assert sorted(m.to[0] for m in _reminders()) == ["kunde0@example.com", "kunde1@example.com"]
    assert Registration.objects.filter(reminder_sent_at__isnull=False).count() == 2
    # The event is in German, so is its reminder.
    assert _reminders().first().subject == "Erinnerung: Marktausblick Q1"  # type: ignore[union-attr]


def test_the_job_is_registered_hourly(db):
    job = get_job("customer_events.reminders")
    assert job.every == dt.timedelta(hours=1)


def test_no_reminder_for_a_cancelled_registration_or_after_the_start(world, webinar):
    person = consenting_person(world.owner, "Kunde1")
    registration = services.registration_create(actor=world.owner, event=webinar, person=person)
    services.registration_cancel(actor=world.owner, registration=registration)
    assert services.reminders_send(now=webinar.starts_at - dt.timedelta(hours=1)) == 0
    other = consenting_person(world.owner, "Kunde2")
    services.registration_create(actor=world.owner, event=webinar, person=other)
    assert services.reminders_send(now=webinar.starts_at + dt.timedelta(minutes=5)) == 0
    assert timezone.now() < webinar.starts_at
