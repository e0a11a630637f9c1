"""Models of partners: partner organisations, their portal users, shared records and lead handovers."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Organisation, Person
from kunde.core.models import TimeStampedModel, VersionedModel
from kunde.core.permissions import ScopedQuerySet
from kunde.core.personal_data import Category


class PartnerRole(models.TextChoices):
    RESELLER = "reseller", _("Reseller")
    INSTALLATION = "installation", _("Installation partner")
    SERVICE = "service", _("Service provider")
    CONSULTANT = "consultant", _("Consultant")
    OTHER = "other", _("Other")


class PartnerActivityType(models.TextChoices):
    """What a partner can log on a shared customer from the portal."""

    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    INSTALLATION = "installation", _("Installation done")
    NOTE = "note", _("Note")

    @classmethod
    def channel(cls, value: str) -> str:
        """The history channel of a partner activity (a note has none)."""
        return {"call": "phone", "visit": "meeting", "installation": "meeting"}.get(value, "")


# Roles whose work at the customer's site binds the customer technically (see apps.py).
SERVICING_ROLES = (PartnerRole.INSTALLATION, PartnerRole.SERVICE)


class PartnerProfileQuerySet(ScopedQuerySet):
    def active(self) -> PartnerProfileQuerySet:
        return self.filter(is_active=True, organisation__deleted_at__isnull=True)


class PartnerProfile(TimeStampedModel, VersionedModel):
    """An organisation flagged as a partner (reseller, installer, service provider) with its role."""

    organisation = models.OneToOneField(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="partner_profile")
    role = models.CharField(_("role"), max_length=20, choices=PartnerRole.choices, default=PartnerRole.OTHER)
    role_note = models.CharField(_("role in your words"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    since = models.DateField(_("partner since"), default=timezone.localdate)

    personal_data: dict[str, Category] = {}

    objects = PartnerProfileQuerySet.as_manager()
    # A partner is as visible as its organisation.
    scope_paths = ("organisation__",)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["organisation__name", "id"]

    def __str__(self) -> str:
        return str(self.organisation)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("partners:detail", args=[self.pk])


class PartnerUserQuerySet(ScopedQuerySet):
    def active(self) -> PartnerUserQuerySet:
        return self.filter(revoked_at__isnull=True, partner__is_active=True, person__deleted_at__isnull=True)


class PartnerUser(TimeStampedModel):
    """A person employed at a partner whom staff allowed to sign in to the partner portal."""

    partner = models.ForeignKey(PartnerProfile, verbose_name=_("partner"), on_delete=models.CASCADE,
                                related_name="users")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE,
                               related_name="partner_accounts")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("granted by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_login_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    personal_data = {"last_login_at": Category.IDENTITY}

    objects = PartnerUserQuerySet.as_manager()
    scope_paths = ("partner__organisation__",)

    class Meta:
        verbose_name = _("partner user")
        verbose_name_plural = _("partner users")
        ordering = ["-granted_at", "-id"]
        constraints = [
            # One live access per person and partner; a revoked row stays as the record of the grant.
            models.UniqueConstraint(fields=["partner", "person"], condition=Q(revoked_at__isnull=True),
                                    name="partner_user_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.partner}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Share(TimeStampedModel):
    """One record (a person, an organisation, a lead or a deal) shared with a partner until revoked."""

    partner = models.ForeignKey(PartnerProfile, verbose_name=_("partner"), on_delete=models.CASCADE,
                                related_name="shares")
    person = models.ForeignKey(Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="partner_shares")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="partner_shares")
    lead = models.ForeignKey("sales.Lead", verbose_name=_("lead"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="partner_shares")
    deal = models.ForeignKey("sales.Deal", verbose_name=_("deal"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="partner_shares")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("shared by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    shared_at = models.DateTimeField(_("shared"), default=timezone.now)
    note = models.CharField(_("note for the partner"), max_length=500, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    personal_data = {"note": Category.FREE_TEXT}

    objects = ScopedQuerySet.as_manager()
    # A share is as visible as the record it shares: staff who cannot see a customer never
    # learn through the share list that it was given to a partner.
    scope_paths = ("person__", "organisation__", "lead__", "deal__")

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        ordering = ["-shared_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(person__isnull=False, organisation__isnull=True, lead__isnull=True, deal__isnull=True)
                    | Q(person__isnull=True, organisation__isnull=False, lead__isnull=True, deal__isnull=True)
                    | Q(person__isnull=True, organisation__isnull=True, lead__isnull=False, deal__isnull=True)
                    | Q(person__isnull=True, organisation__isnull=True, lead__isnull=True, deal__isnull=False)
                ),
                name="partner_share_exactly_one_record",
            ),
            models.UniqueConstraint(fields=["partner", "person"], condition=Q(revoked_at__isnull=True),
                                    name="partner_share_person_once"),
            models.UniqueConstraint(fields=["partner", "organisation"], condition=Q(revoked_at__isnull=True),
                                    name="partner_share_organisation_once"),
            models.UniqueConstraint(fields=["partner", "lead"], condition=Q(revoked_at__isnull=True),
                                    name="partner_share_lead_once"),
            models.UniqueConstraint(fields=["partner", "deal"], condition=Q(revoked_at__isnull=True),
                                    name="partner_share_deal_once"),
        ]
        indexes = [models.Index(fields=["partner", "revoked_at"], name="partner_share_live")]

    def __str__(self) -> str:
        return f"{self.record} → {self.partner}"

    @property
    def record(self) -> models.Model | None:
        return self.person or self.organisation or self.lead or self.deal

    @property
    def record_type(self) -> str:
        for name in ("person", "organisation", "lead", "deal"):
            if getattr(self, f"{name}_id") is not None:
                return name
        return ""

    @property
    def record_type_label(self) -> str:
        record = self.record
        return str(record._meta.verbose_name) if record is not None else ""

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def clean(self) -> None:
        given = [name for name in ("person", "organisation", "lead", "deal") if getattr(self, f"{name}_id")]
        if len(given) != 1:
            raise ValidationError(_("Share exactly one record: a person, an organisation, a lead or a deal."))


class HandoverStatus(models.TextChoices):
    OFFERED = "offered", _("offered")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_HANDOVER = (HandoverStatus.OFFERED, HandoverStatus.ACCEPTED)


class LeadHandover(TimeStampedModel, VersionedModel):
    """A lead offered to a partner, and the partner's answer."""

    lead = models.ForeignKey("sales.Lead", verbose_name=_("lead"), on_delete=models.CASCADE,
                             related_name="partner_handovers")
    partner = models.ForeignKey(PartnerProfile, verbose_name=_("partner"), on_delete=models.CASCADE,
                                related_name="handovers")
    status = models.CharField(_("status"), max_length=12, choices=HandoverStatus.choices,
                              default=HandoverStatus.OFFERED)
    note = models.CharField(_("note for the partner"), max_length=500, blank=True)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("offered by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    offered_at = models.DateTimeField(_("offered"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(PartnerUser, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("withdrawn by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")

    personal_data = {"note": Category.FREE_TEXT, "decline_reason": Category.FREE_TEXT}

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("lead__",)

    class Meta:
        verbose_name = _("lead handover")
        verbose_name_plural = _("lead handovers")
        ordering = ["-offered_at", "-id"]
        constraints = [
            # A lead is with at most one partner at a time (offered or accepted).
            models.UniqueConstraint(fields=["lead"], condition=Q(status__in=["offered", "accepted"]),
                                    name="partner_handover_one_open"),
            models.CheckConstraint(condition=~Q(status="declined") | ~Q(decline_reason=""),
                                   name="partner_handover_decline_reason"),
        ]
        indexes = [models.Index(fields=["partner", "status"], name="partner_handover_queue")]

    def __str__(self) -> str:
        return f"{self.lead} → {self.partner}"


class ShareableEntry(models.Model):
    """A history entry staff marked as visible to the partners the customer is shared with."""

    activity = models.OneToOneField("activities.Activity", on_delete=models.CASCADE, related_name="partner_shareable")
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    personal_data: dict[str, Category] = {}

    objects = ScopedQuerySet.as_manager()
    scope_paths = ("activity__person__", "activity__organisation__")

    class Meta:
        verbose_name = _("shareable history entry")
        verbose_name_plural = _("shareable history entries")

    def __str__(self) -> str:
        return str(self.activity_id)
