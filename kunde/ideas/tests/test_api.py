"""The ideas API: scoped reads, creates with 422 errors, triage rights, votes, links and merge."""

from __future__ import annotations

import pytest

from kunde.accounts.models import ApiToken
from kunde.core.testing.api import ApiClient, client_for
from kunde.ideas.models import Idea, Vote
from kunde.ideas.services import idea_link_customer, idea_submit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("read_only", 200), ("other_team", 200),
                                              ("teammate", 200), ("admin", 200)])
def test_every_staff_user_reads_ideas(world, anna, who, status):
    idea = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal")
    api = client_for(world, who)
    listed = api.get("/ideas")
    assert listed.status_code == status
    assert api.get(f"/ideas/{idea.pk}").status_code == status
    if status == 200:
        assert [row["title"] for row in listed.json()["items"]] == ["Kabelkanal"]
        assert listed.json()["items"][0]["submitted_by"] == anna.pk


def test_create_validates_and_refuses_what_the_user_cannot_see(world, catalogue, anna, bernd):
    api = client_for(world, "owner")
    bad = api.post("/ideas", {"title": "", "product": 999999, "person": bernd.pk})
    assert bad.status_code == 422
    assert {tuple(e["path"]) for e in bad.json()["errors"]} == {("body", "title")}
    unknown = api.post("/ideas", {"title": "Kabelkanal", "person": bernd.pk})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [{"path": ["body", "person"], "message": "Unknown person."}]
    product = api.post("/ideas", {"title": "Kabelkanal", "product": 999999})
    assert product.json()["errors"] == [{"path": ["body", "product"], "message": "Unknown product."}]
    extra = api.post("/ideas", {"title": "Kabelkanal", "votes": 100})
    assert extra.status_code == 422
    assert not Idea.objects.exists()

    created = api.post("/ideas", {"title": "Kabelkanal", "person": anna.pk, "product": catalogue["desk"].pk})
    assert created.status_code == 201
    body = created.json()
    assert (body["source"], body["vote_count"], body["owner"], body["submitted_by"]) == ("api", 1, world.owner.pk,
                                                                                        anna.pk)


def test_read_tokens_and_read_only_users_cannot_write(world, anna):
    idea = idea_submit(actor=world.owner, title="Kabelkanal")
    read_token = ApiClient(world.owner, scope=ApiToken.TokenScope.READ)
    assert read_token.post("/ideas", {"title": "x"}).status_code == 403
    reader = client_for(world, "read_only")
    assert reader.post("/ideas", {"title": "x"}).status_code == 403
    assert reader.post(f"/ideas/{idea.pk}/votes", {"person": anna.pk}).status_code == 403
    assert reader.post(f"/ideas/{idea.pk}/links", {"person": anna.pk}).status_code == 403
    assert reader.patch(f"/ideas/{idea.pk}", {"status": "done"}).status_code == 403
    assert Idea.objects.count() == 1 and not Vote.objects.exists()


def test_triage_rights_version_check_and_bad_status(world, anna):
    idea = idea_submit(actor=world.teammate, title="Kabelkanal", person=anna)
    assert client_for(world, "teammate").patch(f"/ideas/{idea.pk}", {"status": "planned"}).status_code == 403
    assert client_for(world, "other_team").patch(f"/ideas/{idea.pk}", {"status": "planned"}).status_code == 403
    manager = client_for(world, "manager")
    wrong = manager.patch(f"/ideas/{idea.pk}", {"status": "shipped"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["path"] == ["body", "status"]
    empty = manager.patch(f"/ideas/{idea.pk}", {"status": None})
    assert empty.status_code == 422
    ok = manager.patch(f"/ideas/{idea.pk}", {"status": "planned", "status_note": "Im Frühjahr", "version": 1},)
    assert ok.status_code == 200 and ok.json()["status"] == "planned" and ok.json()["version"] == 2
    stale = manager.patch(f"/ideas/{idea.pk}", {"status": "done"}, headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    assert Idea.objects.get(pk=idea.pk).status == "planned"


def test_votes_count_once_and_are_scoped(world, anna, bernd):
    idea = idea_submit(actor=None, title="Kabelkanal", person=bernd, source="portal")
    api = client_for(world, "owner")
    first = api.post(f"/ideas/{idea.pk}/votes", {"person": anna.pk})
    again = api.post(f"/ideas/{idea.pk}/votes", {"person": anna.pk})
    assert (first.json(), again.json()) == ({"added": True, "vote_count": 2}, {"added": False, "vote_count": 2})
    # Team A's owner sees Anna's vote, not Bernd's (team B); team B sees the other one.
    assert [v["person"] for v in api.get(f"/ideas/{idea.pk}/votes").json()] == [anna.pk]
    assert [v["person"] for v in client_for(world, "other_team").get(f"/ideas/{idea.pk}/votes").json()] == [bernd.pk]
    refused = api.post(f"/ideas/{idea.pk}/votes", {"person": bernd.pk})
    assert refused.status_code == 422 and refused.json()["errors"][0]["message"] == "Unknown person."
    assert api.delete(f"/ideas/{idea.pk}/votes/{anna.pk}").status_code == 204
    assert api.delete(f"/ideas/{idea.pk}/votes/{anna.pk}").status_code == 204
    assert Idea.objects.get(pk=idea.pk).vote_count == 1


def test_links_hide_customers_of_other_teams(world, anna):
    idea = idea_submit(actor=world.owner, title="Kabelkanal")
    api = client_for(world, "owner")
    created = api.post(f"/ideas/{idea.pk}/links", {"person": anna.pk, "note": "Am Telefon"})
    assert created.status_code == 201 and created.json()["linked_by"] == world.owner.pk
    both = api.post(f"/ideas/{idea.pk}/links", {"person": anna.pk, "organisation": world.organisation.pk})
    assert both.status_code == 422
    assert [link["person"] for link in api.get(f"/ideas/{idea.pk}/links").json()] == [anna.pk]
    other = client_for(world, "other_team")
    assert other.get(f"/ideas/{idea.pk}/links").json() == []
    link_id = created.json()["id"]
    assert other.delete(f"/ideas/{idea.pk}/links/{link_id}").status_code == 404
    assert api.delete(f"/ideas/{idea.pk}/links/{link_id}").status_code == 204


def test_merge_through_the_api(world, anna, bernd):
    survivor = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal")
    duplicate = idea_submit(actor=None, title="Kabelführung", person=bernd, source="portal")
    idea_link_customer(actor=None, idea=duplicate, person=anna)
    api = client_for(world, "manager")
    assert api.post(f"/ideas/{duplicate.pk}/merge", {"into": 999999}).status_code == 422
    assert client_for(world, "teammate").post(f"/ideas/{duplicate.pk}/merge",
                                              {"into": survivor.pk}).status_code == 403
    merged = api.post(f"/ideas/{duplicate.pk}/merge", {"into": survivor.pk})
    assert merged.status_code == 200 and merged.json()["id"] == survivor.pk and merged.json()["vote_count"] == 2
    assert api.get(f"/ideas/{duplicate.pk}").json()["merged_into"] == survivor.pk


def test_list_filters_and_sorts(world, catalogue, anna, bernd):
    desk = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal", product=catalogue["desk"])
    idea_submit(actor=None, title="Armlehnen", person=anna, source="portal", product=catalogue["chair"])
    api = client_for(world, "owner")
    api.post(f"/ideas/{desk.pk}/votes", {"person": make_voter(world).pk})
    rows = api.get("/ideas", {"sort": "-votes"}).json()["items"]
    assert [r["title"] for r in rows] == ["Kabelkanal", "Armlehnen"]
    assert [r["title"] for r in api.get("/ideas", {"product": catalogue["chair"].pk}).json()["items"]] == ["Armlehnen"]
    assert api.get("/ideas", {"status": "nonsense"}).status_code == 400
    assert api.get("/ideas", {"colour": "red"}).status_code == 400


def make_voter(world):
    from kunde.core.testing.factories import make_person

    return make_person(world.owner, last_name="Stimme")
