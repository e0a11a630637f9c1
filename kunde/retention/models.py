"""Models of retention: plans answering the six guiding questions, care cadences, binding causes, figures.

A `RetentionPlan` is an owned record (owner/team decide who sees it); its causes,
instruments, partners, care cadences and stored figures are reached through it
(`scope_paths = ("plan__",)`). `CustomerBindingCause` is an owner's assertion about one
customer and is scoped through that customer.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Organisation, Person
from kunde.core.models import OwnedRecord, TimeStampedModel
from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category
from kunde.retention.causes import BindingCause

MAX_HOLDOUT_PERCENT = 50


def _money(label: str | object) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, default=Decimal("0.00"),  # type: ignore[arg-type]
                               validators=[MinValueValidator(Decimal("0"))])


class BindingObject(models.TextChoices):
    COMPANY = "company", _("The company")
    PRODUCT = "product", _("A product or category")
    PERSON = "person", _("A person (e.g. the advisor)")
    BRAND = "brand", _("A brand")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class InstrumentKind(models.TextChoices):
    RULE = "rule", _("Automation rule")
    CAMPAIGN = "campaign", _("Campaign")
    LOYALTY = "loyalty", _("Loyalty programme")
    EVENT_SERIES = "event_series", _("Event series")
    SUBSCRIPTION = "subscription", _("Subscription offer")
    CARE = "care", _("Personal-care cadence")
    COMMUNITY = "community", _("Community")
    SERVICE = "service", _("Service")
    SELF_SERVICE = "self_service", _("Self-service")
    OTHER = "other", _("Other")


class RetentionPlan(OwnedRecord):
    """A retention plan for one target group: the answers to the six guiding questions."""

    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=8, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    description = models.TextField(_("description"), blank=True)
    # (1) To what is the customer bound?
    binding_object = models.CharField(_("binding object"), max_length=10, choices=BindingObject.choices,
                                      default=BindingObject.COMPANY)
    binding_product = models.ForeignKey("commerce.Product", verbose_name=_("product"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    binding_category = models.ForeignKey("commerce.ProductCategory", verbose_name=_("product category"), null=True,
                                         blank=True, on_delete=models.SET_NULL, related_name="+")
    binding_staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff member"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    binding_brand = models.CharField(_("brand"), max_length=120, blank=True)
    # (2) Which customers?
    segment = models.ForeignKey("audience.Segment", verbose_name=_("target group (segment)"),
                                on_delete=models.PROTECT, related_name="+")
    # (5) With what intensity and when?
    cadence = models.CharField(_("cadence"), max_length=200, blank=True,
                               help_text=_("In words, e.g. “a review every quarter, two webinars a year”."))
    interval_days = models.PositiveIntegerField(_("contact interval (days)"), null=True, blank=True,
                                                validators=[MinValueValidator(1), MaxValueValidator(3650)])
    starts_on = models.DateField(_("start"), null=True, blank=True)
    ends_on = models.DateField(_("end"), null=True, blank=True)
    budget_per_year = _money(_("budget per year (EUR)"))
    holdout_percent = models.PositiveSmallIntegerField(
        _("hold-out group (%)"), default=0, validators=[MaxValueValidator(MAX_HOLDOUT_PERCENT)],
        help_text=_("A random, stable share of the segment that no instrument reaches, to measure the effect."))

    personal_data = {"description": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("retention plan")
        verbose_name_plural = _("retention plans")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(holdout_percent__lte=MAX_HOLDOUT_PERCENT),
                                   name="retention_plan_holdout_max"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("retention:plan_detail", args=[self.pk])

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end lies before the start.")})


class PlanChild(models.Model):
    """A row that belongs to a plan and is seen and changed with it."""

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("plan__",)

    class Meta:
        abstract = True


class PlanCause(PlanChild):
    """(3) One binding cause the plan works through, weighted."""

    plan = models.ForeignKey(RetentionPlan, on_delete=models.CASCADE, related_name="causes")
    cause = models.CharField(_("binding cause"), max_length=16, choices=BindingCause.choices)
    weight = models.PositiveSmallIntegerField(_("weight (0–100)"), default=50,
                                              validators=[MaxValueValidator(100)])
    note = models.CharField(_("note"), max_length=300, blank=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("plan binding cause")
        verbose_name_plural = _("plan binding causes")
        ordering = ["-weight", "cause"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "cause"], name="retention_plan_cause_once"),
            models.CheckConstraint(condition=Q(weight__lte=100), name="retention_plan_cause_weight"),
        ]

    def __str__(self) -> str:
        return f"{self.cause} {self.weight}"


class PlanInstrument(PlanChild):
    """(4) One instrument, linked to the Kunde object that executes it, with its cost."""

    plan = models.ForeignKey(RetentionPlan, on_delete=models.CASCADE, related_name="instruments")
    kind = models.CharField(_("kind"), max_length=16, choices=InstrumentKind.choices)
    name = models.CharField(_("name"), max_length=200)
    linked_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    linked_id = models.PositiveBigIntegerField(null=True, blank=True)
    monthly_cost = _money(_("cost per month (EUR)"))
    one_off_cost = _money(_("one-off cost (EUR)"))
    position = models.PositiveSmallIntegerField(default=0)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("plan instrument")
        verbose_name_plural = _("plan instruments")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(linked_type__isnull=True, linked_id__isnull=True)
                                   | Q(linked_type__isnull=False, linked_id__isnull=False),
                                   name="retention_instrument_link_whole"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from kunde.retention.instruments import check_link

        check_link(self)


class PlanPartner(PlanChild):
    """(6) A partner organisation and its role in the plan (installation, reseller …)."""

    plan = models.ForeignKey(RetentionPlan, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    role = models.CharField(_("role"), max_length=200)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("plan partner")
        verbose_name_plural = _("plan partners")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["plan", "organisation"], name="retention_partner_once")]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.role}"


class CareCadence(PlanChild):
    """Personal care: every `every_days`, each customer's owner gets a follow-up task.

    Unless a personal contact by staff (call, meeting, video call) happened within the
    interval, or this cadence already created a task for the customer in it.
    """

    plan = models.ForeignKey(RetentionPlan, on_delete=models.CASCADE, related_name="care_cadences")
    name = models.CharField(_("name"), max_length=200)
    every_days = models.PositiveIntegerField(_("every (days)"), default=90,
                                             validators=[MinValueValidator(7), MaxValueValidator(730)])
    task_subject = models.CharField(_("task subject"), max_length=200)
    due_days = models.PositiveSmallIntegerField(_("task due after (days)"), default=14,
                                                validators=[MaxValueValidator(365)])
    is_active = models.BooleanField(_("active"), default=True)
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("care cadence")
        verbose_name_plural = _("care cadences")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("retention:plan_detail", args=[self.plan_id])


class CustomerBindingCause(TimeStampedModel):
    """An owner's assertion that a cause binds (or does not bind) one customer, overriding the derived one."""

    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+")
    cause = models.CharField(_("binding cause"), max_length=16, choices=BindingCause.choices)
    is_bound = models.BooleanField(_("binds"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("person__", "organisation__")
    personal_data = {"note": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("customer binding cause")
        verbose_name_plural = _("customer binding causes")
        ordering = ["cause"]
        constraints = [
            models.CheckConstraint(condition=Q(person__isnull=False, organisation__isnull=True)
                                   | Q(person__isnull=True, organisation__isnull=False),
                                   name="retention_cause_one_customer"),
            models.UniqueConstraint(fields=["person", "cause"], name="retention_person_cause_once",
                                    condition=Q(person__isnull=False)),
            models.UniqueConstraint(fields=["organisation", "cause"], name="retention_org_cause_once",
                                    condition=Q(organisation__isnull=False)),
        ]
        indexes = [models.Index(fields=["cause", "is_bound"], name="retention_cause_lookup")]

    def __str__(self) -> str:
        return f"{self.cause}={'on' if self.is_bound else 'off'}"


class Cohort(models.TextChoices):
    MEMBERS = "members", _("Plan members")
    HOLDOUT = "holdout", _("Hold-out group")
    REST = "rest", _("Other customers")


class PlanFigures(models.Model):
    """The stored figures of one plan as of one analytics refresh (the page reads only these)."""

    plan = models.OneToOneField(RetentionPlan, on_delete=models.CASCADE, related_name="figures")
    refresh_run_id = models.BigIntegerField(null=True, blank=True)
    plan_version = models.PositiveIntegerField(default=0)
    as_of = models.DateField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(null=True, blank=True)
    members = models.PositiveIntegerField(default=0)
    holdout = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("plan__",)
    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("plan figures")
        verbose_name_plural = _("plan figures")

    def __str__(self) -> str:
        return f"figures of plan {self.plan_id} as of {self.as_of}"


class PlanFigureRow(models.Model):
    """Additive monthly figures of one cohort of a plan for one owner/team pair (summed on read)."""

    plan = models.ForeignKey(RetentionPlan, on_delete=models.CASCADE, related_name="+")
    cohort = models.CharField(max_length=8, choices=Cohort.choices)
    owner_id_at_refresh = models.BigIntegerField(null=True, blank=True)
    team_id_at_refresh = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict)

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("plan__",)
    personal_data: dict[str, Category] = {}

    class Meta:
        indexes = [models.Index(fields=["plan", "cohort"], name="retention_figure_rows")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.cohort} {self.owner_id_at_refresh}/{self.team_id_at_refresh}"
