"""People, organisations, their links and their ways to be reached."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kunde.contacts import choices
from kunde.contacts.validators import validate_postal_code
from kunde.core.models import OwnedRecord, Tag, TimeStampedModel
from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category


class LifecycleStage(models.Model):
    """A configurable step of the customer lifecycle (subscriber → … → former customer)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    label_en = models.CharField(_("label (English)"), max_length=80)
    label_de = models.CharField(_("label (German)"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("lifecycle stage")
        verbose_name_plural = _("lifecycle stages")
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.label_de if (get_language() or "en").startswith("de") else self.label_en


class CustomerGroup(models.Model):
    """A classification of customers (e.g. retail, dealer, key account) that prices, SLAs and routing use."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    label_en = models.CharField(_("label (English)"), max_length=80)
    label_de = models.CharField(_("label (German)"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.label_de if (get_language() or "en").startswith("de") else self.label_en


class Organisation(OwnedRecord):
    """A company or institution (the B2B customer)."""

    name = models.CharField(_("name"), max_length=200)
    legal_form = models.CharField(_("legal form"), max_length=40, blank=True, choices=choices.LegalForm.choices)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, blank=True, choices=choices.CompanySize.choices)
    website = models.URLField(_("website"), blank=True)
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent organisation"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="subsidiaries",
    )
    lifecycle_stage = models.ForeignKey(
        LifecycleStage, verbose_name=_("lifecycle stage"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    customer_group = models.ForeignKey(
        CustomerGroup, verbose_name=_("customer group"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    notes = models.TextField(_("notes"), blank=True)

    personal_data = {"notes": Category.FREE_TEXT, "custom_fields": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["owner", "name"]),
            models.Index(fields=["team", "name"]),
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["-updated_at", "-id"]),
            # One ordered walk per scope branch (see core.pagination): owner / team first.
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["team", "-updated_at", "-id"]),
            models.Index(fields=["owner", "-created_at", "-id"]),
            models.Index(fields=["team", "-created_at", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.legal_form}".strip() if self.legal_form not in ("", "sole", "other") else self.name

    def get_absolute_url(self) -> str:
        return reverse("contacts:organisation_detail", args=[self.pk])

    def clean(self) -> None:
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("An organisation cannot be its own parent.")})


class Person(OwnedRecord):
    """A human customer or contact; with no organisation they are a B2C customer."""

    salutation = models.CharField(_("salutation"), max_length=4, blank=True, choices=choices.Salutation.choices)
    title = models.CharField(_("title"), max_length=40, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, blank=True, choices=choices.Language.choices
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, blank=True, choices=choices.Channel.choices
    )
    lifecycle_stage = models.ForeignKey(
        LifecycleStage, verbose_name=_("lifecycle stage"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    customer_group = models.ForeignKey(
        CustomerGroup, verbose_name=_("customer group"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    organisations = models.ManyToManyField(
        Organisation, through="Employment", related_name="people", blank=True
    )

    personal_data = {
        "salutation": Category.IDENTITY, "title": Category.IDENTITY, "first_name": Category.IDENTITY,
        "last_name": Category.IDENTITY, "birthday": Category.IDENTITY,
        "preferred_language": Category.IDENTITY, "notes": Category.FREE_TEXT,
        "custom_fields": Category.FREE_TEXT,
    }

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"]),
            models.Index(fields=["owner", "last_name", "first_name"]),
            models.Index(fields=["team", "last_name", "first_name"]),
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["-updated_at", "-id"]),
            # One ordered walk per scope branch (see core.pagination): owner / team first.
            models.Index(fields=["owner", "-updated_at", "-id"]),
            models.Index(fields=["team", "-updated_at", "-id"]),
            models.Index(fields=["owner", "-created_at", "-id"]),
            models.Index(fields=["team", "-created_at", "-id"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("contacts:person_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.title, self.first_name, self.last_name) if part)


class ContactPointQuerySet(ScopedQuerySet):
    pass


def _holder_fields(related_name: str) -> tuple[models.ForeignKey, models.ForeignKey]:
    """The two holder foreign keys of a contact point, with a readable reverse name."""
    return (
        models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name=related_name),
        models.ForeignKey(
            Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name=related_name
        ),
    )


class ContactPoint(TimeStampedModel):
    """Belongs to exactly one person or one organisation (`person` / `organisation`)."""

    is_primary = models.BooleanField(_("primary"), default=False)

    objects = ContactPointQuerySet.as_manager()
    scope_paths = ("person__", "organisation__")

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, organisation__isnull=True)
                | Q(person__isnull=True, organisation__isnull=False),
                name="%(class)s_one_holder",
            ),
        ]

    @property
    def holder(self) -> Person | Organisation:
        holder: Person | Organisation = getattr(self, "person", None) or self.organisation  # type: ignore[attr-defined]
        return holder


class EmailAddress(ContactPoint):
    """An e-mail address, stored normalised (lower-case domain)."""

    person, organisation = _holder_fields("emails")
    personal_data = {"email": Category.CONTACT}

    kind = models.CharField(_("type"), max_length=8, choices=choices.EmailKind.choices, default="work")
    email = models.EmailField(_("e-mail"), max_length=254, db_index=True)

    class Meta(ContactPoint.Meta):
        verbose_name = _("e-mail address")
        verbose_name_plural = _("e-mail addresses")
        ordering = ["-is_primary", "id"]
        # Addresses keep the case they were given in; lookups by address (incoming mail, imports,
        # the portal) compare lower-cased: `kunde.contacts.selectors.email_addresses_matching`.
        indexes = [models.Index(Lower("email"), name="email_lower_idx")]

    def __str__(self) -> str:
        return self.email


class PhoneNumber(ContactPoint):
    """A phone number, stored in E.164."""

    person, organisation = _holder_fields("phones")
    personal_data = {"number": Category.CONTACT}

    kind = models.CharField(_("type"), max_length=8, choices=choices.PhoneKind.choices, default="work")
    number = models.CharField(_("number"), max_length=20, db_index=True)

    class Meta(ContactPoint.Meta):
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.number


class Address(ContactPoint):
    """A postal address (DE/AT/CH formats checked, international accepted)."""

    person, organisation = _holder_fields("addresses")
    personal_data = {
        "street": Category.CONTACT, "extra": Category.CONTACT, "postal_code": Category.CONTACT,
        "city": Category.CONTACT, "region": Category.CONTACT, "country": Category.CONTACT,
    }

    kind = models.CharField(_("type"), max_length=10, choices=choices.AddressKind.choices, default="postal")
    street = models.CharField(_("street and number"), max_length=200)
    extra = models.CharField(_("address line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region / state"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE")

    class Meta(ContactPoint.Meta):
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}".strip()

    def clean(self) -> None:
        self.country = (self.country or "").upper()
        if len(self.country) != 2 or not self.country.isalpha():
            raise ValidationError({"country": _("Use a two-letter ISO country code, e.g. DE.")})
        try:
            validate_postal_code(self.country, self.postal_code)
        except ValidationError as exc:
            raise ValidationError({"postal_code": exc.messages}) from None


class EmploymentQuerySet(ScopedQuerySet):
    def current(self) -> EmploymentQuerySet:
        from django.utils import timezone

        today = timezone.localdate()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))


class Employment(TimeStampedModel):
    """A person works (or worked) at an organisation in a role over a period."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="employments")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="employments")
    role = models.CharField(_("role"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    is_primary_contact = models.BooleanField(_("primary contact"), default=False)

    personal_data = {"role": Category.IDENTITY, "department": Category.IDENTITY}

    objects = EmploymentQuerySet.as_manager()
    # Visible when the person is: the organisation alone does not reveal who works there.
    scope_paths = ("person__",)

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        ordering = ["-end_date", "-start_date", "id"]
        indexes = [models.Index(fields=["organisation", "end_date"])]

    def __str__(self) -> str:
        return f"{self.person} @ {self.organisation}"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end lies before the start.")})

    @property
    def is_current(self) -> bool:
        from django.utils import timezone

        return self.end_date is None or self.end_date >= timezone.localdate()

