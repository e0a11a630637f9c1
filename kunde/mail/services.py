"""Sending e-mail through the outbox.

`outbox_enqueue` writes the message in the caller's transaction, so a rolled-back change
sends nothing, and its `dedupe_key` is unique, so the same message is never queued twice.
`outbox_send_due` (the worker, right after commit and every minute) claims due messages and
hands them to the SMTP server.

Guarantee: every queued message is delivered to the SMTP server at least once; twice only
if the process dies after the server accepted it and before its status is written (a
claimed message whose status was not written within `STALE_CLAIM` is sent again). The
retry carries the same Message-ID, by which receiving servers and mail clients recognise
it. Temporary SMTP errors are retried with backoff; permanent ones (5xx, refused
recipients) mark the message failed and emit `mail.message_bounced` per address.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Sequence
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.utils import timezone

from kunde.contacts.models import Organisation, Person
from kunde.core.events import emit_on_commit
from kunde.mail.models import OutboundAttachment, OutboundMessage

logger = logging.getLogger(__name__)

STALE_CLAIM = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=1)


class MailEvent:
    SENT = "mail.message_sent"
    BOUNCED = "mail.message_bounced"


def mail_domain() -> str:
    configured = getattr(settings, "KUNDE_MAIL_DOMAIN", "")
    return configured or settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"


def outbox_enqueue(
    *,
    to: str | Sequence[str],
    subject: str,
    text: str,
    dedupe_key: str,
    html: str = "",
    from_address: str = "",
    reply_to: str = "",
    headers: dict[str, str] | None = None,
    attachments: Iterable[tuple[str, bytes, str]] = (),
    in_reply_to: str = "",
    references: Sequence[str] = (),
    purpose: str = "",
    person: Person | None = None,
    organisation: Organisation | None = None,
    related: models.Model | None = None,
) -> OutboundMessage:
    """Queue one message (in the caller's transaction); the same `dedupe_key` again returns the first."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not all(address.strip() for address in recipients):
        raise ValueError("a message needs at least one recipient")
    with transaction.atomic():
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
        message = OutboundMessage.objects.create(
            dedupe_key=dedupe_key, message_id=make_msgid(domain=mail_domain()), purpose=purpose,
            from_address=from_address or settings.DEFAULT_FROM_EMAIL, to=recipients, reply_to=reply_to,
            subject=subject.replace("\n", " ").replace("\r", " ")[:300], text=text, html=html,
            headers=dict(headers or {}), in_reply_to=in_reply_to, references=" ".join(references),
            person=person, organisation=organisation,
            related_type=(f"{related._meta.app_label}.{related._meta.model_name}" if related is not None else ""),
            related_id=str(related.pk) if related is not None else "",
        )
        OutboundAttachment.objects.bulk_create([
            OutboundAttachment(message=message, filename=name, mimetype=mimetype, content=content)
            for name, content, mimetype in attachments])
        transaction.on_commit(_send_soon)
    return message


def _send_soon() -> None:
    from kunde.mail.tasks import send_outbox_task

    try:
        send_outbox_task.enqueue()
    except Exception:  # the periodic job sends it anyway
        logger.exception("could not enqueue the outbox")


def _claim(limit: int) -> list[OutboundMessage]:
    now = timezone.now()
    with transaction.atomic():
        OutboundMessage.objects.filter(status=OutboundMessage.Status.SENDING,
                                       claimed_at__lt=now - STALE_CLAIM).update(status=OutboundMessage.Status.QUEUED)
        due = list(OutboundMessage.objects.select_for_update(skip_locked=True)
                   .filter(status=OutboundMessage.Status.QUEUED, next_attempt_at__lte=now)
                   .order_by("next_attempt_at", "id")[:limit])
        OutboundMessage.objects.filter(pk__in=[m.pk for m in due]).update(
            status=OutboundMessage.Status.SENDING, claimed_at=now)
    return due


def _email(message: OutboundMessage, connection: Any) -> EmailMultiAlternatives:
    headers = {**message.headers, "Message-ID": message.message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.text, from_email=message.from_address, to=message.to,
        reply_to=[message.reply_to] if message.reply_to else None, headers=headers, connection=connection,
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


def _permanent(error: Exception) -> bool:
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _m in error.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    return isinstance(code, int) and 500 <= code < 600


def outbox_send_due(limit: int = 100) -> int:
    """Send due messages; return how many the SMTP server accepted."""
    messages = _claim(limit)
    if not messages:
        return 0
    sent = 0
    attempted = {message.pk: message.attempts for message in messages}
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
        for message in messages:
            sent += _send_one(message, connection)
    except (OSError, smtplib.SMTPException) as error:  # the server is unreachable: everything waits
        for message in messages:
            if OutboundMessage.objects.filter(pk=message.pk, status=OutboundMessage.Status.SENDING).exists():
                message.attempts = attempted[message.pk] + 1
                _retry(message, error)
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection must not hide the real outcome
            connection.close()
    return sent


def _send_one(message: OutboundMessage, connection: Any) -> int:
    message.attempts += 1
    try:
        _email(message, connection).send()
    except smtplib.SMTPServerDisconnected:
        raise
    except (smtplib.SMTPException, OSError) as error:
        if _permanent(error):
            _fail(message, error)
        else:
            _retry(message, error)
        return 0
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=OutboundMessage.Status.SENT, sent_at=timezone.now(), attempts=message.attempts, last_error="")
        emit_on_commit(MailEvent.SENT, id=message.pk, person_id=message.person_id)
    return 1


def _retry(message: OutboundMessage, error: Exception) -> None:
    status = OutboundMessage.Status.FAILED if message.attempts >= MAX_ATTEMPTS else OutboundMessage.Status.QUEUED
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=status, attempts=message.attempts, last_error=f"{type(error).__name__}: {error}"[:500],
        next_attempt_at=timezone.now() + FIRST_RETRY * (2 ** max(message.attempts - 1, 0)))


def _fail(message: OutboundMessage, error: Exception) -> None:
    refused = list(getattr(error, "recipients", {}) or message.to)
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=OutboundMessage.Status.FAILED, attempts=message.attempts,
            last_error=f"{type(error).__name__}: {error}"[:500])
        for address in refused:
            emit_on_commit(MailEvent.BOUNCED, id=message.pk, address=address, person_id=message.person_id)


def related_object(message: OutboundMessage) -> models.Model | None:
    if not message.related_type:
        return None
    app_label, model = message.related_type.split(".")
    model_class = ContentType.objects.get(app_label=app_label, model=model).model_class()
    return model_class._default_manager.filter(pk=message.related_id).first() if model_class else None
