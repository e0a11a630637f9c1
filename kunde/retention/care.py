"""Personal care: follow-up tasks for the owners of a plan's customers, once per interval.

A customer gets a task when nobody on staff called, met or video-called them within the
cadence's interval and the cadence has not already given them a task in it; held-out
customers never do. Running twice on the same day creates nothing new.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from kunde.contacts.models import Person
from kunde.retention.models import CareCadence, PlanStatus


def _personal_contacts_since(since: dt.datetime) -> QuerySet[Any]:
    from kunde.activities.models import Activity
    from kunde.retention.derived import PERSONAL_CHANNELS

    return Activity.objects.filter(kind="contact", channel__in=PERSONAL_CHANNELS, created_by__isnull=False,
                                   occurred_at__gte=since)


def due_people(cadence: CareCadence, now: dt.datetime | None = None) -> QuerySet[Person]:
    """The plan's reachable people with an owner, no recent personal contact and no task from this cadence."""
    from kunde.activities.models import Activity
    from kunde.retention.selectors import reachable_people

    now = now or timezone.now()
    since = now - dt.timedelta(days=cadence.every_days)
    content_type = ContentType.objects.get_for_model(CareCadence)
    contacted = _personal_contacts_since(since).filter(person=OuterRef("pk"))
    tasked = Activity.objects.filter(kind="task", related_type=content_type, related_id=str(cadence.pk),
                                     person=OuterRef("pk"), created_at__gte=since)
    return (reachable_people(cadence.plan).filter(owner__isnull=False, owner__is_active=True)
            .filter(~Exists(contacted), ~Exists(tasked)).select_related("owner").order_by("pk"))


def care_cadence_run(cadence: CareCadence, now: dt.datetime | None = None) -> int:
    """Create the follow-up tasks that are due for one cadence; returns how many."""
    from kunde.activities.services import task_create
    from kunde.core.events import emit_on_commit
    from kunde.retention.services import RetentionEvent

    plan = cadence.plan
    if not cadence.is_active or plan.status != PlanStatus.ACTIVE or plan.deleted_at is not None:
        return 0
    now = now or timezone.now()
    created = 0
    for person in due_people(cadence, now).iterator(chunk_size=500):
        task = task_create(actor=None, subject=cadence.task_subject, due_at=now + dt.timedelta(days=cadence.due_days),
                           assignee=person.owner, person=person, related=cadence,
                           data={"plan": plan.pk, "care_cadence": cadence.pk})
        emit_on_commit(RetentionEvent.CARE_TASK_CREATED, id=task.pk, plan_id=plan.pk, person_id=person.pk)
        created += 1
    CareCadence.objects.filter(pk=cadence.pk).update(last_run_at=now)
    return created


def run_all(now: dt.datetime | None = None) -> dict[str, int]:
    """Every active cadence of every active plan."""
    cadences = CareCadence.objects.filter(is_active=True, plan__status=PlanStatus.ACTIVE,
                                          plan__deleted_at__isnull=True).select_related("plan", "plan__segment")
    return {str(cadence.pk): care_cadence_run(cadence, now) for cadence in cadences}
