"""The customer history is written by the activities service and nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kunde.activities.models import Activity
from kunde.activities.selectors import key_figures, mood_trend, task_list, timeline_page
from kunde.activities.services import activity_update, contact_log, task_complete, task_create
from kunde.contacts.services import employment_update, organisation_create
from kunde.core.exceptions import ConflictError, PermissionDenied
from kunde.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_contact_on_a_person_lands_on_both_timelines(world):
    """A call with a person also appears on their current organisation's timeline."""
    call = contact_log(actor=world.owner, person=world.person, channel="phone", direction="in",
                       subject="Angebot Schreibtische", mood=4, duration_minutes=12)
    assert call.organisation == world.organisation
    assert [a.pk for a in timeline_page(world.owner, world.person).items] == [call.pk]
    assert [a.pk for a in timeline_page(world.owner, world.organisation).items] == [call.pk]
    assert AuditEntry.objects.filter(object_type="activities.activity", object_id=str(call.pk),
                                     action="create", actor=world.owner).count() == 1


def test_ended_employment_does_not_pull_new_contacts(world):
    employment = world.person.employments.get()
    employment_update(actor=world.owner, employment=employment,
                      changes={"end_date": timezone.localdate() - dt.timedelta(days=1)})
    call = contact_log(actor=world.owner, person=world.person, channel="phone", subject="Privat")
    assert call.organisation is None


def test_mood_outside_the_scale_is_refused(world):
    before = Activity.objects.count()
    with pytest.raises(ValidationError) as raised:
        contact_log(actor=world.owner, person=world.person, channel="chat", subject="x", mood=6)
    assert "mood" in raised.value.message_dict
    with pytest.raises(ValidationError):
        contact_log(actor=world.owner, person=world.person, channel="", subject="x")
    assert Activity.objects.count() == before


def test_other_team_and_read_only_cannot_write_history(world):
    before = Activity.objects.count()
    for user in (world.other_team, world.read_only):
        with pytest.raises(PermissionDenied):
            contact_log(actor=user, person=world.person, channel="phone", subject="nope")
    assert Activity.objects.count() == before


def test_timeline_pages_newest_first_without_gaps(world):
    now = timezone.now()
    created = [
        contact_log(actor=world.owner, person=world.person, channel="email", subject=f"Mail {i}",
                    occurred_at=now - dt.timedelta(hours=i))
        for i in range(7)
    ]
    first = timeline_page(world.owner, world.person, size=3)
    second = timeline_page(world.owner, world.person, size=3, cursor=first.next_cursor)
    third = timeline_page(world.owner, world.person, size=3, cursor=second.next_cursor)
    seen = [a.pk for page in (first, second, third) for a in page.items]
    assert seen == [a.pk for a in created]
    assert third.next_cursor is None
    back = timeline_page(world.owner, world.person, size=3, cursor=second.previous_cursor)
    assert [a.pk for a in back.items] == [a.pk for a in first.items]


def test_key_figures_and_mood_trend(world):
    now = timezone.now()
    contact_log(actor=world.owner, person=world.person, channel="phone", subject="a", mood=2,
                occurred_at=now - dt.timedelta(days=40))
    contact_log(actor=world.owner, person=world.person, channel="phone", subject="b", mood=4, occurred_at=now)
    contact_log(actor=world.owner, person=world.person, channel="meeting", subject="c", occurred_at=now)
    task_create(actor=world.owner, person=world.person, subject="Rückruf", due_at=now - dt.timedelta(days=1))
    figures = key_figures(world.owner, world.person)
    assert figures.contact_count == 3
    assert figures.by_channel == [("phone", 2), ("meeting", 1)]
    assert figures.average_mood == 3.0
    assert (figures.open_tasks, figures.overdue_tasks) == (1, 1)
    trend = mood_trend(world.owner, world.person)
    assert [p.average for p in trend] == [2.0, 4.0]


def test_task_complete_and_my_tasks(world):
    task = task_create(actor=world.owner, organisation=world.organisation, subject="Angebot nachfassen",
                       due_at=timezone.now() + dt.timedelta(days=2))
    assert list(task_list(world.owner, assignee=world.owner)) == [task]
    task_complete(actor=world.owner, task=task)
    assert list(task_list(world.owner, assignee=world.owner)) == []
    task.refresh_from_db()
    assert task.done_at is not None and task.version == 2


def test_task_needs_a_due_date(world):
    with pytest.raises(ValidationError):
        task_create(actor=world.owner, person=world.person, subject="x", due_at=None)


def test_activity_update_checks_version(world):
    call = contact_log(actor=world.owner, person=world.person, channel="phone", subject="Erstgespräch")
    activity_update(actor=world.owner, activity=call, expected_version=1, changes={"mood": 5})
    with pytest.raises(ConflictError):
        activity_update(actor=world.owner, activity=call, expected_version=1, changes={"mood": 1})
    call.refresh_from_db()
    assert call.mood == 5


def test_other_team_does_not_see_the_history(world):
    contact_log(actor=world.owner, person=world.person, channel="phone", subject="vertraulich")
    assert timeline_page(world.other_team, world.person).items == []
    assert key_figures(world.other_team, world.person).contact_count == 0


def test_organisation_only_entry(world):
    other = organisation_create(actor=world.owner, name="Topp Desk", legal_form="AG")
    visit = contact_log(actor=world.owner, organisation=other, channel="meeting", subject="Messe")
    assert visit.person is None
    assert [a.pk for a in timeline_page(world.owner, other).items] == [visit.pk]


def test_assignee_may_complete_a_task_on_a_customer_they_only_see(world):
    """A teammate assigned a task on the owner's customer can tick it off, not edit it."""
    task = task_create(actor=world.owner, person=world.person, subject="Rückruf", assignee=world.teammate,
                       due_at=timezone.now())
    task_complete(actor=world.teammate, task=task)
    task.refresh_from_db()
    assert task.done_at is not None
    with pytest.raises(PermissionDenied):
        activity_update(actor=world.teammate, activity=task, expected_version=None, changes={"subject": "x"})
    with pytest.raises(PermissionDenied):
        task_complete(actor=world.read_only, task=task, done=False)
    task.refresh_from_db()
    assert task.done_at is not None
