"""Models of campaigns and automation: templates, campaigns, surveys and rules.

These are configuration records of the marketing team, not customer records: every user
may see them, users who may create records may write them (`campaigns.permissions`).
Per-person rows (recipients, invitations, rule runs) hang on a `Person` and are only shown
to a user together with people that user may see.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Person
from kunde.core.models import TimeStampedModel, VersionedModel
from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category

LANGUAGES = (("de", _("German")), ("en", _("English")))


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Phone")


class EmailTemplate(TimeStampedModel, VersionedModel):
    """An e-mail in German and English with sandboxed placeholders (see `campaigns.templating`)."""

    name = models.CharField(_("name"), max_length=120)
    purpose = models.CharField(_("purpose"), max_length=40, default="offers",
                               help_text=_("Consent purpose the recipients must have agreed to, e.g. offers."))
    subject_de = models.CharField(_("subject (German)"), max_length=200, blank=True)
    text_de = models.TextField(_("text (German)"), blank=True)
    html_de = models.TextField(_("HTML (German)"), blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    text_en = models.TextField(_("text (English)"), blank=True)
    html_en = models.TextField(_("HTML (English)"), blank=True)
    fallback_language = models.CharField(_("fallback language"), max_length=2, choices=LANGUAGES, default="de")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    personal_data: dict[str, Category] = {}  # texts with placeholders; nobody's data

    class Meta:
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def languages(self) -> list[str]:
        return [code for code, _label in LANGUAGES if getattr(self, f"subject_{code}")]


class Campaign(TimeStampedModel, VersionedModel):
    """One send-out of a template to a segment (e-mail), or a call list / mail merge (phone, letter)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=120)
    template = models.ForeignKey(EmailTemplate, verbose_name=_("template"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="campaigns")
    # A segment of the audience app (its id) or an inline definition (audience's JSON format,
    # or {"person_ids": [...]} for a fixed list).
    segment_id = models.PositiveIntegerField(_("segment"), null=True, blank=True)
    segment_definition = models.JSONField(_("segment definition"), default=dict, blank=True)
    purpose = models.CharField(_("purpose"), max_length=40, default="offers")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    cost = models.DecimalField(_("cost (EUR)"), max_digits=12, decimal_places=2, default=0)
    track_clicks = models.BooleanField(_("track clicks"), default=True)
    tracking_pixel = models.BooleanField(_("tracking pixel"), default=False)
    conversion_window_days = models.PositiveSmallIntegerField(_("conversion window (days)"), default=14)
    survey = models.ForeignKey("Survey", verbose_name=_("survey"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="campaigns")
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    personal_data = {"message": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CampaignRecipient(models.Model):
    """One person of a campaign: at most one row (and so one message) per person."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    outbound_id = models.PositiveBigIntegerField(null=True, blank=True)
    message_id = models.CharField(max_length=250, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    first_clicked_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    # From the mail app's events (mail.message_sent / mail.message_bounced).
    delivered_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("person__",)

    personal_data = {"reason": Category.FREE_TEXT}  # who: the person link

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "person"], name="campaign_recipient_once")]
        indexes = [
            models.Index(fields=["campaign", "status", "id"], name="campaign_recipient_queue"),
            models.Index(fields=["outbound_id"], name="campaign_recipient_outbound"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.person_id}"


class Conversion(models.Model):
    """An order attributed to a campaign (within its window after a click or the send)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="conversions")
    recipient = models.ForeignKey(CampaignRecipient, on_delete=models.CASCADE, related_name="conversions")
    order_id = models.PositiveBigIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    via = models.CharField(max_length=10, default="send")  # "click" or "send"
    created_at = models.DateTimeField(auto_now_add=True)

    personal_data: dict[str, Category] = {}  # ids and amounts of orders

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "order_id"], name="conversion_once")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/order {self.order_id}"


class Survey(TimeStampedModel, VersionedModel):
    """An NPS, CSAT or custom questionnaire, answered on a public page through a signed link."""

    class Kind(models.TextChoices):
        NPS = "nps", _("NPS (0–10)")
        CSAT = "csat", _("Satisfaction (1–5)")
        CUSTOM = "custom", _("Custom")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NPS)
    question_de = models.CharField(_("question (German)"), max_length=300, blank=True)
    question_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    # Custom surveys: [{"key": "...", "de": "...", "en": "...", "type": "text|scale"}]
    questions = models.JSONField(_("further questions"), default=list, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=30)
    detractor_follow_up = models.BooleanField(
        _("follow-up task for detractors"), default=True,
        help_text=_("A detractor's answer (0–6) creates a task for the person's owner."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> range:
        return range(1, 6) if self.kind == self.Kind.CSAT else range(0, 11)


class SurveyInvitation(models.Model):
    """One person asked once; its signed token opens the public page until answered or expired."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey("Rule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("person__",)

    personal_data: dict[str, Category] = {}  # who was asked: the person link

    class Meta:
        indexes = [models.Index(fields=["survey", "answered_at"], name="survey_invitation_answered")]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.person_id}"


class SurveyAnswer(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="answer")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("person__",)

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.person_id}: {self.score}"

    @property
    def nps_class(self) -> str:
        return nps_class(self.score)

    personal_data = {"answers": Category.FREE_TEXT, "comment": Category.FREE_TEXT}


def nps_class(score: int | None) -> str:
    """promoter (9-10), passive (7-8), detractor (0-6); "" without a score."""
    if score is None:
        return ""
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


class Rule(TimeStampedModel, VersionedModel):
    """When something happens (an event or a schedule) to people in a segment, do one action."""

    class Trigger(models.TextChoices):
        EVENT = "event", _("When an event happens")
        QUARTERLY = "quarterly", _("Every quarter for each member of the segment")
        MONTHLY = "monthly", _("Every month for each member of the segment")
        AFTER_EVENT = "after_event", _("N days after an event")

    class Action(models.TextChoices):
        SEND_TEMPLATE = "send_template", _("Send an e-mail template")
        CREATE_TASK = "create_task", _("Create a task for the owner")
        ADD_TAG = "add_tag", _("Add a tag")
        REMOVE_TAG = "remove_tag", _("Remove a tag")
        SET_STAGE = "set_stage", _("Change the lifecycle stage")
        NOTIFY_USER = "notify_user", _("Notify a user")
        SEND_SURVEY = "send_survey", _("Send a survey")

    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices, default=Trigger.EVENT)
    event_type = models.CharField(_("event"), max_length=60, blank=True)
    delay_days = models.PositiveSmallIntegerField(_("days after the event"), default=0)
    # Conditions: an audience segment definition the person must match ({} = everybody),
    # plus the app's own conditions ({"not_bought_topic_within_days": 7}).
    segment_id = models.PositiveIntegerField(_("segment"), null=True, blank=True)
    segment_definition = models.JSONField(_("conditions"), default=dict, blank=True)
    conditions = models.JSONField(_("extra conditions"), default=dict, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    # Action parameters: template_id, survey_id, tag, stage, subject, due_days, user_id.
    params = models.JSONField(_("action parameters"), default=dict, blank=True)
    # The rule acts with this user's visibility (see `campaigns.rules`).
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Why the last scheduled run could not take place (e.g. the segment was deleted); "" when it ran.
    problem = models.CharField(_("problem"), max_length=300, blank=True, editable=False)
    problem_at = models.DateTimeField(_("problem noticed"), null=True, blank=True, editable=False)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class RuleRun(models.Model):
    """What a rule did for one person on one occasion; unique, so a rule never fires twice."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")
        PENDING = "pending", _("Waiting")

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    occasion_key = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DONE)
    due_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)  # the occasion's ids (event payload)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("person__",)

    personal_data = {"detail": Category.FREE_TEXT, "data": Category.FREE_TEXT}

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "person", "occasion_key"], name="rule_run_once"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="rule_run_due")]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.person_id}/{self.occasion_key}"
