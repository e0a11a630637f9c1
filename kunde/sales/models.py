"""Models of sales: pipelines with stages, deals, leads, lost reasons and exchange rates."""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.timezone import now as timezone_now
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kunde.core.models import OwnedRecord, TimeStampedModel
from kunde.core.personal_data import Category


def _german() -> bool:
    return (get_language() or "en").startswith("de")


class Pipeline(models.Model):
    """A sales process with its own stages (e.g. new business, renewals)."""

    name_en = models.CharField(_("name (English)"), max_length=100)
    name_de = models.CharField(_("name (German)"), max_length=100, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="sales_one_default_pipeline"
            ),
        ]

    def __str__(self) -> str:
        return (self.name_de or self.name_en) if _german() else self.name_en

    def get_absolute_url(self) -> str:
        return reverse("sales:board", args=[self.pk])


class StageKind(models.TextChoices):
    OPEN = "open", _("open")
    WON = "won", _("won")
    LOST = "lost", _("lost")


class Stage(models.Model):
    """One column of a pipeline; won/lost stages close the deals that reach them."""

    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages")
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_de = models.CharField(_("name (German)"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    rotting_days = models.PositiveIntegerField(
        _("rotting after (days)"),
        null=True,
        blank=True,
        help_text=_("A deal that stays longer in this stage is marked as rotting."),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=StageKind.choices, default=StageKind.OPEN)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]

    def __str__(self) -> str:
        return (self.name_de or self.name_en) if _german() else self.name_en


class LostReason(models.Model):
    """A configurable reason why a deal was lost."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    label_en = models.CharField(_("label (English)"), max_length=100)
    label_de = models.CharField(_("label (German)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.label_de if _german() else self.label_en


currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Enter a three-letter ISO 4217 currency code, e.g. USD."))


class ExchangeRate(models.Model):
    """How many euros one unit of `currency` is worth from `valid_from` on (EUR is always 1)."""

    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    rate = models.DecimalField(
        _("rate (EUR per unit)"),
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
    )
    valid_from = models.DateField(_("valid from"))

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["currency", "valid_from"], name="sales_rate_once_per_day")]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} EUR ({self.valid_from})"

    def clean(self) -> None:
        if self.currency == "EUR":
            raise ValidationError({"currency": _("EUR needs no exchange rate.")})


class LeadStatus(models.TextChoices):
    NEW = "new", _("new")
    QUALIFIED = "qualified", _("qualified")
    DISQUALIFIED = "disqualified", _("disqualified")
    CONVERTED = "converted", _("converted")


class LeadSource(models.TextChoices):
    WEB_FORM = "web_form", _("web form")
    API = "api", _("API")
    MANUAL = "manual", _("entered by hand")
    IMPORT = "import", _("import")
    EVENT = "event", _("event")
    REFERRAL = "referral", _("referral")
    OTHER = "other", _("other")


class Lead(OwnedRecord):
    """An inquiry not yet qualified: who asked, for which company, about what."""

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    message = models.TextField(_("message"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices, default=LeadSource.MANUAL)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    disqualify_reason = models.CharField(_("disqualification reason"), max_length=300, blank=True)
    score = models.SmallIntegerField(_("score"), default=0)
    submission_key = models.CharField(max_length=100, null=True, blank=True, unique=True, editable=False)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)
    person = models.ForeignKey(
        "contacts.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "contacts.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    personal_data = {
        "name": Category.IDENTITY,
        "company": Category.IDENTITY,
        "email": Category.CONTACT,
        "phone": Category.CONTACT,
        "message": Category.FREE_TEXT,
        "disqualify_reason": Category.FREE_TEXT,
        "custom_fields": Category.FREE_TEXT,
    }

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["-updated_at", "-id"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["owner", "-created_at", "-id"]),
            models.Index(fields=["team", "-created_at", "-id"]),
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["team", "-updated_at", "-id"]),
            models.Index(fields=["email"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name

    def get_absolute_url(self) -> str:
        return reverse("sales:lead_detail", args=[self.pk])


class DealStatus(models.TextChoices):
    OPEN = "open", _("open")
    WON = "won", _("won")
    LOST = "lost", _("lost")


class Deal(OwnedRecord):
    """A sales opportunity with an organisation and/or person, moving through a pipeline."""

    title = models.CharField(_("title"), max_length=200)
    organisation = models.ForeignKey(
        "contacts.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    person = models.ForeignKey(
        "contacts.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR", validators=[currency_validator])
    amount_eur = models.DecimalField(
        _("amount (EUR)"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0, validators=[MaxValueValidator(100)])
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    stage_entered_at = models.DateTimeField(_("in stage since"), editable=False)
    position = models.FloatField(_("position in stage"), default=0, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN, editable=False
    )
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    lost_reason = models.ForeignKey(
        LostReason, verbose_name=_("lost reason"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lost_note = models.CharField(_("note on the loss"), max_length=300, blank=True)
    won_at = models.DateTimeField(_("won"), null=True, blank=True, editable=False)
    lost_at = models.DateTimeField(_("lost"), null=True, blank=True, editable=False)
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices, blank=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    notes = models.TextField(_("notes"), blank=True)

    personal_data = {
        "title": Category.FREE_TEXT,
        "next_step": Category.FREE_TEXT,
        "lost_note": Category.FREE_TEXT,
        "notes": Category.FREE_TEXT,
        "amount": Category.FINANCIAL,
        "custom_fields": Category.FREE_TEXT,
    }

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | Q(person__isnull=False), name="sales_deal_has_customer"
            ),
        ]
        indexes = [
            # The kanban board: one ordered walk per stage.
            models.Index(fields=["stage", "position", "id"]),
            models.Index(fields=["pipeline", "status", "expected_close_date"]),
            models.Index(fields=["status", "expected_close_date"]),
            models.Index(fields=["status", "won_at"]),
            models.Index(fields=["status", "lost_at"]),
            models.Index(fields=["-updated_at", "-id"]),
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["title", "id"]),
            models.Index(fields=["-amount_eur", "-id"]),
            models.Index(fields=["expected_close_date", "id"]),
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["team", "-updated_at", "-id"]),
            models.Index(fields=["owner", "status", "expected_close_date"]),
            models.Index(fields=["team", "status", "expected_close_date"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("sales:deal_detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.organisation_id is None and self.person_id is None:
            errors["organisation"] = _("A deal needs an organisation or a person.")
        if self.stage_id is not None and self.pipeline_id is not None and self.stage.pipeline_id != self.pipeline_id:
            errors["stage"] = _("The stage belongs to another pipeline.")
        if errors:
            raise ValidationError(errors)

    @property
    def weighted_amount_eur(self) -> Decimal:
        return (self.amount_eur * self.probability / Decimal(100)).quantize(Decimal("0.01"))

    @property
    def is_rotting(self) -> bool:
        from django.utils import timezone

        days = self.stage.rotting_days
        return (
            self.status == DealStatus.OPEN
            and days is not None
            and (timezone.now() - self.stage_entered_at).days >= days
        )


class StageVisit(TimeStampedModel):
    """How long a deal spent in a stage (written by deal_move), for the time-per-stage figures."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_visits")
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField()
    seconds = models.PositiveBigIntegerField()

    personal_data: dict[str, Category] = {}

    class Meta:
        indexes = [models.Index(fields=["stage", "left_at"])]


_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


def normalize_origin(value: str) -> str | None:
    """`value` as a web origin ``scheme://host[:port]`` (lower case, http or https), or None if it is not one.

    The origins of a lead form go into the page's CSP ``frame-ancestors``: anything else (a path,
    a wildcard, a quote, a semicolon, a second directive) must never get there.
    """
    text = value.strip().rstrip("/")
    if not text or not text.isascii() or any(char in text for char in " \t;,'\"*\\"):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.netloc.startswith("["):
        try:
            host = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return None
    elif not _HOST.match(host) or len(host) > 253:
        return None
    if (parts.scheme.lower() not in {"http", "https"} or parts.path or parts.query or parts.fragment
            or "@" in parts.netloc or port == 0):
        return None
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}[scheme]  # browsers leave the default port out of Origin
    return f"{scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def validate_origins(text: str) -> list[str]:
    """The origins of `text` (one per line), normalised; a ValidationError names every line that is not one."""
    origins, wrong = [], []
    for line in text.splitlines():
        if not line.strip():
            continue
        origin = normalize_origin(line)
        if origin is None:
            wrong.append(line.strip())
        elif origin not in origins:
            origins.append(origin)
    if wrong:
        raise ValidationError(
            _("Not a web origin (scheme://host or scheme://host:port, e.g. https://www.example.com): %(lines)s"),
            params={"lines": ", ".join(wrong)}, code="origin")
    return origins


class LeadForm(models.Model):
    """A public web form that creates leads, embeddable on other sites (an iframe)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    owner = models.ForeignKey(
        "accounts.User", verbose_name=_("owner of new leads"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team of new leads"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    allowed_origins = models.TextField(
        _("sites that may embed the form"), blank=True,
        help_text=_("One origin per line, e.g. https://www.example.com. Empty: only this site."),
    )
    thank_you = models.CharField(_("thank-you text"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("lead form")
        verbose_name_plural = _("lead forms")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.allowed_origins = "\n".join(validate_origins(self.allowed_origins))
        except ValidationError as exc:
            raise ValidationError({"allowed_origins": exc.error_list}) from None

    @property
    def origins(self) -> list[str]:
        """The sites that may embed the form; a line that is no origin (stored before it was checked) is left out."""
        found = (normalize_origin(line) for line in self.allowed_origins.splitlines() if line.strip())
        return [origin for origin in found if origin is not None]


class FormSubmission(models.Model):
    """One POST to a lead form, accepted or rejected: the spam log and the rate limit's counter."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        DUPLICATE = "duplicate", _("duplicate")
        HONEYPOT = "honeypot", _("honeypot filled")
        TOO_FAST = "too_fast", _("sent too fast")
        RATE_LIMIT = "rate_limit", _("rate limit")
        BAD_TOKEN = "bad_token", _("invalid or expired form")
        BAD_ORIGIN = "bad_origin", _("foreign origin")
        INVALID = "invalid", _("invalid input")

    form = models.ForeignKey(LeadForm, on_delete=models.CASCADE, related_name="submissions")
    at = models.DateTimeField(default=timezone_now)
    client = models.CharField(max_length=64)  # a keyed hash of the IP address, never the address
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    # A keyed hash of the address: pseudonymous, kept 30 days (sales.tasks).
    personal_data = {"client": Category.IDENTITY}

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "at"]), models.Index(fields=["form", "-at"])]

    def __str__(self) -> str:
        return f"{self.form_id} {self.at:%Y-%m-%d %H:%M} {self.outcome}"


class ScoringRule(models.Model):
    """An administrator's rule: when a lead's field meets the condition, add the points."""

    class Field(models.TextChoices):
        SOURCE = "source", _("source")
        CAMPAIGN = "campaign", _("campaign")
        EMAIL_DOMAIN = "email_domain", _("e-mail domain")
        COMPANY = "company", _("company")
        PHONE = "phone", _("phone")
        MESSAGE = "message", _("message")

    class Condition(models.TextChoices):
        EQUALS = "equals", _("equals")
        CONTAINS = "contains", _("contains")
        IS_SET = "is_set", _("is filled in")
        IS_EMPTY = "is_empty", _("is empty")

    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    condition = models.CharField(_("condition"), max_length=10, choices=Condition.choices)
    value = models.CharField(_("value"), max_length=100, blank=True)
    points = models.SmallIntegerField(_("points"), validators=[MinValueValidator(-100), MaxValueValidator(100)])
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["field", "id"]

    def __str__(self) -> str:
        return f"{self.get_field_display()} {self.get_condition_display()} {self.value} → {self.points:+d}"
