"""The history and task endpoints: permissions, validation, filters, concurrency and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kunde.activities.models import Activity
from kunde.activities.services import contact_log, task_create
from kunde.core.models import AuditEntry
from kunde.core.testing.api import ApiClient, client_for
from kunde.core.testing.factories import make_organisation, make_person

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]
READ = dict(anonymous=401, read_only=200, teammate=200, other_team=404, owner=200, manager=200, admin=200)
CHANGE = dict(anonymous=401, read_only=403, teammate=403, other_team=404, owner=200, manager=200, admin=200)
# Writing history on a customer is a change of that customer; one you cannot see is "unknown".
CREATE = dict(anonymous=401, read_only=403, teammate=403, other_team=422, owner=201, manager=201, admin=201)


def expect(codes: dict[str, int]) -> list[tuple[str, int]]:
    return [(who, codes[who]) for who in WHO]


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def call(world) -> Activity:
    return contact_log(actor=world.owner, person=world.person, channel="phone", direction="in",
                       subject="Anfrage 50 Schreibtische", mood=4)


@pytest.fixture
def task(world) -> Activity:
    return task_create(actor=world.owner, person=world.person, subject="Angebot schicken",
                       due_at=timezone.now() + dt.timedelta(days=2))


# --- history entries --------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), expect(READ))
def test_get_activity_matrix(world, call, who, status):
    response = client_for(world, who).get(f"/activities/{call.pk}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert (body["subject"], body["mood"], body["channel"], body["kind"]) == (
            "Anfrage 50 Schreibtische", 4, "phone", "contact")
        assert (body["person"], body["organisation"]) == (world.person.pk, world.organisation.pk)
        assert response["ETag"] == 'W/"1"'


@pytest.mark.parametrize(("who", "status"), expect(CREATE))
def test_log_contact_matrix(world, who, status):
    client = client_for(world, who)
    before, audit = Activity.objects.count(), AuditEntry.objects.count()
    response = client.post("/activities", {
        "person": world.person.pk, "channel": "phone", "direction": "out", "subject": "Rückruf", "mood": 5,
        "duration_minutes": 12, "occurred_at": "2026-03-02T10:15:00+01:00",
    })
    assert response.status_code == status
    if status == 201:
        body = response.json()
        entry = Activity.objects.get(pk=body["id"])
        assert (entry.mood, entry.channel, entry.created_by) == (5, "phone", getattr(world, who))
        assert body["occurred_at"] == "2026-03-02T09:15:00Z"
        assert body["organisation"] == world.organisation.pk  # lands on the employer's timeline too
    else:
        assert (Activity.objects.count(), AuditEntry.objects.count()) == (before, audit)
    if status == 422:
        assert response.json()["errors"] == [{"path": ["body", "person"], "message": "Unknown person."}]


@pytest.mark.parametrize(("who", "status"), expect(CHANGE))
def test_correct_activity_matrix(world, call, who, status):
    response = client_for(world, who).patch(f"/activities/{call.pk}", {"outcome": "Angebot folgt", "mood": 3})
    assert response.status_code == status
    call.refresh_from_db()
    if status == 200:
        assert (call.outcome, call.mood, call.version) == ("Angebot folgt", 3, 2)
        assert response["ETag"] == 'W/"2"'
    else:
        assert (call.outcome, call.mood, call.version) == ("", 4, 1)


@pytest.mark.parametrize(("who", "visible"), [("read_only", True), ("teammate", True), ("other_team", False),
                                              ("owner", True), ("manager", True), ("admin", True)])
def test_list_activities_shows_only_visible_entries(world, call, who, visible):
    response = client_for(world, who).get("/activities")
    assert response.status_code == 200
    assert [e["id"] for e in response.json()["items"]] == ([call.pk] if visible else [])


def test_list_activities_anonymous_is_401(world):
    assert ApiClient().get("/activities").status_code == 401


def test_note_on_an_organisation(world):
    response = ApiClient(world.owner).post("/activities", {"kind": "note", "organisation": world.organisation.pk,
                                                           "subject": "Rahmenvertrag läuft aus"})
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["person"], body["organisation"], body["channel"]) == (
        "note", None, world.organisation.pk, "")


def test_participants(world):
    colleague = make_person(world.owner, last_name="Kollegin")
    hidden = make_person(world.other_team, last_name="Fremd")
    client = ApiClient(world.owner)
    response = client.post("/activities", {"person": world.person.pk, "channel": "meeting", "subject": "Termin",
                                            "participant_people": [colleague.pk],
                                            "participant_users": [world.teammate.pk]})
    assert response.status_code == 201
    assert (response.json()["participant_people"], response.json()["participant_users"]) == (
        [colleague.pk], [world.teammate.pk])
    count = Activity.objects.count()
    refused = client.post("/activities", {"person": world.person.pk, "channel": "meeting", "subject": "Termin",
                                           "participant_people": [colleague.pk, hidden.pk],
                                           "participant_users": [999999]})
    assert refused.status_code == 422
    assert sorted(tuple(map(str, e["path"])) for e in refused.json()["errors"]) == [
        ("body", "participant_people", "1"), ("body", "participant_users", "0")]
    assert Activity.objects.count() == count


def test_invalid_history_input_is_422_with_paths(world):
    client = ApiClient(world.owner)
    count = Activity.objects.count()

    def paths(body: dict) -> list[list]:
        response = client.post("/activities", body)
        assert response.status_code == 422, response.json()
        return sorted(e["path"] for e in response.json()["errors"])

    assert paths({"person": world.person.pk, "channel": "phone", "subject": "x", "mood": 6}) == [["body", "mood"]]
    assert paths({"person": world.person.pk, "subject": "ohne Kanal"}) == [["body", "channel"]]
    assert paths({"person": world.person.pk, "channel": "fax", "subject": "x"}) == [["body", "channel"]]
    assert paths({"channel": "phone", "subject": "an niemanden"}) == [["body", "person"]]
    assert paths({"person": world.person.pk, "channel": "phone", "subject": "x",
                  "occurred_at": "2026-03-02T10:15:00"}) == [["body", "occurred_at"]]
    assert paths({"kind": "task", "person": world.person.pk, "subject": "x"}) == [["body", "kind"]]
    assert paths({"person": world.person.pk, "channel": "phone", "subject": "x", "colour": "blau"}) == [
        ["body", "colour"]]
    assert Activity.objects.count() == count


def test_kind_and_customer_of_an_entry_stay(world, call):
    response = ApiClient(world.owner).patch(f"/activities/{call.pk}", {"person": world.person.pk})
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == [["body", "person"]]


def test_stale_if_match_on_activity_is_412(world, call):
    client = ApiClient(world.owner)
    assert client.patch(f"/activities/{call.pk}", {"notes": "a"}, headers={"If-Match": 'W/"1"'}).status_code == 200
    response = client.patch(f"/activities/{call.pk}", {"notes": "b"}, headers={"If-Match": 'W/"1"'})
    assert response.status_code == 412
    assert response["ETag"] == 'W/"2"'
    call.refresh_from_db()
    assert call.notes == "a"


def test_activity_filters_of_the_list_page(world, call):
    organisation = make_organisation(world.owner, name="Topp Desk AG")
    mail = contact_log(actor=world.owner, organisation=organisation, channel="email", subject="Mail", mood=2)
    client = ApiClient(world.owner)

    def ids(**params: str) -> list[int]:
        response = client.get("/activities", params)
        assert response.status_code == 200, response.json()
        return [e["id"] for e in response.json()["items"]]

    assert ids(channel="phone") == [call.pk]
    assert ids(organisation=str(organisation.pk)) == [mail.pk]
    assert ids(mood_max="2") == [mail.pk]
    assert ids(sort="occurred") == [call.pk, mail.pk]
    assert ids() == [mail.pk, call.pk]
    for bad in ({"channel": "pigeon"}, {"sort": "mood"}, {"colour": "x"}, {"occurred_after": "gestern"}):
        response = client.get("/activities", bad)
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["path"] == ["query", next(iter(bad))]


def test_activity_list_query_count_does_not_grow(world):
    client = ApiClient(world.manager)
    colleague = make_person(world.owner, last_name="Kollege")

    def log(count: int) -> None:
        for index in range(count):
            entry = contact_log(actor=world.owner, person=world.person, channel="phone", subject=f"Anruf {index}",
                                mood=3)
            entry.participant_people.add(colleague)
            entry.participant_users.add(world.teammate)

    def measure() -> tuple[int, int]:
        client.get("/activities")
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/activities")
        return len(queries), len(response.json()["items"])

    log(2)
    small = measure()
    log(18)
    large = measure()
    assert (small[1], large[1]) == (2, 20)
    assert large[0] == small[0]


# --- tasks ------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), expect(CREATE))
def test_create_task_matrix(world, who, status):
    due = timezone.now() + dt.timedelta(days=1)
    before = Activity.objects.count()
    response = client_for(world, who).post("/tasks", {"person": world.person.pk, "subject": "Rückruf",
                                                      "due_at": iso(due)})
    assert response.status_code == status
    if status == 201:
        body = response.json()
        assert (body["kind"], body["assignee"], body["done_at"]) == ("task", getattr(world, who).pk, None)
    else:
        assert Activity.objects.count() == before


@pytest.mark.parametrize(("who", "status"), expect(CHANGE))
def test_complete_task_matrix(world, task, who, status):
    response = client_for(world, who).post(f"/tasks/{task.pk}/complete")
    assert response.status_code == status
    task.refresh_from_db()
    assert (task.done_at is not None) is (status == 200)
    if status == 200:
        assert response.json()["done_at"] is not None


@pytest.mark.parametrize(("who", "status"), expect(READ))
def test_get_task_matrix(world, task, who, status):
    assert client_for(world, who).get(f"/tasks/{task.pk}").status_code == status


@pytest.mark.parametrize(("who", "status"), expect(CHANGE))
def test_update_task_matrix(world, task, who, status):
    due = timezone.now() + dt.timedelta(days=9)
    response = client_for(world, who).patch(f"/tasks/{task.pk}", {"due_at": iso(due), "assignee": world.manager.pk})
    assert response.status_code == status
    task.refresh_from_db()
    assert (task.assignee == world.manager) is (status == 200)


def test_reopen_and_stale_complete(world, task):
    client = ApiClient(world.owner)
    done = client.post(f"/tasks/{task.pk}/complete", headers={"If-Match": 'W/"1"'})
    assert done.status_code == 200
    assert done["ETag"] == 'W/"2"'
    stale = client.post(f"/tasks/{task.pk}/reopen", headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    task.refresh_from_db()
    assert task.done_at is not None
    reopened = client.post(f"/tasks/{task.pk}/reopen", headers={"If-Match": done["ETag"]})
    assert reopened.status_code == 200
    assert reopened.json()["done_at"] is None


def test_a_contact_is_not_a_task(world, call):
    client = ApiClient(world.owner)
    assert client.get(f"/tasks/{call.pk}").status_code == 404
    assert client.post(f"/tasks/{call.pk}/complete").status_code == 404
    call.refresh_from_db()
    assert call.done_at is None


def test_task_needs_due_date_and_known_assignee(world):
    client = ApiClient(world.owner)
    missing = client.post("/tasks", {"person": world.person.pk, "subject": "x"})
    assert [e["path"] for e in missing.json()["errors"]] == [["body", "due_at"]]
    unknown = client.post("/tasks", {"person": world.person.pk, "subject": "x", "assignee": 999999,
                                     "due_at": iso(timezone.now())})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"path": ["body", "assignee"], "message": "Unknown user."}]


def test_task_list_is_due_ordered_and_filters_open(world, task):
    later = task_create(actor=world.owner, person=world.person, subject="Später",
                        due_at=timezone.now() + dt.timedelta(days=20))
    earlier = task_create(actor=world.owner, person=world.person, subject="Früher",
                          due_at=timezone.now() + dt.timedelta(hours=1))
    contact_log(actor=world.owner, person=world.person, channel="phone", subject="kein Task")
    client = ApiClient(world.owner)
    client.post(f"/tasks/{earlier.pk}/complete")
    all_tasks = client.get("/tasks").json()["items"]
    assert [t["id"] for t in all_tasks] == [earlier.pk, task.pk, later.pk]
    open_tasks = client.get("/tasks", {"open": "true"}).json()["items"]
    assert [t["id"] for t in open_tasks] == [task.pk, later.pk]
    assert client.get("/tasks", {"kind": "note"}).status_code == 400


@pytest.mark.parametrize(("who", "visible"), [("read_only", True), ("teammate", True), ("other_team", False),
                                              ("owner", True), ("manager", True), ("admin", True)])
def test_list_tasks_shows_only_visible_tasks(world, task, who, visible):
    response = client_for(world, who).get("/tasks")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["items"]] == ([task.pk] if visible else [])


@pytest.mark.parametrize(("who", "status"), expect(CHANGE))
def test_reopen_task_matrix(world, task, who, status):
    ApiClient(world.owner).post(f"/tasks/{task.pk}/complete")
    task.refresh_from_db()
    done_at = task.done_at
    response = client_for(world, who).post(f"/tasks/{task.pk}/reopen")
    assert response.status_code == status
    task.refresh_from_db()
    assert done_at is not None
    assert task.done_at == (None if status == 200 else done_at)


def test_topic_is_recorded_filtered_and_corrected(world):
    """What a contact was about (segments ask "asked about rings in the last 30 days")."""
    client = ApiClient(world.owner)
    response = client.post("/activities", {"person": world.person.pk, "channel": "chat",
                                           "subject": "Material des Rings?", "topic": " rings "})
    assert response.status_code == 201
    assert response.json()["topic"] == "rings"
    contact_log(actor=world.owner, person=world.person, channel="phone", subject="Liefertermin")
    listed = client.get("/activities?topic=rings").json()["items"]
    assert [item["subject"] for item in listed] == ["Material des Rings?"]
    entry = response.json()["id"]
    assert client.patch(f"/activities/{entry}", {"topic": "necklaces"}).json()["topic"] == "necklaces"
