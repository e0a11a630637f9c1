"""The activities service: the one writer of the customer history.

Every app records its entries through `activity_record` from its own services, so the
timeline is written once and never rebuilt at read time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.choices import Kind
from kunde.activities.models import Activity
from kunde.contacts.models import Employment, Organisation, Person
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.exceptions import PermissionDenied
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, user_can
from kunde.core.services import record_update, require_permission, validate


class ActivityEvent:
    RECORDED = "activities.activity_recorded"
    UPDATED = "activities.activity_updated"
    TASK_COMPLETED = "activities.task_completed"


def _primary_organisation(person: Person) -> Organisation | None:
    """The organisation a contact with `person` also belongs to: their current primary link."""
    employment = (
        Employment.objects.current()
        .filter(person=person, organisation__deleted_at__isnull=True)
        .select_related("organisation")
        .order_by("-is_primary_contact", "-start_date", "id")
        .first()
    )
    return employment.organisation if employment else None


def _check_customer_access(actor: User | None, person: Person | None, organisation: Organisation | None) -> None:
    if actor is None:
        return
    # Writing history on a customer is a change of that customer.
    for record in (person, organisation):
        if record is not None and user_can(actor, Action.CHANGE, record):
            return
    raise PermissionDenied("may not record history for this customer")


@transaction.atomic
def activity_record(
    *,
    actor: User | None,
    subject: str,
    kind: str = Kind.CONTACT,
    person: Person | None = None,
    organisation: Organisation | None = None,
    occurred_at: dt.datetime | None = None,
    channel: str = "",
    direction: str = "",
    duration_minutes: int | None = None,
    notes: str = "",
    outcome: str = "",
    mood: int | None = None,
    topic: str = "",
    participant_people: Iterable[Person] = (),
    participant_users: Iterable[User] = (),
    due_at: dt.datetime | None = None,
    assignee: User | None = None,
    related: models.Model | None = None,
    data: Mapping[str, Any] | None = None,
) -> Activity:
    """Write one history entry on a person and/or organisation.

    When only a person is given, the entry also lands on the timeline of their current
    primary organisation, so the organisation's 360° page shows its people's contacts.
    """
    _check_customer_access(actor, person, organisation)
    if organisation is None and person is not None:
        organisation = _primary_organisation(person)
    activity = Activity(
        kind=kind, person=person, organisation=organisation,
        occurred_at=occurred_at or timezone.now(), channel=channel, direction=direction,
        duration_minutes=duration_minutes, subject=subject.strip(), notes=notes, outcome=outcome,
        mood=mood, topic=topic.strip(), created_by=actor, due_at=due_at, assignee=assignee, data=dict(data or {}),
    )
    if related is not None:
        activity.related_type = ContentType.objects.get_for_model(related)
        activity.related_id = str(related.pk)
    validate(activity)
    activity.save()
    people = [p for p in participant_people if p != person]
    if people:
        _check_participants_visible(actor, people)
        activity.participant_people.set(people)
    if participant_users:
        activity.participant_users.set(list(participant_users))
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=activity, after=snapshot(activity))
    emit_on_commit(ActivityEvent.RECORDED, id=activity.pk, kind=kind)
    return activity


def _check_participants_visible(actor: User | None, people: list[Person]) -> None:
    if actor is None:
        return
    visible = set(Person.objects.for_user(actor).filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True))
    if len(visible) != len(people):
        raise ValidationError({"participant_people": [_("Unknown person.")]})


def contact_log(
    *,
    actor: User | None,
    channel: str,
    subject: str,
    person: Person | None = None,
    organisation: Organisation | None = None,
    **fields: Any,
) -> Activity:
    """Log a contact with a customer (a call, a meeting, an e-mail) with its mood."""
    if not channel:
        raise ValidationError({"channel": [_("Choose a channel.")]})
    return activity_record(
        actor=actor, kind=Kind.CONTACT, channel=channel, subject=subject,
        person=person, organisation=organisation, **fields,
    )


def task_create(
    *,
    actor: User | None,
    subject: str,
    due_at: dt.datetime,
    assignee: User | None = None,
    person: Person | None = None,
    organisation: Organisation | None = None,
    **fields: Any,
) -> Activity:
    """Create a task or follow-up on a customer's history, assigned to a user."""
    return activity_record(
        actor=actor, kind=Kind.TASK, subject=subject, due_at=due_at,
        assignee=assignee or actor, person=person, organisation=organisation, **fields,
    )


ACTIVITY_FIELDS = (
    "occurred_at", "channel", "direction", "duration_minutes", "subject", "topic", "notes", "outcome",
    "mood", "due_at", "assignee",
)


@transaction.atomic
def activity_update(
    *, actor: User | None, activity: Activity, expected_version: int | None, changes: Mapping[str, Any]
) -> Activity:
    """Correct a history entry (its customer and kind stay)."""
    unknown = set(changes) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    return record_update(
        actor=actor, instance=activity, changes=dict(changes), expected_version=expected_version,
        event=ActivityEvent.UPDATED,
    )


@transaction.atomic
def task_complete(*, actor: User | None, task: Activity, done: bool = True) -> Activity:
    """Mark a task done (or reopen it): its assignee may, as may anyone who may change it."""
    if task.kind != Kind.TASK:
        raise ValidationError({"kind": [_("Only tasks can be completed.")]})
    assignee_of_visible_task = (
        actor is not None and task.assignee_id == actor.pk and user_can(actor, Action.VIEW, task)
    )
    if actor is not None and not assignee_of_visible_task:
        require_permission(actor, Action.CHANGE, task)
    # The permission is settled above; record_update still audits under the actor's name.
    return _update_unchecked(actor, task, {"done_at": timezone.now() if done else None})


def _update_unchecked(actor: User | None, activity: Activity, changes: dict[str, Any]) -> Activity:
    return record_update(
        actor=actor, instance=activity, changes=changes, expected_version=None,
        event=ActivityEvent.TASK_COMPLETED, check_permission=False,
    )
