"""The permission matrix of the duplicate queue, the merge and its undo, in the UI and the API.

A candidate is visible only to users who may see both records (otherwise 404, as if it did not
exist); dismissing needs the right to change both; merging also the right to delete the loser.
"""

from __future__ import annotations

import pytest

from kunde.accounts.models import Role
from kunde.contacts.models import Person
from kunde.core.testing.api import client_for
from kunde.core.testing.factories import make_person, make_user
from kunde.dedupe.detection import duplicates_scan
from kunde.dedupe.models import DuplicateCandidate, Kind, MergeRecord
from kunde.dedupe.services import record_merge

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]
SEES = {"read_only", "teammate", "owner", "manager", "admin"}
CHANGES = {"owner", "manager", "admin"}
MERGES = {"manager", "admin"}


@pytest.fixture
def candidate(twins) -> DuplicateCandidate:
    duplicates_scan(Kind.PERSON)
    return DuplicateCandidate.objects.get(person_a=twins.survivor, person_b=twins.loser)


def browser(client, world, who):
    if who != "anonymous":
        client.force_login(getattr(world, who))
    return client


# --- the web UI ------------------------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_queue_and_candidate_page_matrix(client, world, candidate, who):
    client = browser(client, world, who)
    queue = client.get("/duplicates/")
    page = client.get(f"/duplicates/{candidate.pk}/")
    if who == "anonymous":
        assert (queue.status_code, page.status_code) == (302, 302)
        return
    assert queue.status_code == 200
    listed = f"/duplicates/{candidate.pk}/" in queue.content.decode()
    assert listed is (who in SEES)
    assert page.status_code == (200 if who in SEES else 404)
    if who in SEES:
        has_button = ">Merge</button>" in page.content.decode()
        assert has_button is (who in MERGES)


@pytest.mark.parametrize("who", WHO)
def test_dismiss_page_matrix(client, world, candidate, who):
    response = browser(client, world, who).post(f"/duplicates/{candidate.pk}/dismiss/")
    expected = {"anonymous": 302, "other_team": 404}.get(who, 302 if who in CHANGES else 403)
    assert response.status_code == expected
    status = DuplicateCandidate.objects.get(pk=candidate.pk).status
    assert status == ("dismissed" if who in CHANGES else "open")


@pytest.mark.parametrize("who", WHO)
def test_merge_page_matrix(client, world, twins, candidate, who):
    data = {"survivor": twins.survivor.pk, "survivor_version": twins.survivor.version,
            "loser_version": twins.loser.version, "choice:title": "loser"}
    response = browser(client, world, who).post(f"/duplicates/{candidate.pk}/", data)
    expected = {"anonymous": 302, "other_team": 404}.get(who, 302 if who in MERGES else 403)
    assert response.status_code == expected
    assert Person.objects.filter(pk=twins.loser.pk).exists() is (who not in MERGES)
    if who in MERGES:
        merge = MergeRecord.objects.get()
        assert response["Location"] == f"/duplicates/merges/{merge.pk}/"


@pytest.mark.parametrize("who", WHO)
def test_merge_detail_and_undo_page_matrix(client, world, twins, who):
    merge = record_merge(actor=world.admin, survivor=twins.survivor, loser=twins.loser, survivor_version=None,
                         loser_version=None).merge
    client = browser(client, world, who)
    detail = client.get(f"/duplicates/merges/{merge.pk}/")
    undo = client.post(f"/duplicates/merges/{merge.pk}/undo/")
    if who == "anonymous":
        assert (detail.status_code, undo.status_code) == (302, 302)
    elif who not in SEES:
        assert (detail.status_code, undo.status_code) == (404, 404)
    else:
        assert detail.status_code == 200
        assert undo.status_code == (302 if who in MERGES else 403)
    assert MergeRecord.objects.get().status == ("undone" if who in MERGES else "done")


# --- the API ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", WHO)
def test_candidate_api_matrix(world, candidate, who):
    client = client_for(world, who)
    listed = client.get("/duplicates/candidates")
    single = client.get(f"/duplicates/candidates/{candidate.pk}")
    if who == "anonymous":
        assert (listed.status_code, single.status_code) == (401, 401)
        return
    ids = [item["id"] for item in listed.json()["items"]]
    assert ids == ([candidate.pk] if who in SEES else [])
    assert single.status_code == (200 if who in SEES else 404)
    dismissed = client.post(f"/duplicates/candidates/{candidate.pk}/dismiss")
    assert dismissed.status_code == (200 if who in CHANGES else 403 if who in SEES else 404)


@pytest.mark.parametrize("who", WHO)
def test_merge_api_matrix(world, twins, who):
    response = client_for(world, who).post("/duplicates/merge", {
        "kind": "person", "survivor": twins.survivor.pk, "loser": twins.loser.pk})
    expected = {"anonymous": 401, "other_team": 404}.get(who, 201 if who in MERGES else 403)
    assert response.status_code == expected
    assert Person.objects.filter(pk=twins.loser.pk).exists() is (expected != 201)


def test_read_tokens_may_not_merge(world, twins):
    response = client_for(world, "admin", scope="read").post("/duplicates/merge", {
        "kind": "person", "survivor": twins.survivor.pk, "loser": twins.loser.pk})
    assert response.status_code == 403
    assert Person.objects.filter(pk=twins.loser.pk).exists()


@pytest.mark.parametrize("who", WHO)
def test_undo_api_matrix(world, twins, who):
    merge = record_merge(actor=world.admin, survivor=twins.survivor, loser=twins.loser, survivor_version=None,
                         loser_version=None).merge
    client = client_for(world, who)
    seen = client.get(f"/duplicates/merges/{merge.pk}")
    undone = client.post(f"/duplicates/merges/{merge.pk}/undo")
    expected = {"anonymous": 401}.get(who, 200 if who in MERGES else 403 if who in SEES else 404)
    assert undone.status_code == expected
    assert seen.status_code == {"anonymous": 401}.get(who, 200 if who in SEES else 404)
    assert MergeRecord.objects.get().status == ("undone" if who in MERGES else "done")


def test_a_pair_half_outside_the_scope_is_invisible(world):
    """One record of the pair belongs to another team: the teammate sees neither the pair nor its page."""
    stranger = make_user(Role.MEMBER, team=world.team_b)
    mine = make_person(world.owner, first_name="Ida", last_name="Klein", emails=[{"email": "ida@klein.example"}])
    theirs = make_person(stranger, first_name="Ida", last_name="Klein", emails=[{"email": "ida@klein.example"}])
    duplicates_scan(Kind.PERSON)
    candidate = DuplicateCandidate.objects.get(person_a=mine, person_b=theirs)
    client = client_for(world, "teammate")
    assert client.get("/duplicates/candidates").json()["items"] == []
    assert client.get(f"/duplicates/candidates/{candidate.pk}").status_code == 404
    assert client.post("/duplicates/merge", {"kind": "person", "survivor": mine.pk,
                                             "loser": theirs.pk}).status_code == 404
    assert client_for(world, "admin").get(f"/duplicates/candidates/{candidate.pk}").status_code == 200


@pytest.mark.parametrize("who", WHO)
def test_data_quality_matrix(client, world, twins, who):
    """Everyone signed in gets the dashboard, counted over what they may see; the lists show only those records."""
    client = browser(client, world, who)
    dashboard = client.get("/data-quality/")
    listed = client.get("/data-quality/person_no_phone/")
    if who == "anonymous":
        assert (dashboard.status_code, listed.status_code) == (302, 302)
        return
    assert (dashboard.status_code, listed.status_code) == (200, 200)
    assert (f"/people/{twins.survivor.pk}/" in listed.content.decode()) is (who in SEES)
