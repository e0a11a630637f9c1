"""Personal-care cadences: one task per customer and interval, none after a recent personal contact."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kunde.activities.models import Activity
from kunde.activities.services import contact_log
from kunde.core.jobs import get_job
from kunde.core.testing.factories import make_person
from kunde.retention import care
from kunde.retention.selectors import in_holdout
from kunde.retention.services import care_cadence_create
from kunde.retention.tests.factories import fixed_segment, make_plan

pytestmark = pytest.mark.django_db


def tasks(cadence):
    return Activity.objects.filter(kind="task", related_id=str(cadence.pk))


def test_owners_get_one_follow_up_per_interval_unless_they_met_the_customer(world):
    called = make_person(world.owner, last_name="Angerufen")
    mailed = make_person(world.owner, last_name="Angeschrieben")
    quiet = make_person(world.owner, last_name="Still")
    orphan = make_person(None, last_name="Ohne Betreuer")
    plan = make_plan(world.owner, fixed_segment(world.owner, [called, mailed, quiet, orphan]), status="active")
    cadence = care_cadence_create(actor=world.owner, plan=plan, name="Quartal", every_days=90,
                                  task_subject="Quartalsgespräch", due_days=7)
    contact_log(actor=world.owner, channel="meeting", subject="Depotgespräch", person=called,
                occurred_at=timezone.now() - dt.timedelta(days=30))
    contact_log(actor=world.owner, channel="email", subject="Newsletter", person=mailed)
    assert care.care_cadence_run(cadence) == 2
    created = {task.person.last_name: task for task in tasks(cadence).select_related("person", "assignee")}
    assert set(created) == {"Angeschrieben", "Still"}
    task = created["Still"]
    assert task.assignee == world.owner and task.subject == "Quartalsgespräch" and task.done_at is None
    assert task.due_at.date() == (timezone.now() + dt.timedelta(days=7)).date()
    # The job is idempotent: the same day, and weeks later within the interval, nothing new.
    assert care.care_cadence_run(cadence) == 0
    assert care.care_cadence_run(cadence, now=timezone.now() + dt.timedelta(days=50)) == 0
    # After the interval the owners are reminded again, except where a contact happened.
    later = timezone.now() + dt.timedelta(days=95)
    contact_log(actor=world.owner, channel="phone", subject="Anruf", person=quiet, occurred_at=later)
    assert care.care_cadence_run(cadence, now=later + dt.timedelta(hours=1)) == 2  # Angerufen, Angeschrieben
    assert tasks(cadence).count() == 4


def test_held_out_customers_and_inactive_plans_get_no_care(world):
    people = [make_person(world.owner, last_name=f"P{i}") for i in range(12)]
    plan = make_plan(world.owner, fixed_segment(world.owner, people), holdout_percent=50)
    cadence = care_cadence_create(actor=world.owner, plan=plan, name="Pflege", every_days=30, task_subject="Anrufen")
    assert care.care_cadence_run(cadence) == 0  # a draft plan does not act
    plan.status = "active"
    plan.save()
    cadence.refresh_from_db()
    created = care.care_cadence_run(cadence)
    held = {p.pk for p in people if in_holdout(plan, p)}
    assert created == 12 - len(held)
    assert not tasks(cadence).filter(person_id__in=held).exists()


def test_the_daily_job_is_registered():
    job = get_job("retention.care_cadences")
    assert job.every == dt.timedelta(days=1)
    assert get_job("retention.plan_figures").every == dt.timedelta(hours=1)
