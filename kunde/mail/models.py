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


class Mailbox(models.Model):
    """An IMAP mailbox Kunde polls; `purpose` names the handler its messages go to ("service", …).

    `last_uid` and `uidvalidity` are the poll position: a message is fetched once, and its row
    and the new position are written in one transaction.
    """

    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("None (local servers only)")

    name = models.CharField(_("name"), max_length=100, unique=True)
    purpose = models.CharField(_("purpose"), max_length=40, default="service",
                               help_text=_("Which part of Kunde handles the messages, e.g. “service” for tickets."))
    address = models.EmailField(_("address"), help_text=_("The mailbox's own address: mail from it is a loop."))
    host = models.CharField(_("IMAP server"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=8, choices=Security.choices, default=Security.SSL)
    username = models.CharField(_("user name"), max_length=200)
    password = models.CharField(_("password"), max_length=200, blank=True)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    is_active = models.BooleanField(_("active"), default=True)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(_("last fetched UID"), default=0, editable=False)
    poll_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)

    personal_data: dict[str, Category] = {}
    audit_secret_fields = ("password",)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.address})"


class InboundMessage(models.Model):
    """One fetched e-mail, kept with its raw source; processed by the mailbox's handler exactly once."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT,
                                related_name="messages")
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True, db_index=True)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    to = models.TextField(_("to"), blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("date"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML (sanitised)"), blank=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=300, blank=True)
    references = models.TextField(_("References"), blank=True)
    raw = models.BinaryField(_("raw message"))
    is_auto_reply = models.BooleanField(_("automatic reply"), default=False)
    is_loop = models.BooleanField(_("mail loop"), default=False)
    is_bounce = models.BooleanField(_("delivery report"), default=False)
    unparseable = models.BooleanField(_("could not be parsed"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=9, choices=Status.choices, default=Status.RECEIVED)
    error = models.CharField(_("error"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    personal_data = {
        "from_address": Category.CONTACT, "from_name": Category.IDENTITY, "to": Category.CONTACT,
        "subject": Category.FREE_TEXT, "text": Category.FREE_TEXT, "html": Category.FREE_TEXT,
        "raw": Category.FREE_TEXT,
    }

    class Meta:
        verbose_name = _("incoming e-mail")
        verbose_name_plural = _("incoming e-mails")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "uidvalidity", "uid"], name="inbound_once_per_uid"),
        ]
        indexes = [models.Index(fields=["status", "id"], name="inbound_pending_idx")]

    def __str__(self) -> str:
        return f"{self.subject} ← {self.from_address}"


class InboundAttachment(models.Model):
    """A file of an incoming e-mail. Quarantined files (executables) are kept but never handed on;
    refused ones (too large) keep only their name and size."""

    message = models.ForeignKey(InboundMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    mimetype = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    content = models.BinaryField(_("content"), blank=True)
    quarantined = models.BooleanField(_("quarantined"), default=False)
    refused = models.BooleanField(_("refused"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    personal_data = {"filename": Category.FREE_TEXT, "content": Category.FREE_TEXT}

    class Meta:
        verbose_name = _("attachment of an incoming e-mail")
        verbose_name_plural = _("attachments of incoming e-mails")

    def __str__(self) -> str:
        return self.filename
