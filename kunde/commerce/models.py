"""Products and orders. Order lines are the purchase history: who bought which category when, for how much."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Organisation, Person
from kunde.core.models import OwnedRecord, TimeStampedModel
from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category


def money(label: Any, **options: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, **options)


class ProductCategory(models.Model):
    """A product group ("necklaces", "desks"): segments and rules ask "bought a … in the last N days"."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_de = models.CharField(_("name (German)"), max_length=100)
    parent = models.ForeignKey("self", verbose_name=_("parent category"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name_de if (get_language() or "en").startswith("de") else self.name_en


class Product(TimeStampedModel):
    """Something Kunde's company sells, with its net list price and VAT rate."""

    sku = models.CharField(_("SKU"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="Stk.")
    net_price = money(_("net price"), validators=[MinValueValidator(Decimal(0))])
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("19.00"))
    category = models.ForeignKey(ProductCategory, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="products")
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class NumberSequence(models.Model):
    """The last number handed out per prefix and year (AU-2026-0042), locked while counting."""

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    personal_data: dict[str, Category] = {}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="number_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class Order(OwnedRecord):
    """An order (Auftrag) of a person and/or organisation, from Kunde, a quote, or a shop/ERP."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("number"), max_length=30, unique=True)
    person = models.ForeignKey(Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="orders")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="orders")
    ordered_on = models.DateField(_("order date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    discount_percent = models.DecimalField(_("order discount (%)"), max_digits=5, decimal_places=2,
                                           default=Decimal(0))
    net_total = money(_("net total"))
    vat_total = money(_("VAT"))
    gross_total = money(_("gross total"))
    net_total_eur = money(_("net total (EUR)"))
    source = models.CharField(_("source"), max_length=20, default="kunde")
    external_system = models.CharField(_("source system"), max_length=40, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    personal_data = {"notes": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["external_system", "external_id"], name="order_external_unique",
                                    condition=~models.Q(external_id="")),
        ]
        indexes = [
            models.Index(fields=["person", "-ordered_on", "-id"], name="order_person_idx"),
            models.Index(fields=["organisation", "-ordered_on", "-id"], name="order_organisation_idx"),
            models.Index(fields=["-ordered_on", "-id"], name="order_recent_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("commerce:order_detail", args=[self.pk])


class OrderLineQuerySet(ScopedQuerySet):
    pass


class OrderLine(models.Model):
    """One line of an order, with the customer, category and date copied onto it.

    The copies make "customer X bought category Y on date Z for amount A" one indexed query
    without joins — what segments, rules and analytics ask all the time.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="order_lines")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = money(_("unit price"))
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal(0))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net_amount = money(_("net amount"))
    net_amount_eur = money(_("net amount (EUR)"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(ProductCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ordered_on = models.DateField(_("order date"))

    objects = OrderLineQuerySet.as_manager()
    scope_paths = ("order__",)
    personal_data = {"description": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position"]
        indexes = [
            models.Index(fields=["person", "category", "ordered_on"], name="purchase_person_idx"),
            models.Index(fields=["organisation", "category", "ordered_on"], name="purchase_organisation_idx"),
            models.Index(fields=["category", "ordered_on"], name="purchase_category_idx"),
            models.Index(fields=["product", "ordered_on"], name="purchase_product_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.position}: {self.description}"


class Quote(OwnedRecord):
    """An offer (Angebot) to a customer; a revision is a new row with the same number, the old one superseded."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        SUPERSEDED = "superseded", _("Superseded")

    number = models.CharField(_("number"), max_length=30)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    previous = models.OneToOneField("self", verbose_name=_("previous revision"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="next_revision")
    person = models.ForeignKey(Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="quotes")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="quotes")
    deal = models.ForeignKey("sales.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="quotes")
    language = models.CharField(_("language"), max_length=2, default="de", choices=[("de", "Deutsch"),
                                                                                     ("en", "English")])
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    issued_on = models.DateField(_("date"))
    valid_until = models.DateField(_("valid until"))
    discount_percent = models.DecimalField(_("quote discount (%)"), max_digits=5, decimal_places=2,
                                           default=Decimal(0))
    net_total = money(_("net total"))
    vat_total = money(_("VAT"))
    gross_total = money(_("gross total"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    recipient_email = models.EmailField(_("sent to"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer_comment = models.TextField(_("customer's comment"), blank=True)
    order = models.OneToOneField(Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="quote")
    notes = models.TextField(_("text on the quote"), blank=True)

    personal_data = {"recipient_email": Category.CONTACT, "answer_comment": Category.FREE_TEXT,
                     "notes": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-issued_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["number", "revision"], name="quote_number_revision")]
        indexes = [
            models.Index(fields=["person", "-issued_on"], name="quote_person_idx"),
            models.Index(fields=["organisation", "-issued_on"], name="quote_organisation_idx"),
        ]

    def __str__(self) -> str:
        return self.number if self.revision == 1 else f"{self.number} / {self.revision}"

    def get_absolute_url(self) -> str:
        return reverse("commerce:quote_detail", args=[self.pk])


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = money(_("unit price"))
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=Decimal(0))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net_amount = money(_("net amount"))

    scope_paths = ("quote__",)
    objects = OrderLineQuerySet.as_manager()
    personal_data = {"description": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "position"]

    def __str__(self) -> str:
        return f"{self.quote}/{self.position}: {self.description}"
