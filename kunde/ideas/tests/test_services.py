"""Idea services: triage rights, notifications once, history, events, links and merging without double votes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kunde.activities.models import Activity
from kunde.core import events
from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.testing.factories import make_person
from kunde.ideas.models import Idea, IdeaLink, Vote
from kunde.ideas.services import (
    idea_link_customer,
    idea_merge,
    idea_submit,
    idea_unvote,
    idea_update,
    idea_vote,
)
from kunde.mail.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded():
    seen: list[tuple[str, dict]] = []

    def handler(event_type: str, payload: dict) -> None:
        seen.append((event_type, payload))

    events.subscribe("*", handler)
    yield seen
    events.unsubscribe("*", handler)


def test_status_change_notifies_every_voter_once_and_lands_on_the_submitters_timeline(
        world, anna, bernd, django_capture_on_commit_callbacks, recorded):
    silent = make_person(world.owner, last_name="Ohne-Mail")
    idea = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal")
    idea_vote(actor=None, idea=idea, person=bernd)
    idea_vote(actor=None, idea=idea, person=silent)
    with django_capture_on_commit_callbacks(execute=True):
        idea = idea_update(actor=world.manager, idea=idea, expected_version=idea.version,
                           changes={"status": "planned", "status_note": "Kommt im Frühjahr."})
    mails = OutboundMessage.objects.filter(purpose="ideas.status")
    assert sorted(m.to[0] for m in mails) == ["anna@example.org", "bernd@example.org"]
    assert all("Kommt im Frühjahr." in m.text for m in mails)
    assert ("ideas.idea_status_changed", idea.pk, "planned", "new") in [
        (t, p["id"], p.get("status"), p.get("previous_status")) for t, p in recorded]
    entry = Activity.objects.get(kind="ideas.idea_status_changed")
    assert entry.person == anna and entry.notes == "Kommt im Frühjahr." and entry.data["by_user_id"] == world.manager.pk

    # Back and forth: planned again sends nothing new; done is news and sent once.
    idea = idea_update(actor=world.manager, idea=idea, changes={"status": "under_review"}, expected_version=None)
    idea = idea_update(actor=world.manager, idea=idea, changes={"status": "planned"}, expected_version=None)
    assert OutboundMessage.objects.filter(purpose="ideas.status").count() == 2
    idea_update(actor=world.manager, idea=idea, changes={"status": "done"}, expected_version=None)
    assert OutboundMessage.objects.filter(purpose="ideas.status").count() == 4
    assert Activity.objects.filter(kind="ideas.idea_status_changed", person=anna).count() == 4


def test_only_the_ideas_owner_managers_and_admins_triage(world, anna):
    idea = idea_submit(actor=world.teammate, title="Armlehnen", person=anna)
    assert idea.owner is None
    for user in (world.teammate, world.other_team, world.read_only):
        with pytest.raises(PermissionDenied):
            idea_update(actor=user, idea=idea, changes={"status": "declined"}, expected_version=None)
    assert Idea.objects.get(pk=idea.pk).status == "new"
    idea = idea_update(actor=world.admin, idea=idea, changes={"owner": world.teammate}, expected_version=None)
    idea = idea_update(actor=world.teammate, idea=idea, changes={"status": "under_review"}, expected_version=None)
    idea = idea_update(actor=world.manager, idea=idea, changes={"status": "planned"}, expected_version=None)
    assert idea.status == "planned"


def test_a_stale_triage_conflicts_and_changes_nothing(world, anna):
    idea = idea_submit(actor=world.owner, title="Armlehnen", person=anna)
    idea_update(actor=world.manager, idea=idea, changes={"status_note": "Prüfen wir."}, expected_version=1)
    with pytest.raises(ConflictError):
        idea_update(actor=world.admin, idea=idea, changes={"status": "declined"}, expected_version=1)
    assert Idea.objects.get(pk=idea.pk).status == "new"


def test_read_only_users_cannot_enter_ideas_votes_or_links(world, anna):
    idea = idea_submit(actor=world.owner, title="Armlehnen")
    with pytest.raises(PermissionDenied):
        idea_submit(actor=world.read_only, title="Nein")
    with pytest.raises(PermissionDenied):
        idea_vote(actor=world.read_only, idea=idea, person=anna)
    with pytest.raises(PermissionDenied):
        idea_link_customer(actor=world.read_only, idea=idea, person=anna)
    assert Idea.objects.count() == 1 and not Vote.objects.exists() and not IdeaLink.objects.exists()


def test_staff_may_link_and_vote_only_for_customers_they_can_see(world, anna, bernd):
    idea = idea_submit(actor=world.owner, title="Armlehnen")
    with pytest.raises(ValidationError) as error:
        idea_link_customer(actor=world.owner, idea=idea, person=bernd)  # team B's customer
    assert error.value.message_dict == {"customer": ["Unknown customer."]}
    with pytest.raises(ValidationError):
        idea_vote(actor=world.owner, idea=idea, person=bernd)
    link = idea_link_customer(actor=world.owner, idea=idea, organisation=world.organisation, note="Am Telefon")
    again = idea_link_customer(actor=world.owner, idea=idea, organisation=world.organisation)
    assert link.pk == again.pk and link.linked_by == world.owner
    with pytest.raises(ValidationError):
        idea_link_customer(actor=world.owner, idea=idea, person=anna, organisation=world.organisation)
    assert IdeaLink.objects.count() == 1


def test_merge_moves_votes_and_links_without_double_votes(world, anna, bernd, django_capture_on_commit_callbacks,
                                                          recorded):
    carla = make_person(world.owner, first_name="Carla", last_name="Klein")
    survivor = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal")
    duplicate = idea_submit(actor=None, title="Kabelführung", person=bernd, source="portal")
    idea_vote(actor=None, idea=duplicate, person=anna)   # voted for both: keeps one vote
    idea_vote(actor=None, idea=duplicate, person=carla)  # only the duplicate: the vote moves
    idea_link_customer(actor=world.admin, idea=survivor, organisation=world.organisation)
    idea_link_customer(actor=world.admin, idea=duplicate, organisation=world.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        survivor = idea_merge(actor=world.manager, duplicate=duplicate, survivor=survivor)
    assert sorted(Vote.objects.filter(idea=survivor).values_list("person__last_name", flat=True)) == [
        "Bauer", "Klein", "Schmidt"]
    assert survivor.vote_count == 3 and Idea.objects.get(pk=survivor.pk).vote_count == 3
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor and duplicate.vote_count == 0
    assert not Vote.objects.filter(idea=duplicate).exists()
    assert IdeaLink.objects.filter(idea=survivor, organisation=world.organisation).count() == 1
    assert IdeaLink.objects.filter(idea=survivor, person=bernd).exists()  # the duplicate's author
    assert Activity.objects.get(kind="ideas.idea_merged").person == bernd
    assert ("ideas.idea_merged", duplicate.pk) in [(t, p["id"]) for t, p in recorded]
    with pytest.raises(ValidationError):
        idea_merge(actor=world.manager, duplicate=duplicate, survivor=survivor)
    with pytest.raises(ValidationError):
        idea_merge(actor=world.manager, duplicate=survivor, survivor=survivor)


def test_members_may_not_merge_ideas_they_do_not_own(world, anna):
    first = idea_submit(actor=world.owner, title="A", person=anna)
    second = idea_submit(actor=world.owner, title="B", person=anna)
    with pytest.raises(PermissionDenied):
        idea_merge(actor=world.teammate, duplicate=second, survivor=first)
    assert Idea.objects.get(pk=second.pk).merged_into is None


def test_submission_emits_the_event_and_closed_ideas_take_no_votes(world, anna, bernd,
                                                                  django_capture_on_commit_callbacks, recorded):
    with django_capture_on_commit_callbacks(execute=True):
        idea = idea_submit(actor=None, title="Gravur", person=anna, source="portal")
    assert ("ideas.idea_submitted", idea.pk) in [(t, p["id"]) for t, p in recorded]
    idea = idea_update(actor=world.admin, idea=idea, changes={"status": "declined"}, expected_version=None)
    with pytest.raises(ValidationError):
        idea_vote(actor=None, idea=idea, person=bernd)
    assert idea_unvote(actor=None, idea=idea, person=anna) is True  # taking a vote back stays possible
    assert Idea.objects.get(pk=idea.pk).vote_count == 0


def test_staff_entry_without_a_person_and_bad_text(world, catalogue):
    idea = idea_submit(actor=world.owner, title="  Interne Idee  ", product=catalogue["retired"])
    assert (idea.title, idea.submitted_by, idea.vote_count, idea.source) == ("Interne Idee", None, 0, "staff")
    with pytest.raises(ValidationError) as error:
        idea_submit(actor=world.owner, title="   ")
    assert error.value.message_dict == {"title": ["Give the idea a short title."]}
    with pytest.raises(ValidationError):
        idea_submit(actor=None, title="Alt", person=None, source="portal")
    assert Idea.objects.count() == 1


def test_a_person_deleted_for_good_takes_their_vote_out_of_the_count(world, anna, bernd):
    idea = idea_submit(actor=None, title="Kabelkanal", person=anna, source="portal")
    idea_vote(actor=None, idea=idea, person=bernd)
    assert Idea.objects.get(pk=idea.pk).vote_count == 2
    type(bernd).all_objects.filter(pk=bernd.pk).delete()  # an erasure, past the vote services
    assert Idea.objects.get(pk=idea.pk).vote_count == Vote.objects.filter(idea=idea).count() == 1
