"""The loyalty programme: rules that earn points on orders, tiers, accounts per customer, an append-only ledger.

Balance and tier live on the account (read on every 360° page); the ledger is the truth the
balance is built from — every change of points is one `LedgerEntry` carrying the balance after it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Organisation, Person
from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category


class LedgerError(Exception):
    """Code tried to change or remove a ledger entry; corrections are new entries."""


class Programme(models.Model):
    """A loyalty programme: what a point is worth when redeemed, and when points expire."""

    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    point_value_eur = models.DecimalField(
        _("value of one point (EUR)"), max_digits=8, decimal_places=4, default=Decimal("0.0100"),
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("What one point takes off a quote or order when redeemed."))
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"), null=True, blank=True,
        help_text=_("Empty: points never expire."))
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")
        ordering = ["-is_active", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True),
                                    name="loyalty_one_active_programme"),
        ]

    def __str__(self) -> str:
        return self.name


class EarningRule(models.Model):
    """How orders earn points: per euro, a category multiplier, or a bonus campaign within dates."""

    class Kind(models.TextChoices):
        PER_EURO = "per_euro", _("Points per euro spent")
        CATEGORY = "category", _("Multiplier on a product category")
        BONUS = "bonus", _("Bonus campaign")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points_per_euro = models.DecimalField(
        _("points per euro"), max_digits=8, decimal_places=3, default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))])
    category = models.ForeignKey("commerce.ProductCategory", verbose_name=_("product category"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    multiplier = models.DecimalField(
        _("multiplier"), max_digits=6, decimal_places=2, default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("A category rule: extra points = (multiplier − 1) × base points of that category's lines. "
                    "A bonus campaign: extra points = (multiplier − 1) × base points of the order."))
    extra_points = models.PositiveIntegerField(_("extra points per order"), default=0)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    minimum_order_eur = models.DecimalField(_("minimum order (EUR, net)"), max_digits=12, decimal_places=2,
                                            null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["programme", "kind", "id"]

    def __str__(self) -> str:
        return self.name


class Tier(models.Model):
    """A status level (Silber, Gold, Platin) reached by points earned in the last 12 months."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(_("name"), max_length=60)
    threshold = models.PositiveIntegerField(_("points earned in 12 months"))
    benefits = models.TextField(_("benefits"), blank=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["programme", "threshold", "id"]
        constraints = [models.UniqueConstraint(fields=["programme", "threshold"], name="loyalty_tier_threshold")]

    def __str__(self) -> str:
        return self.name


class LoyaltyAccountQuerySet(ScopedQuerySet):
    pass


class LoyaltyAccount(models.Model):
    """The points of one customer (a person, or an organisation) in one programme."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="accounts")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="loyalty_accounts")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="loyalty_accounts")
    balance = models.IntegerField(_("balance"), default=0)
    qualifying_points = models.IntegerField(_("points earned in the last 12 months"), default=0)
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="accounts")
    tier_since = models.DateTimeField(_("tier since"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = LoyaltyAccountQuerySet.as_manager()
    scope_paths = ("person__", "organisation__")
    personal_data = {"balance": Category.FINANCIAL}

    class Meta:
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")
        constraints = [
            # The last line of defence against overdrawing: a redemption that slipped past the
            # service's check under a race fails here instead of leaving a negative balance.
            models.CheckConstraint(condition=Q(balance__gte=0), name="loyalty_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(person__isnull=False, organisation__isnull=True)
                | Q(person__isnull=True, organisation__isnull=False),
                name="loyalty_account_one_customer"),
            models.UniqueConstraint(fields=["programme", "person"], condition=Q(person__isnull=False),
                                    name="loyalty_account_person"),
            models.UniqueConstraint(fields=["programme", "organisation"], condition=Q(organisation__isnull=False),
                                    name="loyalty_account_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.customer}: {self.balance}"

    @property
    def customer(self) -> Person | Organisation | None:
        return self.person or self.organisation


class LedgerEntryQuerySet(ScopedQuerySet):
    def update(self, **kwargs: Any) -> int:
        raise LedgerError("ledger entries are append-only")

    def delete(self) -> Any:
        raise LedgerError("ledger entries are append-only")


class LedgerEntry(models.Model):
    """One change of a customer's points; never updated, never deleted by code."""

    class Kind(models.TextChoices):
        EARNED = "earned", _("Earned")
        BONUS = "bonus", _("Bonus")
        REDEEMED = "redeemed", _("Redeemed")
        EXPIRED = "expired", _("Expired")
        ADJUSTED = "adjusted", _("Adjusted")

    # Few indexes on purpose: the backfill inserts a million entries, and each index costs it time.
    # The account is reached by `loyalty_entry_recent`; rules and actors are never looked up by entry.
    account = models.ForeignKey(LoyaltyAccount, on_delete=models.CASCADE, related_name="entries", db_index=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    balance_after = models.IntegerField(_("balance after"))
    reason = models.CharField(_("reason"), max_length=300)
    occurred_on = models.DateField(_("date"))
    created_at = models.DateTimeField(default=timezone.now)
    # Accruals (and their reversal) name the order and the rule; a redemption its quote or order.
    # Indexed only where they are looked up (see Meta): accruals by the unique (order, rule) index,
    # redemptions and reversals by small partial indexes that the backfill never writes to.
    order = models.ForeignKey("commerce.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              db_index=False)
    quote = models.ForeignKey("commerce.Quote", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              db_index=False)
    rule = models.ForeignKey(EarningRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             db_index=False)
    amount_eur = models.DecimalField(_("discount (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True)
    # Credits that expire carry their date; a reversal carries the date of what it reverses (see expiry).
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              db_index=False)

    objects = LedgerEntryQuerySet.as_manager()
    scope_paths = ("account__person__", "account__organisation__")
    personal_data = {"reason": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["account", "id"]
        constraints = [
            # Re-processing an order (the event twice, the bulk accrual after the event) never doubles points.
            models.UniqueConstraint(fields=["order", "rule"], condition=Q(kind__in=["earned", "bonus"]),
                                    name="loyalty_accrual_once"),
            models.UniqueConstraint(fields=["order", "rule"], condition=Q(kind="adjusted", order__isnull=False),
                                    name="loyalty_reversal_once"),
        ]
        indexes = [
            models.Index(fields=["account", "-id"], name="loyalty_entry_recent"),
            models.Index(fields=["quote"], condition=Q(quote__isnull=False), name="loyalty_entry_quote"),
            models.Index(fields=["order"], condition=Q(kind="redeemed"), name="loyalty_entry_order"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.points:+d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or kwargs.get("force_update"):
            raise LedgerError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise LedgerError("ledger entries are append-only")
