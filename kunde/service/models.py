"""Models of service: tickets and their messages, statuses, SLAs, routing rules, portal tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kunde.contacts.choices import Channel
from kunde.core.models import OwnedRecord, Tag, TimeStampedModel
from kunde.core.personal_data import Category


class StatusCategory(models.TextChoices):
    """What a configurable status means; waiting on the customer pauses the SLA clock."""

    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting for third party")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


PAUSING_CATEGORIES = frozenset({StatusCategory.WAITING_CUSTOMER})
DONE_CATEGORIES = frozenset({StatusCategory.SOLVED, StatusCategory.CLOSED})


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Direction(models.TextChoices):
    IN = "in", _("Incoming")
    OUT = "out", _("Outgoing")


class _Labelled(models.Model):
    key = models.SlugField(_("key"), max_length=40, unique=True)
    label_en = models.CharField(_("label (English)"), max_length=80)
    label_de = models.CharField(_("label (German)"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        abstract = True
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.label_de if (get_language() or "en").startswith("de") else self.label_en


class TicketStatus(_Labelled):
    """A status of a ticket; its category drives the SLA pause and the solved/closed logic."""

    category = models.CharField(_("category"), max_length=24, choices=StatusCategory.choices)

    class Meta(_Labelled.Meta):
        verbose_name = _("ticket status")
        verbose_name_plural = _("ticket statuses")


class TicketCategory(_Labelled):
    class Meta(_Labelled.Meta):
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")


class BusinessCalendar(models.Model):
    """Working days and hours, with the public holidays of a German state."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    working_days = models.JSONField(_("working days"), default=list, help_text=_("0 = Monday … 6 = Sunday"))
    start_time = models.TimeField(_("start of day"), default=dt.time(8))
    end_time = models.TimeField(_("end of day"), default=dt.time(17))
    state = models.CharField(_("German state for public holidays"), max_length=4, blank=True, default="BE")
    time_zone = models.CharField(_("time zone"), max_length=60, default="Europe/Berlin")

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        days = self.working_days
        if not isinstance(days, list) or not days or not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
            raise ValidationError({"working_days": [_("Give the working days as a list of numbers 0 to 6.")]})
        if self.start_time >= self.end_time:
            raise ValidationError({"end_time": [_("The day must end after it starts.")]})
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(self.time_zone)
        except (KeyError, ValueError) as error:
            raise ValidationError({"time_zone": [_("Unknown time zone.")]}) from error
        import holidays

        known = {code.upper(): code for code in holidays.Germany.subdivisions}
        self.state = known.get(self.state.strip().upper(), self.state.strip())
        if self.state and self.state not in holidays.Germany.subdivisions:
            raise ValidationError({"state": [
                _("Unknown German state. Use one of: %(states)s.") % {
                    "states": ", ".join(holidays.Germany.subdivisions)}]})


class SlaPolicy(models.Model):
    """First-response and resolution targets (business minutes) by priority and customer group."""

    name = models.CharField(_("name"), max_length=80)
    priority = models.CharField(_("priority"), max_length=8, blank=True, choices=Priority.choices)
    customer_group = models.ForeignKey(
        "contacts.CustomerGroup", verbose_name=_("customer group"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
    )
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("business calendar"), on_delete=models.PROTECT)
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))
    warn_before_minutes = models.PositiveIntegerField(_("warn before breach (business minutes)"), default=60)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Ticket(OwnedRecord):
    """A customer request; `team` is the owning team (queue), `owner` the assignee."""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True, editable=False)
    subject = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    person = models.ForeignKey(
        "contacts.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="tickets",
    )
    organisation = models.ForeignKey(
        "contacts.Organisation", verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="tickets",
    )
    channel = models.CharField(_("channel"), max_length=10, blank=True, choices=Channel.choices)
    category = models.ForeignKey(
        TicketCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.ForeignKey(TicketStatus, verbose_name=_("status"), on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("due date"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    deal = models.ForeignKey("sales.Deal", verbose_name=_("deal"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="tickets")
    order = models.ForeignKey("commerce.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="tickets")
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    # SLA
    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    sla_pauses = models.JSONField(default=list, blank=True, editable=False)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True, db_index=True)
    sla_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_breached_at = models.DateTimeField(_("SLA breached"), null=True, blank=True, editable=False)
    # CSAT
    csat_score = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    csat_comment = models.TextField(_("satisfaction comment"), blank=True)
    csat_answered_at = models.DateTimeField(null=True, blank=True, editable=False)

    personal_data = {"subject": Category.FREE_TEXT, "description": Category.FREE_TEXT,
                     "csat_comment": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["team", "deleted_at", "-created_at"], name="service_ticket_queue"),
            models.Index(fields=["owner", "deleted_at", "-created_at"], name="service_ticket_assignee"),
        ]

    def __str__(self) -> str:
        return f"{self.number or ''} {self.subject}".strip()

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("service:ticket_detail", args=[self.pk])

    @property
    def token(self) -> str:
        return f"[#{self.number}]"


class TicketMessage(TimeStampedModel):
    """One message in a ticket's thread: incoming, outgoing or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    internal = models.BooleanField(_("internal note"), default=False)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    author_person = models.ForeignKey(
        "contacts.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    references = models.TextField(blank=True)
    outbound = models.ForeignKey(
        "mail.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    inbound_id = models.BigIntegerField(null=True, blank=True)
    attachments = models.JSONField(default=list, blank=True)

    personal_data = {"body_text": Category.FREE_TEXT, "body_html": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "id"]


class RoutingRule(models.Model):
    """Conditions (all given ones must match) and what to set on a new ticket."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    stop = models.BooleanField(_("stop after this rule"), default=False)
    channel = models.CharField(_("channel"), max_length=10, blank=True, choices=Channel.choices)
    sender_domain = models.CharField(_("sender domain"), max_length=200, blank=True)
    keywords = models.CharField(_("keywords (comma separated, any)"), max_length=500, blank=True)
    customer_group = models.ForeignKey(
        "contacts.CustomerGroup", verbose_name=_("customer group"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="+",
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    set_team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="+",
    )
    set_priority = models.CharField(_("priority"), max_length=8, blank=True, choices=Priority.choices)
    set_category = models.ForeignKey(
        TicketCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    set_tags = models.CharField(_("tags (comma separated)"), max_length=300, blank=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RoutingLog(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="routing_logs")
    rule = models.ForeignKey(RoutingRule, null=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=100)
    applied_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)

    personal_data: dict[str, Category] = {}

    class Meta:
        ordering = ["applied_at", "id"]

    def __str__(self) -> str:
        return self.rule_name


class SlaNotification(models.Model):
    """One warning or breach notice per ticket and target (idempotent)."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_notifications")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    target = models.CharField(max_length=16)  # first_response / resolution
    at = models.DateTimeField(default=timezone.now)

    personal_data: dict[str, Category] = {}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "kind", "target"], name="service_sla_notice_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.target}"


class UsedToken(models.Model):
    """A single-use signed link (portal magic link, CSAT answer) that has been used."""

    digest = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=40)
    used_at = models.DateTimeField(default=timezone.now)

    personal_data: dict[str, Category] = {}

    def __str__(self) -> str:
        return self.purpose


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class ReplyTemplate(models.Model):
    """A canned answer; placeholders {first_name}, {last_name}, {salutation}, {number}, {subject}, {organisation}."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def render(self, context: dict[str, str]) -> str:
        """Fill the placeholders; unknown ones stay as written (no attribute access: format_map on a flat dict)."""
        try:
            return self.body.format_map(_Blank(context))
        except (ValueError, IndexError, KeyError, AttributeError):
            return self.body
