"""The customer history: every contact, task, note and event of every app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.activities.choices import Channel, Direction, Kind, Mood
from kunde.contacts.models import Organisation, Person
from kunde.core.models import TimeStampedModel, VersionedModel
from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category


class ActivityQuerySet(ScopedQuerySet):
    def tasks(self) -> ActivityQuerySet:
        return self.filter(kind=Kind.TASK)

    def open_tasks(self) -> ActivityQuerySet:
        return self.filter(kind=Kind.TASK, done_at__isnull=True)

    def contacts(self) -> ActivityQuerySet:
        return self.filter(kind=Kind.CONTACT)


class Activity(TimeStampedModel, VersionedModel):
    """One entry of the customer history, written by `activity_record` and nothing else.

    `kind` says what it is (contact, task, note, or an app's event such as
    "sales.deal_won"); `data` carries that app's id-only details. An entry hangs on a
    person, an organisation, or both, and may point at a related record (a deal, a
    ticket) through `related`.
    """

    kind = models.CharField(_("kind"), max_length=60, default=Kind.CONTACT, db_index=True)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="activities",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="activities",
    )
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=10, blank=True, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=8, blank=True, choices=Direction.choices)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    # What the contact was about, e.g. a product category key ("rings"): segments and rules
    # ask "asked about X in the last N days" through it.
    topic = models.CharField(_("topic"), max_length=80, blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    mood = models.PositiveSmallIntegerField(_("customer's mood"), null=True, blank=True, choices=Mood.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    participant_people = models.ManyToManyField(
        Person, verbose_name=_("participants (people)"), blank=True, related_name="participations"
    )
    participant_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("participants (users)"), blank=True, related_name="+"
    )
    # Tasks and follow-ups.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assigned_activities",
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # A record of another app this entry is about (a deal, an order, a ticket).
    related_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    related_id = models.CharField(max_length=64, blank=True)
    related = GenericForeignKey("related_type", "related_id")
    data = models.JSONField(default=dict, blank=True)

    personal_data = {
        "subject": Category.FREE_TEXT, "notes": Category.FREE_TEXT, "outcome": Category.FREE_TEXT,
        "mood": Category.IDENTITY, "data": Category.FREE_TEXT,
    }

    objects = ActivityQuerySet.as_manager()
    scope_paths = ("person__", "organisation__")

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["person", "-occurred_at", "-id"], name="activity_person_timeline"),
            models.Index(fields=["organisation", "-occurred_at", "-id"], name="activity_org_timeline"),
            models.Index(fields=["assignee", "done_at", "due_at"], name="activity_task_queue"),
            models.Index(fields=["related_type", "related_id"], name="activity_related"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | Q(organisation__isnull=False),
                name="activity_has_customer",
            ),
            models.CheckConstraint(
                condition=Q(mood__isnull=True) | Q(mood__gte=1, mood__lte=5),
                name="activity_mood_range",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def clean(self) -> None:
        if self.person_id is None and self.organisation_id is None:
            raise ValidationError(_("A history entry needs a person or an organisation."))
        if self.kind == Kind.TASK and self.due_at is None:
            raise ValidationError({"due_at": _("A task needs a due date.")})

    @property
    def is_task(self) -> bool:
        return self.kind == Kind.TASK

    @property
    def is_overdue(self) -> bool:
        return self.is_task and self.done_at is None and self.due_at is not None and self.due_at < timezone.now()
