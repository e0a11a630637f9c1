"""The duplicates API: the queue, dismiss, merge with field choices, undo; bad input answers precisely."""

from __future__ import annotations

import pytest

from kunde.contacts.models import Person
from kunde.contacts.services import person_update
from kunde.core.testing.api import client_for
from kunde.dedupe.detection import duplicates_scan
from kunde.dedupe.models import DuplicateCandidate, Kind, MergeRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(twins) -> DuplicateCandidate:
    duplicates_scan(Kind.PERSON)
    return DuplicateCandidate.objects.get(person_a=twins.survivor, person_b=twins.loser)


def merge_body(twins, **overrides):
    return {"kind": "person", "survivor": twins.survivor.pk, "loser": twins.loser.pk,
            "survivor_version": twins.survivor.version, "loser_version": twins.loser.version,
            "fields": {"title": "loser"}, **overrides}


def test_queue_lists_candidates_with_reasons(world, twins, candidate):
    body = client_for(world, "owner").get("/duplicates/candidates", {"kind": "person"}).json()
    assert [item["id"] for item in body["items"]] == [candidate.pk]
    item = body["items"][0]
    assert (item["first"], item["second"], item["status"]) == (twins.survivor.pk, twins.loser.pk, "open")
    assert {"code": "same_email", "value": None, "text": "same e-mail"} in item["reasons"]
    assert item["score"] == candidate.score
    assert client_for(world, "owner").get("/duplicates/candidates", {"kind": "organisation"}).json()["items"] == []
    assert client_for(world, "owner").get("/duplicates/candidates", {"kind": "robot"}).status_code == 422


def test_merge_and_undo_over_the_api(world, twins, candidate):
    client = client_for(world, "manager")
    response = client.post("/duplicates/merge", merge_body(twins))
    assert response.status_code == 201, response.json()
    merged = response.json()
    assert (merged["survivor"], merged["loser"], merged["status"], merged["candidate"]) == (
        twins.survivor.pk, twins.loser.pk, "done", candidate.pk)
    assert merged["field_choices"]["title"] == "loser"
    assert merged["removed"] == {"audience.segmentmember": 1, "contacts.emailaddress": 1, "contacts.person_tags": 1}
    assert Person.objects.get(pk=twins.survivor.pk).title == "Dr."
    assert not Person.objects.filter(pk=twins.loser.pk).exists()
    assert client.get(f"/duplicates/candidates/{candidate.pk}").status_code == 404  # the loser is deleted
    assert client.get("/duplicates/merges").json()[0]["id"] == merged["id"]
    undone = client.post(f"/duplicates/merges/{merged['id']}/undo")
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    assert Person.objects.get(pk=twins.loser.pk).title == "Dr."
    assert Person.objects.get(pk=twins.survivor.pk).title == ""
    again = client.post(f"/duplicates/merges/{merged['id']}/undo")
    assert again.status_code == 409
    assert again.json()["detail"] == "This merge has already been undone."


def test_undo_after_a_later_change_is_refused_with_the_reason(world, twins):
    client = client_for(world, "manager")
    merged = client.post("/duplicates/merge", merge_body(twins)).json()
    survivor = Person.objects.get(pk=twins.survivor.pk)
    person_update(actor=world.manager, person=survivor, expected_version=survivor.version, changes={"title": "Prof."})
    response = client.post(f"/duplicates/merges/{merged['id']}/undo")
    assert response.status_code == 409
    assert "changed after the merge" in response.json()["detail"]
    assert not Person.objects.filter(pk=twins.loser.pk).exists()


@pytest.mark.parametrize(("overrides", "status", "errors"), [
    ({"loser": "survivor"}, 422, [(["body", "loser"], "A record cannot be merged with itself.")]),
    ({"fields": {"shoe_size": "loser"}}, 422, [(["body", "fields", "shoe_size"],
                                                "This field cannot be chosen in a merge.")]),
    ({"fields": {"title": "both"}}, 422, [(["body", "fields", "title"], "Choose one of: survivor, loser.")]),
    ({"fields": {"title": "mine"}}, 422, None),
    ({"loser_version": "stale"}, 412, []),
    ({"kind": "organisation"}, 404, []),
    ({"loser": 999999}, 404, []),
])
def test_bad_merge_requests_change_nothing(world, twins, overrides, status, errors):
    if overrides.get("loser") == "survivor":
        overrides = {"loser": twins.survivor.pk}
    if overrides.get("loser_version") == "stale":
        overrides = {"loser_version": twins.loser.version + 1}
    response = client_for(world, "manager").post("/duplicates/merge", merge_body(twins, **overrides))
    assert response.status_code == status, response.json()
    body = response.json()
    if errors is not None:
        assert [(e["path"], e["message"]) for e in body["errors"]] == errors
    else:
        assert body["errors"][0]["path"] == ["body", "fields", "title"]
    if status == 412:
        assert "version" in body["detail"]
    assert not MergeRecord.objects.exists()
    assert Person.objects.filter(pk=twins.loser.pk).exists()


def test_dismiss_over_the_api(world, twins, candidate):
    response = client_for(world, "owner").post(f"/duplicates/candidates/{candidate.pk}/dismiss")
    assert response.status_code == 200 and response.json()["status"] == "dismissed"
    assert client_for(world, "owner").get("/duplicates/candidates").json()["items"] == []
    listed = client_for(world, "owner").get("/duplicates/candidates", {"status": "dismissed"}).json()["items"]
    assert [item["id"] for item in listed] == [candidate.pk]
