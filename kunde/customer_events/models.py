"""Models of customer events: series, events, invitations and registrations.

Series and events are owned records (owner/team decide who sees them); invitations and
registrations belong to a person and are seen through that person, like the rest of a
customer's history.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Person
from kunde.core.models import OwnedRecord, TimeStampedModel
from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category


class EventKind(models.TextChoices):
    WEBINAR = "webinar", _("Webinar")
    TRADE_FAIR = "trade_fair", _("Trade fair")
    CUSTOMER_EVENT = "customer_event", _("Customer event")
    CULTURAL = "cultural", _("Cultural invitation")
    SPORTS = "sports", _("Sports invitation")


class EventSeries(OwnedRecord):
    """A recurring format (e.g. a quarterly webinar) whose events are reported together."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices, default=EventKind.WEBINAR)
    description = models.TextField(_("description"), blank=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("event series")
        verbose_name_plural = _("event series")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customer_events:series_detail", args=[self.pk])


class Event(OwnedRecord):
    """One date of a customer event with its place or link, capacity and total cost."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for registration")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    series = models.ForeignKey(EventSeries, verbose_name=_("series"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="events")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices, default=EventKind.WEBINAR)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    online_url = models.URLField(_("online link"), max_length=500, blank=True)
    # None: no limit (e.g. a webinar platform that takes everybody).
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True,
                                           validators=[MinValueValidator(1)])
    cost = models.DecimalField(_("total cost (EUR)"), max_digits=12, decimal_places=2, default=Decimal("0.00"),
                               validators=[MinValueValidator(Decimal("0"))])
    registration_deadline = models.DateTimeField(_("registration deadline"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=2, default="de",
                                choices=[("de", "Deutsch"), ("en", "English")])
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    reminder_hours = models.PositiveSmallIntegerField(
        _("reminder (hours before start)"), default=24, validators=[MinValueValidator(1)],
        help_text=_("Registered people get a reminder e-mail this many hours before the start."))

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"], name="customer_event_status_start")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("customer_events:event_detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        if self.starts_at and timezone.is_naive(self.starts_at):
            errors["starts_at"] = [_("Give the start with a time zone.")]
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = [_("The event must end after it starts.")]
        if self.registration_deadline and self.starts_at and self.registration_deadline > self.starts_at:
            errors["registration_deadline"] = [_("The registration deadline must not be after the start.")]
        if self.kind == EventKind.WEBINAR and not self.online_url and self.status == self.Status.OPEN:
            errors["online_url"] = [_("A webinar open for registration needs its online link.")]
        if errors:
            raise ValidationError(errors)

    @property
    def registration_open(self) -> bool:
        """Whether people may register now (open, not started, deadline not passed)."""
        now = timezone.now()
        deadline = self.registration_deadline or self.starts_at
        return self.status == self.Status.OPEN and now < deadline and now < self.starts_at


class PersonScopedQuerySet(ScopedQuerySet):
    pass


class Invitation(TimeStampedModel):
    """One person invited to one event, with the outbox message that carried the personal link."""

    class Via(models.TextChoices):
        OUTBOX = "outbox", _("E-mail (outbox)")
        CAMPAIGN = "campaign", _("Campaign")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="event_invitations")
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    via = models.CharField(_("sent via"), max_length=10, choices=Via.choices, default=Via.OUTBOX)
    outbound_message_id = models.BigIntegerField(null=True, blank=True)
    segment_id = models.BigIntegerField(null=True, blank=True)

    objects = PersonScopedQuerySet.as_manager()

    scope_paths = ("person__",)
    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "person"], name="customer_event_invite_once")]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.person_id}"


class Registration(TimeStampedModel):
    """A person's seat (or place on the waiting list) at one event, and whether they came."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        WAITLISTED = "waitlisted", _("Waiting list")
        CANCELLED = "cancelled", _("Cancelled")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("No-show")

    class Source(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        STAFF = "staff", _("Staff")
        PUBLIC = "public", _("Public link")

    # The statuses that hold a seat: capacity counts these.
    SEATED = (Status.REGISTERED, Status.ATTENDED, Status.NO_SHOW)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="event_registrations")
    invitation = models.ForeignKey(Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED)
    waitlist_position = models.PositiveIntegerField(_("position on the waiting list"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.STAFF)
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)

    objects = PersonScopedQuerySet.as_manager()

    scope_paths = ("person__",)
    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["status", "waitlist_position", "registered_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "person"], name="customer_event_register_once")]
        indexes = [models.Index(fields=["event", "status"], name="customer_event_reg_status")]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.person_id} ({self.status})"
