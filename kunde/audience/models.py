"""Models of segments and consent.

Consent is an append-only ledger (DSGVO Art. 7 (1): the controller must be able to prove
consent): every give or withdraw is a new `ConsentRecord`; the current state is the latest
record per person, purpose and channel. Rows are never updated; code never deletes them
(they go with the person only when the person is erased). `Suppression` keeps the SHA-256 of
an address that must never be mailed again; it has no link to a person, so it survives the
person's deletion and a later re-import of the same address.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Person
from kunde.core.models import OwnedRecord
from kunde.core.personal_data import Category


class ConsentPurpose(models.Model):
    """What a person agrees to be contacted for (newsletter, offers, surveys)."""

    personal_data: dict[str, Category] = {}

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("consent purpose")
        verbose_name_plural = _("consent purposes")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_de if (get_language() or "de").startswith("de") else self.name_en


class ConsentWording(models.Model):
    """The text a person agreed to, per purpose and version (what exactly was consented)."""

    personal_data: dict[str, Category] = {}

    purpose = models.ForeignKey(ConsentPurpose, on_delete=models.PROTECT, related_name="wordings")
    version = models.PositiveIntegerField(_("version"))
    text_de = models.TextField(_("text (German)"))
    text_en = models.TextField(_("text (English)"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("consent wording")
        verbose_name_plural = _("consent wordings")
        constraints = [models.UniqueConstraint(fields=["purpose", "version"], name="audience_wording_version")]

    def __str__(self) -> str:
        return f"{self.purpose.key} v{self.version}"


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("phone")
    LETTER = "letter", _("letter")
    SMS = "sms", _("SMS")


class ConsentLedgerError(Exception):
    """A consent record was about to be changed or deleted: the ledger is append-only."""


class ConsentRecord(models.Model):
    """One give or withdraw; never updated, never deleted by code."""

    class Action(models.TextChoices):
        GIVEN = "given", _("given")
        WITHDRAWN = "withdrawn", _("withdrawn")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consent_records")
    purpose = models.ForeignKey(ConsentPurpose, on_delete=models.PROTECT, related_name="records")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    wording = models.ForeignKey(ConsentWording, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=254, blank=True)
    proof = models.JSONField(_("proof"), default=dict, blank=True)  # ip, user_agent, form
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirms = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")

    personal_data = {"address": Category.CONTACT, "proof": Category.IDENTITY}

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["person", "purpose", "channel", "at"], name="audience_consent_latest")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.purpose_id} {self.channel} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or kwargs.get("force_update"):
            raise ConsentLedgerError("consent records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ConsentLedgerError("consent records are append-only")


def address_hash(address: str) -> str:
    """SHA-256 of the normalised (trimmed, lower-case) e-mail address."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


class Suppression(models.Model):
    """An address (as a hash) nobody may mail any more, whoever holds it."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
        BOUNCED = "bounced", _("bounced")
        COMPLAINED = "complained", _("complained")
        ERASED = "erased", _("erased")

    personal_data: dict[str, Category] = {}

    address_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")

    def __str__(self) -> str:
        return f"{self.address_hash[:12]}… ({self.reason})"


class Segment(OwnedRecord):
    """A saved audience: dynamic (the definition is evaluated each time) or a frozen snapshot."""

    class Kind(models.TextChoices):
        DYNAMIC = "dynamic", _("dynamic")
        FROZEN = "frozen", _("frozen")

    personal_data: dict[str, Category] = {}

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.DYNAMIC)
    definition = models.JSONField(_("definition"), default=dict, blank=True)
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    personal_data: dict[str, Category] = {}

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "person"], name="audience_member_once")]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.person_id}"
