"""Inbound e-mail for the service desk: thread onto a ticket or open a new one.

The handler of the mailbox purpose "service" (`kunde.mail.inbound.register_handler`). It reads
a `kunde.mail.models.InboundMessage` — or, in unit tests, anything with the same attributes:
from_address, from_name, subject, text, html, message_id, in_reply_to, references,
attachments, pk.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kunde.contacts.models import Person
from kunde.contacts.selectors import email_addresses_matching
from kunde.service.models import Ticket, TicketMessage

TOKEN = re.compile(r"\[#(T-\d+)\]")
NEEDS_REVIEW = "needs review"


def _ids(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return re.findall(r"<[^<>\s]+>", str(value)) or [str(value).strip()]


def find_ticket(subject: str, in_reply_to: list[str], references: list[str],
                sender: Person | None = None) -> Ticket | None:
    """The ticket a message belongs to: by our Message-IDs in its headers, else by the subject token.

    Message-IDs cannot be guessed; a ticket number can. So the subject token only threads a
    message from the ticket's own customer (the person, or someone of its organisation);
    anybody else's message opens a new ticket instead of writing into a stranger's case.
    """
    ids = [*in_reply_to, *reversed(references)]
    if ids:
        hit = (TicketMessage.objects.filter(message_id__in=ids, ticket__deleted_at__isnull=True)
               .select_related("ticket").order_by("-id").first())
        if hit is not None:
            return hit.ticket
    match = TOKEN.search(subject or "")
    if match and sender is not None:
        ticket = Ticket.objects.filter(number=match.group(1), deleted_at__isnull=True).first()
        if ticket is not None and _is_customer_of(sender, ticket):
            return ticket
    return None


def _is_customer_of(person: Person, ticket: Ticket) -> bool:
    if ticket.person_id == person.pk:
        return True
    return ticket.organisation_id is not None and person.employments.filter(
        organisation_id=ticket.organisation_id).exists()


def sender_person(address: str, display_name: str = "") -> Person:
    """The person with this e-mail address, or a new one tagged "needs review"."""
    address = address.strip().lower()
    hit = (email_addresses_matching(address).filter(person__isnull=False, person__deleted_at__isnull=True)
           .select_related("person").order_by("-is_primary", "id").first())
    if hit is not None and hit.person is not None:
        return hit.person
    from kunde.contacts.services import person_create

    first, _sep, last = display_name.strip().rpartition(" ")
    return person_create(actor=None, first_name=first, last_name=last or address.split("@")[0],
                         emails=[{"email": address}], tags=[NEEDS_REVIEW])


@transaction.atomic
def handle_inbound(message: Any) -> Ticket:
    from kunde.service.services import ticket_create, ticket_receive

    sender_name, sender = parseaddr(message.from_address or "")
    sender_name = getattr(message, "from_name", "") or sender_name
    subject = message.subject or _("(no subject)")
    text, html, message_id = message.text or "", message.html or "", message.message_id or ""
    in_reply_to, references = _ids(message.in_reply_to), _ids(message.references)
    attachments = [{"id": getattr(a, "pk", None), "filename": getattr(a, "filename", str(a))}
                   for a in _attachments(message)]
    inbound_id = message.pk
    if message_id:
        known = TicketMessage.objects.filter(message_id=message_id).select_related("ticket").first()
        if known is not None:  # the same mail again: nothing new
            return known.ticket
    person = sender_person(sender, sender_name) if sender else None
    ticket = find_ticket(subject, in_reply_to, references, person)
    if ticket is not None:
        ticket_receive(ticket=ticket, text=text, html=html, person=person, message_id=message_id,
                       in_reply_to=" ".join(in_reply_to), references=" ".join(references),
                       inbound_id=inbound_id, attachments=attachments)
        return ticket
    return ticket_create(actor=None, subject=subject, description=text, body_html=html, person=person,
                         channel="email", sender=sender, message_id=message_id, inbound_id=inbound_id,
                         attachments=attachments)


def _attachments(message: Any) -> list[Any]:
    related = getattr(message, "attachments", None)
    if related is None:
        return []
    if hasattr(related, "all"):
        return [a for a in related.all() if not getattr(a, "quarantined", False) and not getattr(a, "refused", False)]
    return list(related)


def register() -> None:
    from kunde.mail.inbound import register_handler

    register_handler("service", handle_inbound)
