"""The outbox: every e-mail Kunde sends is a row here first, written in the sender's transaction."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.contacts.models import Organisation, Person
from kunde.core.personal_data import Category


class OutboundMessage(models.Model):
    """One e-mail to send; `dedupe_key` makes "send this once" a database guarantee."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    purpose = models.CharField(_("purpose"), max_length=60, blank=True, db_index=True)
    from_address = models.CharField(_("from"), max_length=254)
    to = models.JSONField(_("to"), default=list)
    reply_to = models.CharField(_("reply to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    text = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=250, blank=True)
    references = models.TextField(_("References"), blank=True)
    person = models.ForeignKey(Person, verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="outbound_messages")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="outbound_messages")
    related_type = models.CharField(_("related record type"), max_length=100, blank=True)
    related_id = models.CharField(_("related record id"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    personal_data = {
        "to": Category.CONTACT, "reply_to": Category.CONTACT, "subject": Category.FREE_TEXT,
        "text": Category.FREE_TEXT, "html": Category.FREE_TEXT,
    }

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["person", "-created_at"], name="outbox_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"


class OutboundAttachment(models.Model):
    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    mimetype = models.CharField(_("type"), max_length=100)
    content = models.BinaryField(_("content"))

    personal_data = {"content": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
