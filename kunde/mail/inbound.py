"""Receiving e-mail: poll IMAP mailboxes, store each message once, hand it to its handler once.

Two steps, each safe against a crash at any point:

1. `mailbox_poll` fetches the messages above the stored UID and writes each batch of rows
   *and* the new UID in one transaction. A crash before the commit fetches the batch again;
   after it, nothing is fetched twice. A changed UIDVALIDITY starts over at UID 0, and the
   Message-ID check keeps re-fetched messages from being handled again.
2. `inbound_process_pending` runs the handler registered for the mailbox's purpose
   (`register_handler("service", …)`) and marks the message processed in the same
   transaction, so a handler is never run to completion twice for one message.

Automatic replies, mail loops, delivery reports and duplicates are stored but not handed
on; a delivery report about a message of ours reports a bounce (`mail.message_bounced`).
"""

from __future__ import annotations

import datetime as dt
import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kunde.core.events import emit_on_commit
from kunde.mail.imap import fetch_raw, imap_session, select_folder, uids_after
from kunde.mail.models import InboundAttachment, InboundMessage, Mailbox, OutboundMessage
from kunde.mail.parsing import ParsedMessage, message_ids, parse_message
from kunde.mail.services import MailEvent

logger = logging.getLogger(__name__)

Handler = Callable[[InboundMessage], object]
BATCH = 50
STALE_POLL = dt.timedelta(minutes=5)  # a poller killed mid-poll holds the mailbox this long
_FINAL_RECIPIENT = re.compile(rb"(?im)^Final-Recipient:\s*rfc822;\s*<?([^\s>]+@[^\s>]+)>?")

_handlers: dict[str, Handler] = {}


def register_handler(purpose: str, handler: Handler) -> None:
    """`handler(message)` runs once for every new message of a mailbox with this purpose."""
    _handlers[purpose] = handler


@dataclass
class PollResult:
    fetched: int = 0
    error: str = ""


def mailbox_poll(mailbox: Mailbox) -> PollResult:
    """Fetch the new messages of one mailbox; a server error is recorded on the mailbox, not raised."""
    now = timezone.now()
    claimed = Mailbox.objects.filter(pk=mailbox.pk).filter(
        Q(poll_claimed_at__isnull=True) | Q(poll_claimed_at__lt=now - STALE_POLL)).update(poll_claimed_at=now)
    if not claimed:  # another worker is polling it right now
        return PollResult()
    result = PollResult()
    try:
        _poll(mailbox, result)
    finally:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            poll_claimed_at=None, last_error=result.error,
            **({} if result.error else {"last_polled_at": timezone.now()}))
    return result


def _poll(mailbox: Mailbox, result: PollResult) -> None:
    try:
        with imap_session(mailbox) as client:
            uidvalidity = select_folder(client, mailbox.folder)
            if mailbox.uidvalidity != uidvalidity:
                mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
                Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
            uids = uids_after(client, mailbox.last_uid)
            for start in range(0, len(uids), BATCH):
                chunk = uids[start:start + BATCH]
                result.fetched += _store_batch(mailbox, uidvalidity, chunk, fetch_raw(client, chunk))
                mailbox.last_uid = chunk[-1]
    except (imaplib.IMAP4.error, OSError, ssl.SSLError, EOFError) as error:
        result.error = f"{type(error).__name__}: {error}"[:500]
        logger.warning("polling mailbox %s failed: %s", mailbox.name, result.error)


def _store_batch(mailbox: Mailbox, uidvalidity: int, uids: list[int], raws: dict[int, bytes]) -> int:
    with transaction.atomic():
        known = set(InboundMessage.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity, uid__in=uids)
                    .values_list("uid", flat=True))
        stored = 0
        for uid in uids:
            if uid in raws and uid not in known:
                _store(mailbox, uidvalidity, uid, raws[uid])
                stored += 1
        Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=uids[-1])
    return stored


def own_addresses(mailbox: Mailbox) -> set[str]:
    addresses = {mailbox.address.lower(), settings.DEFAULT_FROM_EMAIL.rpartition("<")[2].strip("> ").lower()}
    return {address for address in addresses if address}


def _store(mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes) -> InboundMessage:
    parsed = parse_message(raw)
    notes = list(parsed.notes)
    is_loop = parsed.from_address in own_addresses(mailbox) or bool(
        parsed.message_id and OutboundMessage.objects.filter(message_id=parsed.message_id).exists())
    duplicate = None
    if parsed.message_id:
        duplicate = InboundMessage.objects.filter(message_id=parsed.message_id).order_by("id").first()
    status, error = InboundMessage.Status.RECEIVED, ""
    if parsed.unparseable:
        status, error = InboundMessage.Status.FAILED, "could not be parsed; the raw message is kept"
    elif duplicate is not None:
        status = InboundMessage.Status.IGNORED
        notes.append(f"the same Message-ID arrived before (#{duplicate.pk})")
    elif is_loop or parsed.is_auto_reply or parsed.is_bounce:
        status = InboundMessage.Status.IGNORED
    message = InboundMessage.objects.create(
        mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, message_id=parsed.message_id,
        from_address=parsed.from_address, from_name=parsed.from_name, to=parsed.to, subject=parsed.subject,
        sent_at=parsed.sent_at, text=parsed.text, html=parsed.html, in_reply_to=parsed.in_reply_to,
        references=parsed.references, raw=raw, is_auto_reply=parsed.is_auto_reply, is_loop=is_loop,
        is_bounce=parsed.is_bounce, unparseable=parsed.unparseable, notes="\n".join(notes), status=status,
        error=error, processed_at=None if status == InboundMessage.Status.RECEIVED else timezone.now(),
    )
    InboundAttachment.objects.bulk_create([
        InboundAttachment(message=message, filename=a.filename, mimetype=a.mimetype[:100], size=a.size,
                          content=a.content, quarantined=a.quarantined, refused=a.refused, reason=a.reason)
        for a in parsed.attachments])
    if parsed.is_bounce and duplicate is None:
        _report_bounce(parsed, raw)
    return message


def _report_bounce(parsed: ParsedMessage, raw: bytes) -> None:
    """A delivery report that names one of our messages: its recipient bounced."""
    ids = [mid for mid in message_ids(raw.decode("utf-8", errors="replace")) if mid != parsed.message_id]
    original = OutboundMessage.objects.filter(message_id__in=ids).first() if ids else None
    if original is None:
        return
    recipients = {match.decode("utf-8", errors="replace").lower() for match in _FINAL_RECIPIENT.findall(raw)}
    for address in recipients or set(original.to):
        emit_on_commit(MailEvent.BOUNCED, id=original.pk, address=address, person_id=original.person_id)


def inbound_process_pending(limit: int = 200) -> int:
    """Run the handler of every received message; return how many were processed."""
    pending = list(InboundMessage.objects.filter(status=InboundMessage.Status.RECEIVED)
                   .order_by("id").values_list("pk", flat=True)[:limit])
    processed = 0
    for pk in pending:
        processed += inbound_process(pk)
    return processed


def inbound_process(pk: int) -> int:
    """Hand one received message to its handler; 1 when it was processed, 0 otherwise."""
    with transaction.atomic():
        # The conditional update is the claim: a second worker finds the row no longer
        # "received" (PostgreSQL re-checks it after the first commits; SQLite serialises writers).
        if not InboundMessage.objects.filter(pk=pk, status=InboundMessage.Status.RECEIVED).update(
                processed_at=timezone.now()):
            return 0
        message = InboundMessage.objects.select_related("mailbox").get(pk=pk)
        handler = _handlers.get(message.mailbox.purpose)
        if handler is None:
            message.status, message.error = InboundMessage.Status.FAILED, (
                f"no handler for the purpose {message.mailbox.purpose!r}")
        else:
            try:
                with transaction.atomic():
                    handler(message)
            except Exception as error:  # one bad message must not stop the others
                logger.exception("handling incoming message %s failed", pk)
                message.status, message.error = InboundMessage.Status.FAILED, f"{type(error).__name__}: {error}"[:500]
            else:
                message.status = InboundMessage.Status.PROCESSED
        message.save(update_fields=["status", "error"])
    return int(message.status == InboundMessage.Status.PROCESSED)


def inbound_retry(message: InboundMessage) -> bool:
    """Hand a failed message to its handler again (after the cause was fixed); True if it went through."""
    if message.unparseable:
        raise ValueError("a message that could not be parsed cannot be handled")
    InboundMessage.objects.filter(pk=message.pk, status=InboundMessage.Status.FAILED).update(
        status=InboundMessage.Status.RECEIVED, error="")
    return bool(inbound_process(message.pk))


def poll_all() -> dict[str, int]:
    """The periodic job: poll every active mailbox, then handle what arrived."""
    fetched = errors = 0
    for mailbox in Mailbox.objects.filter(is_active=True):
        result = mailbox_poll(mailbox)
        fetched += result.fetched
        errors += bool(result.error)
    processed = 0
    while InboundMessage.objects.filter(status=InboundMessage.Status.RECEIVED).exists():
        processed += inbound_process_pending()
    return {"fetched": fetched, "processed": processed, "mailbox_errors": errors}
