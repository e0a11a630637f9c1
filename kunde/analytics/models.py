"""What the analytics refresh stores: per-customer scores, scope aggregates, runs, settings, costs.

The refresh (`analytics.refresh`) recomputes everything from orders, history, tickets and
surveys and replaces these rows in one transaction; nothing here is edited by hand except
`AnalyticsSettings` and `RelationshipCost`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Organisation, Person
from kunde.core.models import VersionedModel
from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category


class AnalyticsSettings(VersionedModel):
    """The one row of assumptions every KPI and model uses (pk=1)."""

    inactivity_days = models.PositiveIntegerField(
        _("inactivity window (days)"), default=365,
        help_text=_("A customer without a purchase for this long counts as churned."))
    hourly_rate = models.DecimalField(
        _("hourly rate of contact time (EUR)"), max_digits=8, decimal_places=2, default=Decimal("60.00"))
    prediction_days = models.PositiveIntegerField(
        _("prediction horizon for purchases (days)"), default=90)
    clv_horizon_months = models.PositiveIntegerField(_("CLV horizon (months)"), default=12)
    annual_discount_rate = models.DecimalField(
        _("annual discount rate (%)"), max_digits=5, decimal_places=2, default=Decimal("10.00"))

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("analytics settings")
        verbose_name_plural = _("analytics settings")

    def __str__(self) -> str:
        return "analytics settings"

    @classmethod
    def load(cls) -> AnalyticsSettings:
        return cls.objects.get_or_create(pk=1)[0]


class CustomerScoreQuerySet(ScopedQuerySet):
    pass


class CustomerScore(models.Model):
    """The scores of one customer (a person, or an organisation) as of `computed_at`.

    A customer is who pays: an order of an organisation belongs to the organisation, other
    orders to their person. Visibility is the customer's own (through `scope_paths`), so a
    reassigned customer's scores follow the customer at once, not at the next refresh.
    """

    person = models.OneToOneField(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="score")
    organisation = models.OneToOneField(Organisation, null=True, blank=True, on_delete=models.CASCADE,
                                        related_name="score")
    # Copied at refresh for the aggregates (see ScopeAggregate); never used to decide visibility.
    owner_id_at_refresh = models.BigIntegerField(null=True, blank=True)
    team_id_at_refresh = models.BigIntegerField(null=True, blank=True)
    first_purchase_on = models.DateField(null=True, blank=True)
    last_purchase_on = models.DateField(null=True, blank=True)
    purchases = models.PositiveIntegerField(default=0)
    revenue = models.FloatField(default=0.0)
    recency_days = models.PositiveIntegerField(null=True, blank=True)
    rfm_r = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_f = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_m = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_segment = models.CharField(max_length=30, blank=True)
    previous_rfm_segment = models.CharField(max_length=30, blank=True)
    probability_alive = models.FloatField(null=True, blank=True)
    expected_purchases = models.FloatField(null=True, blank=True)
    next_purchase_probability = models.FloatField(null=True, blank=True)
    expected_order_value = models.FloatField(null=True, blank=True)
    predicted_clv = models.FloatField(null=True, blank=True)
    # The one secondary index: the at-risk worklist starts from it. Each index costs the
    # nightly rewrite of a million rows seconds; segment and CLV filters join by customer.
    churn_risk = models.FloatField(null=True, blank=True, db_index=True)
    churn_basis = models.CharField(max_length=20, blank=True)
    churn_factors = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()

    objects = CustomerScoreQuerySet.as_manager()

    scope_paths = ("person__", "organisation__")
    # Scores are derived from the customer's orders: an access request exports them with
    # how they were computed, and erasure removes the row with the customer.
    personal_data = {"revenue": Category.FINANCIAL, "predicted_clv": Category.FINANCIAL,
                     "churn_risk": Category.FINANCIAL}

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, organisation__isnull=True)
                | Q(person__isnull=True, organisation__isnull=False),
                name="customer_score_one_customer"),
        ]

    def __str__(self) -> str:
        return f"score of {'person' if self.person_id else 'organisation'} {self.person_id or self.organisation_id}"

    @property
    def customer(self) -> Person | Organisation | None:
        return self.person or self.organisation


class ScopeAggregate(models.Model):
    """Additive figures (counts and sums) of the customers one owner/team pair holds.

    Dashboards add up the rows of the pairs a user may see, so every aggregate respects
    visibility without recomputing: rates are formed only after the sums.
    """

    name = models.CharField(max_length=30)
    owner_id_at_refresh = models.BigIntegerField(null=True, blank=True)
    team_id_at_refresh = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict)

    personal_data: dict[str, Category] = {}

    class Meta:
        indexes = [models.Index(fields=["name", "owner_id_at_refresh", "team_id_at_refresh"],
                                name="scope_aggregate_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.owner_id_at_refresh}/{self.team_id_at_refresh}"


class RefreshRun(models.Model):
    """One analytics refresh: when, how long, and the model diagnostics it produced."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=20, default="nightly")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    customers = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    # Model parameters, calibration table, churn AUC, "insufficient data" reasons, timings.
    diagnostics = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"refresh {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class RelationshipCost(models.Model):
    """A cost of the relationship not recorded elsewhere: an event, a loyalty reward, a gift.

    Contact time (from history durations), campaign costs and order discounts are counted
    from their own records; this is for the rest, so Return on Relationship sees all of it.
    """

    class Kind(models.TextChoices):
        EVENT = "event", _("Event")
        LOYALTY = "loyalty", _("Loyalty programme")
        GIFT = "gift", _("Gift")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    incurred_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (EUR)"), max_digits=12, decimal_places=2)
    description = models.CharField(_("description"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")

    personal_data = {"description": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("relationship cost")
        verbose_name_plural = _("relationship costs")
        ordering = ["-incurred_on", "-id"]

    def __str__(self) -> str:
        return f"{self.incurred_on} {self.amount} {self.description}"
