"""The REST API of customer events: CRUD, registration, check-in, invitations, report, scoping and errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kunde.accounts.models import ApiToken
from kunde.core.testing.api import ApiClient
from kunde.customer_events.models import Event, Registration
from kunde.customer_events.tests.conftest import consenting_person

pytestmark = pytest.mark.django_db


def _event_body(**overrides):  # type: ignore[no-untyped-def]
    start = timezone.now() + dt.timedelta(days=10)
    body = {"title": "Messe Hannover", "kind": "trade_fair", "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=8)).isoformat(), "place": "Halle 4, Stand B12",
            "capacity": 1, "cost": "2500.00", "status": "open"}
    return {**body, **overrides}


def test_create_register_waitlist_check_in_and_report(world, events_purpose):
    api = ApiClient(world.owner)
    series = api.post("/event-series", {"name": "Messen 2027", "kind": "trade_fair"})
    assert series.status_code == 201, series.json()
    created = api.post("/events", _event_body(series=series.json()["id"], kind=None))
    assert created.status_code == 201, created.json()
    event = created.json()
    assert event["kind"] == "trade_fair" and event["cost"] == "2500.00" and event["series"] == series.json()["id"]

    a, b = consenting_person(world.owner, "Kunde1"), consenting_person(world.owner, "Kunde2")
    first = api.post(f"/events/{event['id']}/registrations", {"person": a.pk})
    second = api.post(f"/events/{event['id']}/registrations", {"person": b.pk})
    assert (first.status_code, first.json()["status"]) == (201, "registered")
    assert (second.json()["status"], second.json()["waitlist_position"]) == ("waitlisted", 1)

    listed = api.get(f"/events/{event['id']}/registrations").json()
    assert [r["person"] for r in listed] == [a.pk, b.pk]

    cancelled = api.post(f"/event-registrations/{first.json()['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert api.get(f"/event-registrations/{second.json()['id']}").json()["status"] == "registered"

    Event.objects.filter(pk=event["id"]).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    checked = api.post(f"/event-registrations/{second.json()['id']}/check-in")
    assert checked.status_code == 200 and checked.json()["status"] == "attended"
    assert api.post(f"/events/{event['id']}/close").json()["status"] == "closed"

    report = api.get(f"/events/{event['id']}/report").json()
    assert (report["registered"], report["attended"], report["cancelled"], report["cost_per_attendee"]) == (
        1, 1, 1, "2500.00")
    series_report = api.get(f"/event-series/{series.json()['id']}/report").json()
    assert series_report["events"] == 1 and series_report["attended"] == 1
    assert series_report["per_event"][0]["report"]["cost_per_attendee"] == "2500.00"


def test_invite_a_segment_through_the_api(world, webinar, segment):
    consenting_person(world.owner, "Kunde1")
    consenting_person(world.owner, "Kunde2", purpose="offers")
    answer = ApiClient(world.owner).post(f"/events/{webinar.pk}/invitations", {"segment_id": segment.pk})
    assert answer.status_code == 200
    assert (len(answer.json()["invited"]), len(answer.json()["without_consent"])) == (1, 1)


@pytest.mark.parametrize(("body", "path"), [
    ({"ends_at": "2020-01-01T00:00:00+00:00"}, ["body", "ends_at"]),
    ({"capacity": 0}, ["body", "capacity"]),
    ({"cost": "-5"}, ["body", "cost"]),
    ({"status": "closed"}, ["body", "status"]),
    ({"unknown": 1}, ["body", "unknown"]),
])
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(world, body, path):
    answer = ApiClient(world.owner).post("/events", _event_body(**body))
    assert answer.status_code == 422, answer.json()
    assert path in [error["path"] for error in answer.json()["errors"]]
    assert not Event.objects.exists()


def test_a_naive_start_time_is_refused(world):
    body = _event_body(starts_at="2027-03-01T10:00:00", ends_at="2027-03-01T12:00:00")
    answer = ApiClient(world.owner).post("/events", body)
    assert answer.status_code == 422
    assert not Event.objects.exists()


def test_registering_an_unknown_person_is_a_422(world, webinar):
    answer = ApiClient(world.owner).post(f"/events/{webinar.pk}/registrations", {"person": 999999})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == ["body", "person"]
    assert not Registration.objects.exists()


def test_another_team_sees_nothing_and_read_only_cannot_write(world, webinar):
    person = consenting_person(world.owner, "Kunde1")
    registration = ApiClient(world.owner).post(f"/events/{webinar.pk}/registrations", {"person": person.pk}).json()

    other = ApiClient(world.other_team)
    for path in (f"/events/{webinar.pk}", f"/events/{webinar.pk}/report", f"/events/{webinar.pk}/registrations",
                 f"/event-registrations/{registration['id']}"):
        assert other.get(path).status_code == 404, path
    assert other.post(f"/event-registrations/{registration['id']}/cancel").status_code == 404
    assert other.patch(f"/events/{webinar.pk}", {"title": "Übernommen"}).status_code == 404
    assert [e["id"] for e in other.get("/events").json()] == []

    reader = ApiClient(world.read_only)
    assert reader.get(f"/events/{webinar.pk}").status_code == 200
    assert reader.patch(f"/events/{webinar.pk}", {"title": "Geändert"}).status_code == 403
    assert reader.post(f"/event-registrations/{registration['id']}/check-in").status_code == 403
    assert reader.post("/events", _event_body()).status_code == 403
    read_token = ApiClient(world.owner, scope=ApiToken.TokenScope.READ)
    assert read_token.post(f"/event-registrations/{registration['id']}/cancel").status_code == 403

    webinar.refresh_from_db()
    assert webinar.title == "Marktausblick Q1"
    assert Registration.objects.get(pk=registration["id"]).status == "registered"


def test_a_stale_version_conflicts(world, webinar):
    api = ApiClient(world.owner)
    answer = api.patch(f"/events/{webinar.pk}", {"title": "Neu"}, headers={"If-Match": 'W/"99"'})
    assert answer.status_code == 412
    assert Event.objects.get(pk=webinar.pk).title == "Marktausblick Q1"


def test_a_big_segment_is_invited_in_the_background(world, webinar, segment, monkeypatch):
    """Above the inline limit the API answers 202 and the task (run at once by the test backend) invites."""
    from kunde.customer_events import services
    from kunde.customer_events.models import Invitation

    monkeypatch.setattr(services, "INVITE_INLINE_LIMIT", 1)
    people = [consenting_person(world.owner, f"Kunde{i}") for i in range(3)]
    answer = ApiClient(world.owner).post(f"/events/{webinar.pk}/invitations", {"segment_id": segment.pk})
    assert answer.status_code == 202 and answer.json()["queued"] is True
    assert sorted(Invitation.objects.filter(sent_at__isnull=False).values_list("person_id", flat=True)) == sorted(
        p.pk for p in people)
