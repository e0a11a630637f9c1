"""Reads of the e-mail channel for the administration (administrators only, so unscoped)."""

from __future__ import annotations

from django.db.models import QuerySet

from kunde.mail.models import InboundMessage, Mailbox

PAGE = 100


def mailboxes() -> QuerySet[Mailbox]:
    return Mailbox.objects.order_by("name")


def inbound_messages(status: str = "") -> QuerySet[InboundMessage]:
    """The newest incoming messages, of one status if given (an unknown status: none)."""
    messages = InboundMessage.objects.select_related("mailbox").defer("raw", "html", "text")
    if status:
        messages = messages.filter(status=status) if status in InboundMessage.Status.values else messages.none()
    return messages.order_by("-id")[:PAGE]
