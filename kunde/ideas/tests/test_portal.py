"""The ideas section of the customer portal: sign-in required, submit, vote once, unvote, privacy, limits."""

from __future__ import annotations

import pytest
from django.test import Client

from kunde.activities.models import Activity
from kunde.ideas.models import Idea, Vote
from kunde.ideas.services import SUBMISSIONS_PER_DAY, idea_submit, idea_update
from kunde.ideas.tests.conftest import portal_client

pytestmark = pytest.mark.django_db


def test_portal_pages_redirect_to_the_portal_login_without_a_session(world, catalogue, anna):
    idea = idea_submit(actor=world.owner, title="Kabelkanal", person=anna)
    client = Client()
    for response in (client.get("/portal/ideas/"), client.get("/portal/ideas/new/"),
                     client.post("/portal/ideas/new/", {"title": "x"}),
                     client.get(f"/portal/ideas/{idea.pk}/"), client.post(f"/portal/ideas/{idea.pk}/vote/")):
        assert response.status_code == 302
        assert response["Location"] == "/portal/login/"
    assert Idea.objects.count() == 1
    assert Vote.objects.filter(idea=idea).count() == 1  # only the submitter's own vote


def test_a_staff_login_does_not_open_the_portal(world):
    client = Client()
    client.force_login(world.admin)
    assert client.get("/portal/ideas/")["Location"] == "/portal/login/"


def test_a_portal_submission_reaches_staff_with_the_submitter_linked_and_on_the_timeline(world, catalogue, anna):
    client = portal_client(anna)
    response = client.post("/portal/ideas/new/", {"title": "Kabelkanal unter dem Tisch",
                                                  "description": "Damit die Kabel nicht hängen.",
                                                  "product": catalogue["desk"].pk})
    idea = Idea.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/portal/ideas/{idea.pk}/"
    assert (idea.source, idea.submitted_by, idea.product, idea.category.key) == (
        "portal", anna, catalogue["desk"], "desks")
    assert idea.vote_count == 1 and Vote.objects.get(idea=idea).person == anna
    entry = Activity.objects.get(kind="ideas.idea_submitted")
    assert entry.person == anna and entry.subject == "Idea submitted: Kabelkanal unter dem Tisch"

    staff = Client()
    staff.force_login(world.other_team)  # ideas are company-wide: another team sees the idea too
    page = staff.get("/ideas/").content.decode()
    assert "Kabelkanal unter dem Tisch" in page
    owner = Client()
    owner.force_login(world.owner)
    detail = owner.get(f"/ideas/{idea.pk}/").content.decode()
    assert "Anna Schmidt" in detail and "Damit die Kabel nicht hängen." in detail


def test_vote_counts_once_also_when_clicked_twice_and_can_be_taken_back(world, catalogue, anna, bernd):
    idea = idea_submit(actor=None, title="Memory-Funktion", person=anna, source="portal")
    client = portal_client(bernd)
    client.post(f"/portal/ideas/{idea.pk}/vote/")
    client.post(f"/portal/ideas/{idea.pk}/vote/")  # the double click
    idea.refresh_from_db()
    assert idea.vote_count == 2
    assert Vote.objects.filter(idea=idea, person=bernd).count() == 1
    assert 'data-testid="unvote"' in client.get(f"/portal/ideas/{idea.pk}/").content.decode()

    client.post(f"/portal/ideas/{idea.pk}/vote/", {"unvote": "1"})
    client.post(f"/portal/ideas/{idea.pk}/vote/", {"unvote": "1"})
    idea.refresh_from_db()
    assert idea.vote_count == 1
    assert not Vote.objects.filter(idea=idea, person=bernd).exists()


def test_voting_needs_the_csrf_token(world, anna, bernd):
    idea = idea_submit(actor=None, title="Memory-Funktion", person=anna, source="portal")
    client = portal_client(bernd, enforce_csrf_checks=True)
    assert client.post(f"/portal/ideas/{idea.pk}/vote/").status_code == 403
    assert Idea.objects.get(pk=idea.pk).vote_count == 1


def test_another_customer_cannot_see_a_private_idea_but_the_submitter_can(world, anna, bernd):
    private = idea_submit(actor=None, title="Sonderanfertigung für uns", person=anna, source="portal")
    idea_update(actor=world.admin, idea=private, changes={"is_public": False}, expected_version=None)
    public = idea_submit(actor=None, title="Öffentliche Idee", person=anna, source="portal")

    other = portal_client(bernd)
    assert other.get(f"/portal/ideas/{private.pk}/").status_code == 404
    assert other.post(f"/portal/ideas/{private.pk}/vote/").status_code == 404
    listing = other.get("/portal/ideas/").content.decode()
    assert "Öffentliche Idee" in listing and "Sonderanfertigung" not in listing
    assert Idea.objects.get(pk=private.pk).vote_count == 1

    own = portal_client(anna)
    assert own.get(f"/portal/ideas/{private.pk}/").status_code == 200
    assert "Sonderanfertigung für uns" in own.get("/portal/ideas/").content.decode()
    assert public.pk != private.pk


def test_status_and_staff_answer_show_in_the_portal_and_filters_work(world, catalogue, anna):
    desk_idea = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal", product=catalogue["desk"])
    idea_submit(actor=None, title="Armlehnen", person=anna, source="portal", product=catalogue["chair"])
    idea_update(actor=world.manager, idea=desk_idea, changes={"status": "planned",
                                                             "status_note": "Kommt im Frühjahr."},
                expected_version=None)
    client = portal_client(anna)
    page = client.get(f"/portal/ideas/{desk_idea.pk}/").content.decode()
    assert "Planned" in page and "Kommt im Frühjahr." in page
    by_product = client.get("/portal/ideas/", {"product": catalogue["chair"].pk}).content.decode()
    assert "Armlehnen" in by_product and "Kabelkanal" not in by_product
    by_status = client.get("/portal/ideas/", {"status": "planned"}).content.decode()
    assert "Kabelkanal" in by_status and "Armlehnen" not in by_status


def test_portal_sorts_by_votes_or_newest(world, anna, bernd):
    older = idea_submit(actor=None, title="Ältere Idee mit Stimmen", person=anna, source="portal")
    idea_submit(actor=None, title="Neueste Idee", person=anna, source="portal")
    portal_client(bernd).post(f"/portal/ideas/{older.pk}/vote/")
    client = portal_client(anna)
    by_votes = client.get("/portal/ideas/").content.decode()
    assert by_votes.index("Ältere Idee") < by_votes.index("Neueste Idee")
    newest = client.get("/portal/ideas/", {"sort": "newest"}).content.decode()
    assert newest.index("Neueste Idee") < newest.index("Ältere Idee")


def test_submissions_are_limited_per_day_with_a_clear_message_and_the_text_kept(world, anna):
    for number in range(SUBMISSIONS_PER_DAY):
        idea_submit(actor=None, title=f"Idee {number}", person=anna, source="portal")
    response = portal_client(anna).post("/portal/ideas/new/", {"title": "Noch eine", "description": "Mein Text"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"You have submitted {SUBMISSIONS_PER_DAY} ideas in the last 24 hours" in page
    assert "Mein Text" in page
    assert Idea.objects.count() == SUBMISSIONS_PER_DAY


def test_bad_portal_input_is_refused_and_nothing_is_stored(world, catalogue, anna):
    client = portal_client(anna)
    empty = client.post("/portal/ideas/new/", {"title": "", "description": "Nur Text"})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    retired = client.post("/portal/ideas/new/", {"title": "Alt", "product": catalogue["retired"].pk})
    assert "Select a valid choice" in retired.content.decode()
    assert not Idea.objects.exists()


def test_user_text_is_escaped_never_rendered_as_html(world, anna):
    idea_submit(actor=None, title="<script>alert(1)</script>", description="<b>fett</b>", person=anna,
                source="portal")
    page = portal_client(anna).get("/portal/ideas/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_portal_start_page_card_lists_own_ideas_and_the_most_wanted(world, anna, bernd):
    idea_submit(actor=None, title="Meine Idee", person=anna, source="portal")
    idea_submit(actor=None, title="Beliebte Idee", person=bernd, source="portal")
    page = portal_client(anna).get("/portal/").content.decode()
    card = page[page.index('data-portal-section="ideas"'):]
    assert card.index("Your ideas") < card.index("Meine Idee") < card.index("Most wanted")
    assert "Beliebte Idee" in card and "/portal/ideas/new/" in card


def test_a_merged_idea_takes_no_votes_and_points_to_the_survivor(world, anna, bernd):
    from kunde.ideas.services import idea_merge

    survivor = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal")
    duplicate = idea_submit(actor=None, title="Kabelführung", person=bernd, source="portal")
    idea_merge(actor=world.admin, duplicate=duplicate, survivor=survivor)
    bernd_client = portal_client(bernd)
    page = bernd_client.get(f"/portal/ideas/{duplicate.pk}/").content.decode()
    assert "merged with a similar one" in page and "Kabelkanal" in page
    assert "Kabelführung" not in portal_client(anna).get("/portal/ideas/").content.decode()
    response = bernd_client.post(f"/portal/ideas/{duplicate.pk}/vote/", follow=True)
    assert "This idea was merged into another one; vote there." in response.content.decode()
    assert not Vote.objects.filter(idea=duplicate).exists()
