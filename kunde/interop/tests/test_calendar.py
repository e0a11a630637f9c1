"""The private iCalendar feed: the user's open tasks and meetings, readable by a calendar app, revocable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from kunde.activities.services import contact_log, task_create
from kunde.contacts.models import Organisation, Person
from kunde.interop.services import calendar_feed_create, calendar_feed_revoke

pytestmark = pytest.mark.django_db


def read_feed(token: str) -> tuple[int, Calendar | None]:
    response = Client().get(f"/calendar/{token}.ics")
    if response.status_code != 200:
        return response.status_code, None
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return 200, Calendar.from_ical(response.content)


def summaries(calendar: Calendar, kind: str) -> list[str]:
    return sorted(str(component["SUMMARY"]) for component in calendar.walk(kind))


def test_feed_shows_my_tasks_and_meetings_only(world):
    soon = timezone.now() + dt.timedelta(days=2)
    task_create(actor=world.owner, subject="Angebot nachfassen", due_at=soon, person=world.person)
    task_create(actor=world.manager, subject="Fremde Aufgabe", due_at=soon, person=world.person,
                assignee=world.manager)
    contact_log(actor=world.owner, person=world.person, channel="meeting", subject="Werksbesuch",
                occurred_at=soon, duration_minutes=90)
    contact_log(actor=world.owner, person=world.person, channel="phone", subject="Kurzer Anruf", occurred_at=soon)
    contact_log(actor=world.manager, person=world.person, channel="video", subject="Review mit Owner",
                occurred_at=soon, participant_users=[world.owner])
    _feed, token = calendar_feed_create(actor=world.owner)
    status, calendar = read_feed(token)
    assert status == 200 and calendar is not None
    assert summaries(calendar, "VTODO") == ["Angebot nachfassen – Jürgen Müller"]
    assert summaries(calendar, "VEVENT") == ["Review mit Owner – Jürgen Müller", "Werksbesuch – Jürgen Müller"]
    visit = next(c for c in calendar.walk("VEVENT") if "Werksbesuch" in str(c["SUMMARY"]))
    assert visit.decoded("DTEND") - visit.decoded("DTSTART") == dt.timedelta(minutes=90)
    assert str(visit["URL"]).endswith(world.person.get_absolute_url())


def test_feed_never_shows_what_the_user_may_no_longer_see(world):
    task_create(actor=world.owner, subject="Rückruf", due_at=timezone.now() + dt.timedelta(days=1),
                person=world.person, assignee=world.teammate)
    _feed, token = calendar_feed_create(actor=world.teammate)
    assert summaries(read_feed(token)[1], "VTODO") == ["Rückruf – Jürgen Müller"]
    Person.objects.filter(pk=world.person.pk).update(owner=world.other_team, team=world.team_b)
    Organisation.objects.filter(pk=world.organisation.pk).update(owner=world.other_team, team=world.team_b)
    assert summaries(read_feed(token)[1], "VTODO") == []


def test_revoked_unknown_and_deactivated_feeds_are_404(world):
    feed, token = calendar_feed_create(actor=world.owner)
    assert read_feed(token)[0] == 200
    assert read_feed("not-a-token")[0] == 404
    calendar_feed_revoke(actor=world.owner, feed=feed)
    assert read_feed(token)[0] == 404
    _feed, second = calendar_feed_create(actor=world.owner)
    world.owner.is_active = False
    world.owner.save()
    assert read_feed(second)[0] == 404


def test_settings_page_shows_the_address_once_and_revokes(world):
    client = Client()
    client.force_login(world.owner)
    html = client.post("/calendar/feeds/").content.decode()
    assert "/calendar/" in html and ".ics" in html
    feed = world.owner.calendar_feeds.get()
    assert feed.token_hash not in html
    assert ".ics" not in client.get("/calendar/feeds/").content.decode()
    other = Client()
    other.force_login(world.manager)
    assert other.post(f"/calendar/feeds/{feed.pk}/revoke/").status_code == 404
    assert client.post(f"/calendar/feeds/{feed.pk}/revoke/").status_code == 302
    feed.refresh_from_db()
    assert feed.revoked_at is not None
