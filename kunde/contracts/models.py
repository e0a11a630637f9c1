"""Subscriptions and contracts: plans, contracts with terms and notice periods, and their change log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Organisation, Person
from kunde.core.models import OwnedRecord, SoftDeleteQuerySet, TimeStampedModel
from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category


def _german() -> bool:
    return (get_language() or "en").startswith("de")


def money(label: Any, **options: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, **options)


class BillingInterval(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


# Months per billing interval: the divisor that normalises an interval's amount to MRR.
INTERVAL_MONTHS = {BillingInterval.MONTHLY: 1, BillingInterval.QUARTERLY: 3, BillingInterval.YEARLY: 12}


class NoticeUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")


class SubscriptionPlan(TimeStampedModel):
    """A subscription offer (Abo-Modell): price per billing interval, default term, notice and renewal."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    billing_interval = models.CharField(_("billing interval"), max_length=10, choices=BillingInterval.choices,
                                        default=BillingInterval.MONTHLY)
    amount = money(_("amount net per interval"), validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    default_term_months = models.PositiveSmallIntegerField(
        _("default term (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)])
    default_notice_period = models.PositiveSmallIntegerField(
        _("default notice period"), default=30, validators=[MaxValueValidator(730)])
    default_notice_unit = models.CharField(_("notice period unit"), max_length=6, choices=NoticeUnit.choices,
                                           default=NoticeUnit.DAYS)
    default_auto_renew = models.BooleanField(_("renews automatically by default"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("subscription plan")
        verbose_name_plural = _("subscription plans")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def monthly_amount(self) -> Decimal:
        return self.amount / INTERVAL_MONTHS[BillingInterval(self.billing_interval)]


class CancellationReason(models.Model):
    """A configurable reason why a customer cancelled a contract."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    label_en = models.CharField(_("label (English)"), max_length=100)
    label_de = models.CharField(_("label (German)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("cancellation reason")
        verbose_name_plural = _("cancellation reasons")
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.label_de if _german() else self.label_en


class ContractSettings(models.Model):
    """How many days before a notice deadline or a term end the owner gets a reminder task (one row)."""

    renewal_reminder_days = models.PositiveSmallIntegerField(
        _("renewal reminder (days before the term end)"), default=30, validators=[MaxValueValidator(365)])
    notice_reminder_days = models.PositiveSmallIntegerField(
        _("notice reminder (days before the notice deadline)"), default=14, validators=[MaxValueValidator(365)])

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("contract settings")
        verbose_name_plural = _("contract settings")

    def __str__(self) -> str:
        return "contract settings"

    @classmethod
    def load(cls) -> ContractSettings:
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled (runs to its end)")
    ENDED = "ended", _("Ended")


# A contract in these states still binds the customer (and counts for the binding cause).
LIVE_STATUSES = (ContractStatus.ACTIVE, ContractStatus.PAUSED, ContractStatus.CANCELLED)


class ContractQuerySet(SoftDeleteQuerySet):
    def live(self) -> ContractQuerySet:
        """Contracts that have not ended (active, paused, or cancelled and running to their end)."""
        return self.filter(status__in=LIVE_STATUSES)


class AliveContractManager(models.Manager.from_queryset(ContractQuerySet)):  # type: ignore[misc]
    """The default manager: soft-deleted contracts are invisible."""

    def get_queryset(self) -> ContractQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


AllContractsManager = models.Manager.from_queryset(ContractQuerySet)


class Contract(OwnedRecord):
    """A subscription or service contract (Vertrag) of a person and/or organisation.

    `current_term_end` is the last day of the running term; `notice_deadline` the last day
    on which notice ends the contract at that term end. Both are kept by the services.
    """

    number = models.CharField(_("number"), max_length=30, unique=True)
    person = models.ForeignKey(Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="contracts")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="contracts")
    plan = models.ForeignKey(SubscriptionPlan, verbose_name=_("plan"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="contracts")
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("start date"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"),
                                                   validators=[MinValueValidator(1), MaxValueValidator(120)])
    current_term_end = models.DateField(_("end of the current term"))
    notice_period = models.PositiveSmallIntegerField(_("notice period"), validators=[MaxValueValidator(730)])
    notice_unit = models.CharField(_("notice period unit"), max_length=6, choices=NoticeUnit.choices,
                                   default=NoticeUnit.DAYS)
    notice_deadline = models.DateField(_("notice deadline"))
    auto_renew = models.BooleanField(_("renews automatically"), default=True)
    renewal_term_months = models.PositiveSmallIntegerField(
        _("renewal term (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)])
    billing_interval = models.CharField(_("billing interval"), max_length=10, choices=BillingInterval.choices,
                                        default=BillingInterval.MONTHLY)
    amount = money(_("amount net per interval"), validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    status = models.CharField(_("status"), max_length=10, choices=ContractStatus.choices,
                              default=ContractStatus.ACTIVE)
    paused_on = models.DateField(_("paused since"), null=True, blank=True)
    cancelled_on = models.DateField(_("notice received on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    cancellation_reason = models.ForeignKey(CancellationReason, verbose_name=_("cancellation reason"), null=True,
                                            blank=True, on_delete=models.PROTECT, related_name="contracts")
    # Set when the contract was entered after the notice deadline of its term had already passed:
    # the customer can no longer leave at this term end, and no notice reminder is scheduled.
    notice_deadline_missed = models.BooleanField(_("entered after the notice deadline"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    objects = AliveContractManager()  # type: ignore[misc]
    all_objects = AllContractsManager()  # type: ignore[misc]

    personal_data = {"notes": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-start_date", "-id"]
        base_manager_name = "all_objects"
        indexes = [
            models.Index(fields=["status", "notice_deadline"], name="contract_notice_idx"),
            models.Index(fields=["status", "current_term_end"], name="contract_term_end_idx"),
            models.Index(fields=["person", "status"], name="contract_person_idx"),
            models.Index(fields=["organisation", "status"], name="contract_organisation_idx"),
            models.Index(fields=["owner", "status"], name="contract_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("contracts:contract_detail", args=[self.pk])

    @property
    def customer(self) -> Person | Organisation | None:
        return self.organisation or self.person

    @property
    def monthly_amount(self) -> Decimal:
        """The amount normalised to one month (quarterly ÷ 3, yearly ÷ 12), unrounded."""
        return self.amount / INTERVAL_MONTHS[BillingInterval(self.billing_interval)]

    @property
    def mrr(self) -> Decimal:
        """What the contract contributes to MRR today: 0 when paused or ended, else its monthly amount."""
        if self.status == ContractStatus.ENDED or self.paused_on is not None:
            return Decimal("0.00")
        return self.monthly_amount.quantize(Decimal("0.01"))

    @property
    def notice_deadline_passed(self) -> bool:
        """Whether notice can no longer end the contract at the current term end."""
        return self.status in (ContractStatus.ACTIVE, ContractStatus.PAUSED) and (
            self.notice_deadline < timezone.localdate())

    def days_until(self, day: dt.date) -> int:
        return (day - timezone.localdate()).days


class ContractChange(models.Model):
    """One entry of a contract's append-only change log, with the amounts before and after.

    `effective_on` is the day the change takes effect; for a cancellation it is the
    contract's last day. `mrr_before`/`mrr_after` are the monthly-normalised amounts
    (0 while paused or ended), kept to four places so that quarterly and yearly
    contracts add up exactly enough for churn figures.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPGRADED = "upgraded", _("Upgraded")
        DOWNGRADED = "downgraded", _("Downgraded")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        CANCELLED = "cancelled", _("Cancelled")
        RENEWED = "renewed", _("Renewed")
        ENDED = "ended", _("Ended")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("change"), max_length=12, choices=Kind.choices)
    effective_on = models.DateField(_("effective on"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    actor = models.ForeignKey("accounts.User", verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    reason = models.ForeignKey(CancellationReason, verbose_name=_("reason"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    amount_before = money(_("amount before"))
    amount_after = money(_("amount after"))
    mrr_before = models.DecimalField(_("MRR before"), max_digits=16, decimal_places=4)
    mrr_after = models.DecimalField(_("MRR after"), max_digits=16, decimal_places=4)
    term_end_after = models.DateField(_("term end after"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("contract__",)
    personal_data = {"note": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("contract change")
        verbose_name_plural = _("contract changes")
        ordering = ["contract", "effective_on", "id"]
        indexes = [models.Index(fields=["effective_on", "kind"], name="contract_change_day_idx")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.kind} {self.effective_on}"

    @property
    def mrr_applies_from(self) -> dt.date:
        """The first day the new MRR counts: a contract ending on its last day stops counting the day after."""
        if self.kind in (self.Kind.CANCELLED, self.Kind.ENDED):
            return self.effective_on + dt.timedelta(days=1)
        return self.effective_on


class ContractReminder(models.Model):
    """A reminder task created for one term of a contract: the unique row keeps re-runs from duplicating it."""

    class Kind(models.TextChoices):
        NOTICE = "notice", _("Notice deadline")
        RENEWAL = "renewal", _("Renewal")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    term_end = models.DateField()
    due_on = models.DateField()
    task = models.ForeignKey("activities.Activity", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("contract reminder")
        verbose_name_plural = _("contract reminders")
        constraints = [models.UniqueConstraint(fields=["contract", "kind", "term_end"],
                                               name="contract_reminder_once")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.kind} {self.term_end}"
