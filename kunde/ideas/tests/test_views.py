"""Staff pages of ideas: the list, the detail with triage, links and merge, new ideas, the 360° panel, demo."""

from __future__ import annotations

import pytest
from django.test import Client

from kunde.core.testing.factories import make_person
from kunde.ideas.demo import IDEAS, load_demo_ideas
from kunde.ideas.models import Idea, IdeaLink, Vote
from kunde.ideas.services import idea_submit
from kunde.mail.models import OutboundMessage

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_needs_a_login_and_shows_votes_and_linked_customers(world, catalogue, anna):
    idea = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal", product=catalogue["desk"])
    IdeaLink.objects.create(idea=idea, organisation=world.organisation)
    assert Client().get("/ideas/").status_code == 302
    page = _client(world.read_only).get("/ideas/")
    assert page.status_code == 200
    row = page.content.decode()
    assert "Kabelkanal" in row and "Schreibtisch 160" in row
    assert _client(world.owner).get("/ideas/", {"status": "planned"}).content.decode().count("Kabelkanal") == 0
    assert _client(world.owner).get("/ideas/", {"sort": "nonsense"}).status_code == 400


def test_triage_in_the_page_by_a_manager_and_refused_to_a_member(world, anna):
    idea = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal")
    form = {"status": "planned", "status_note": "Im Frühjahr.", "is_public": "on", "version": idea.version}
    member = _client(world.teammate)
    assert "Triage" not in member.get(f"/ideas/{idea.pk}/").content.decode()
    assert member.post(f"/ideas/{idea.pk}/triage/", form).status_code == 403
    assert Idea.objects.get(pk=idea.pk).status == "new"
    manager = _client(world.manager)
    response = manager.post(f"/ideas/{idea.pk}/triage/", form)
    assert response.status_code == 302
    assert Idea.objects.get(pk=idea.pk).status == "planned"
    assert OutboundMessage.objects.filter(purpose="ideas.status", to=["anna@example.org"]).count() == 1
    stale = manager.post(f"/ideas/{idea.pk}/triage/", {**form, "status": "done"})
    assert stale.status_code == 400 and "Someone else changed this idea meanwhile" in stale.content.decode()
    assert Idea.objects.get(pk=idea.pk).status == "planned"


def test_linking_a_customer_in_the_page(world, anna, bernd):
    idea = idea_submit(actor=world.owner, title="Kabelkanal")
    owner = _client(world.owner)
    refused = owner.post(f"/ideas/{idea.pk}/links/", {"person": bernd.pk})
    assert refused.status_code == 400 and not IdeaLink.objects.exists()
    assert owner.post(f"/ideas/{idea.pk}/links/", {"person": anna.pk, "note": "Messe"}).status_code == 302
    assert "Anna Schmidt" in owner.get(f"/ideas/{idea.pk}/").content.decode()
    assert "Anna Schmidt" not in _client(world.other_team).get(f"/ideas/{idea.pk}/").content.decode()
    assert _client(world.read_only).post(f"/ideas/{idea.pk}/links/", {"person": anna.pk}).status_code == 403
    link = IdeaLink.objects.get()
    assert _client(world.other_team).post(f"/ideas/{idea.pk}/links/{link.pk}/delete/").status_code == 404
    assert owner.post(f"/ideas/{idea.pk}/links/{link.pk}/delete/").status_code == 302
    assert not IdeaLink.objects.exists()


def test_merging_in_the_page(world, anna, bernd):
    survivor = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal")
    duplicate = idea_submit(actor=None, title="Kabelführung", person=bernd, source="portal")
    assert _client(world.teammate).post(f"/ideas/{duplicate.pk}/merge/",
                                        {"survivor": survivor.pk}).status_code == 403
    response = _client(world.admin).post(f"/ideas/{duplicate.pk}/merge/", {"survivor": survivor.pk})
    assert response.status_code == 302 and response["Location"] == f"/ideas/{survivor.pk}/"
    assert Idea.objects.get(pk=survivor.pk).vote_count == 2


def test_staff_enter_an_idea_for_a_customer(world, catalogue, anna):
    owner = _client(world.owner)
    assert owner.get("/ideas/new/").status_code == 200
    response = owner.post("/ideas/new/", {"title": "Am Telefon gehört", "person": anna.pk,
                                          "product": catalogue["chair"].pk, "is_public": "on"})
    idea = Idea.objects.get()
    assert response["Location"] == f"/ideas/{idea.pk}/"
    assert (idea.source, idea.submitted_by, idea.owner, idea.vote_count) == ("staff", anna, world.owner, 1)
    assert _client(world.read_only).post("/ideas/new/", {"title": "x"}).status_code == 403
    assert Idea.objects.count() == 1


def test_the_person_page_shows_the_ideas_panel(world, anna, bernd):
    submitted = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal")
    voted = idea_submit(actor=None, title="Armlehnen", person=bernd, source="portal")
    Vote.objects.create(idea=voted, person=anna)
    page = _client(world.owner).get(anna.get_absolute_url()).content.decode()
    assert 'id="customer-ideas"' in page
    assert "Kabelkanal" in page and "Armlehnen" in page and "submitted" in page and "voted" in page
    assert submitted.pk != voted.pk


def test_demo_ideas_are_deterministic_and_idempotent(world):
    for number in range(3):
        make_person(world.owner, last_name=f"Demo{number}", emails=[{"email": f"demo{number}@example.org"}])
    assert load_demo_ideas(actor=world.manager) == len(IDEAS)
    first = sorted(Idea.objects.values_list("title", "status", "vote_count"))
    assert load_demo_ideas(actor=world.manager) == 0
    assert sorted(Idea.objects.values_list("title", "status", "vote_count")) == first
    assert Idea.objects.filter(status="planned").count() == 1
    assert not OutboundMessage.objects.filter(purpose="ideas.status").exists()


def test_the_organisation_page_shows_ideas_linked_to_it_or_from_its_people(world):
    linked = idea_submit(actor=world.owner, title="Rahmenvertrag für Zubehör")
    IdeaLink.objects.create(idea=linked, organisation=world.organisation, linked_by=world.owner)
    idea_submit(actor=None, title="Von Herrn Müller", person=world.person, source="portal")
    page = _client(world.owner).get(world.organisation.get_absolute_url()).content.decode()
    assert "Rahmenvertrag für Zubehör" in page and "Von Herrn Müller" in page
    other = idea_submit(actor=world.owner, title="Ohne Bezug")
    assert other.title not in page


def test_the_lists_linked_count_covers_only_customers_the_user_may_see(world):
    from kunde.ideas.selectors import idea_page

    idea = idea_submit(actor=world.owner, title="Kabelkanal")
    IdeaLink.objects.create(idea=idea, organisation=world.organisation, linked_by=world.owner)
    counts = {who: idea_page(getattr(world, who), {})[0].items[0].linked_count for who in ("owner", "other_team")}
    assert counts == {"owner": 1, "other_team": 0}
