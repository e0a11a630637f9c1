"""The pages of customer events: list, forms, detail with report, check-in, the 360° panel, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kunde.customer_events import services
from kunde.customer_events.models import Event, Registration
from kunde.customer_events.tests.conftest import consenting_person

pytestmark = pytest.mark.django_db


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_create_an_event_with_the_form(world):
    start = (timezone.localtime() + dt.timedelta(days=5)).replace(second=0, microsecond=0)
    response = _client(world.owner).post("/events/new/", {
        "title": "Golfturnier", "kind": "sports", "status": "open", "place": "GC Hamburg",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": "20", "cost": "4000.00", "reminder_hours": "24", "language": "de"})
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.title, event.capacity, event.owner, event.team) == ("Golfturnier", 20, world.owner, world.team_a)


def test_a_bad_form_shows_the_error_and_stores_nothing(world):
    start = timezone.localtime() + dt.timedelta(days=5)
    response = _client(world.owner).post("/events/new/", {
        "title": "Golfturnier", "kind": "sports", "status": "open",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": start.strftime("%Y-%m-%dT%H:%M"),
        "cost": "0", "reminder_hours": "24", "language": "de"})
    assert response.status_code == 200
    assert "The event must end after it starts." in response.content.decode()
    assert not Event.objects.exists()


def test_detail_shows_registrations_and_report_and_check_in_marks_attendance(world, webinar):
    person = consenting_person(world.owner, "Kunde1")
    registration = services.registration_create(actor=world.owner, event=webinar, person=person)
    client = _client(world.owner)
    page = client.get(f"/events/{webinar.pk}/").content.decode()
    assert str(person) in page and 'id="event-report"' in page and "Invite a segment" in page
    assert client.get("/events/").status_code == 200
    checkin = client.get(f"/events/{webinar.pk}/check-in/")
    assert str(person) in checkin.content.decode()
    row = client.post(f"/events/registrations/{registration.pk}/check-in/", headers={"HX-Request": "true"})
    assert row.status_code == 200 and "Checked in" in row.content.decode()
    assert Registration.objects.get(pk=registration.pk).status == "attended"


def test_the_person_page_shows_their_events(world, webinar):
    person = consenting_person(world.owner, "Kunde1")
    services.registration_create(actor=world.owner, event=webinar, person=person)
    page = _client(world.owner).get(person.get_absolute_url()).content.decode()
    assert 'id="customer-events"' in page and "Marktausblick Q1" in page


def test_another_team_gets_404_and_read_only_cannot_change(world, webinar):
    person = consenting_person(world.owner, "Kunde1")
    registration = services.registration_create(actor=world.owner, event=webinar, person=person)
    other = _client(world.other_team)
    for url in (f"/events/{webinar.pk}/", f"/events/{webinar.pk}/edit/", f"/events/{webinar.pk}/check-in/"):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/events/registrations/{registration.pk}/check-in/").status_code == 404
    assert "Marktausblick" not in other.get("/events/").content.decode()

    reader = _client(world.read_only)
    assert reader.get(f"/events/{webinar.pk}/").status_code == 200
    assert "Invite a segment" not in reader.get(f"/events/{webinar.pk}/").content.decode()
    assert reader.get(f"/events/{webinar.pk}/edit/").status_code == 403
    assert reader.post(f"/events/registrations/{registration.pk}/check-in/").status_code == 403
    assert reader.post(f"/events/{webinar.pk}/cancel/").status_code == 403
    assert reader.get("/events/new/").status_code == 403
    assert Registration.objects.get(pk=registration.pk).status == "registered"
    assert Event.objects.get(pk=webinar.pk).status == "open"


def test_anonymous_is_sent_to_the_login(webinar):
    response = Client().get(f"/events/{webinar.pk}/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_series_pages_and_the_event_forms_render(world, webinar):
    client = _client(world.owner)
    assert client.get("/events/new/").status_code == 200
    assert client.get(f"/events/{webinar.pk}/edit/").status_code == 200
    response = client.post("/events/series/new/", {"name": "Quartalswebinar", "kind": "webinar"})
    assert response.status_code == 302
    series_url = response["Location"]
    Event.objects.filter(pk=webinar.pk).update(series_id=int(series_url.rstrip("/").split("/")[-1]))
    page = client.get(series_url).content.decode()
    assert "Marktausblick Q1" in page and "All events of the series" in page
    assert "Quartalswebinar" in client.get("/events/series/").content.decode()
