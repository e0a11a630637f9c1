"""Customer satisfaction (CSAT): a one-click 1-5 question when a ticket is solved."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from kunde.core.links import LinkError, make_token, read_token
from kunde.service.models import Ticket, UsedToken

PURPOSE = "service.csat"
MAX_AGE = timedelta(days=30)


def csat_url(ticket: Ticket, score: int) -> str:
    token = make_token(PURPOSE, ticket.pk)
    return f"{settings.KUNDE_BASE_URL}{reverse('service:csat', args=[token])}?score={score}"


def csat_request(ticket: Ticket) -> None:
    """Queue the question to the customer (once per ticket: the outbox dedupes)."""
    from kunde.mail.services import outbox_enqueue
    from kunde.service.services import _customer_email

    to = _customer_email(ticket)
    if not to or ticket.csat_answered_at is not None:
        return
    with override(ticket.language or "de"):
        lines = [_("How satisfied are you with how we handled your request %(number)s?") % {
            "number": ticket.number}, ""]
        lines += [f"{score}: {csat_url(ticket, score)}" for score in range(1, 6)]
        lines += ["", _("1 = very dissatisfied, 5 = very satisfied")]
        subject = _("Your opinion on %(token)s") % {"token": ticket.token}
    outbox_enqueue(to=to, subject=subject, text="\n".join(lines), dedupe_key=f"service.csat.{ticket.pk}",
                   purpose="service.csat", person=ticket.person, organisation=ticket.organisation, related=ticket)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csat_ticket(token: str) -> Ticket:
    """The ticket a CSAT token names; LinkError when broken, expired or already used."""
    ticket_id = read_token(PURPOSE, token, max_age=MAX_AGE)
    if UsedToken.objects.filter(digest=_digest(token)).exists():
        raise LinkError("This link has already been used.")
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        raise LinkError("Unknown ticket.")
    if ticket.csat_answered_at is not None:  # the five links of one question share one answer
        raise LinkError("This link has already been used.")
    return ticket


@transaction.atomic
def csat_answer(token: str, score: int, comment: str = "") -> Ticket:
    from kunde.service.services import _history

    ticket = csat_ticket(token)
    if score not in range(1, 6):
        raise LinkError("Invalid score.")
    try:
        with transaction.atomic():
            UsedToken.objects.create(digest=_digest(token), purpose=PURPOSE)
    except IntegrityError as error:
        raise LinkError("This link has already been used.") from error
    answered = Ticket.all_objects.filter(pk=ticket.pk, csat_answered_at__isnull=True).update(
        csat_score=score, csat_comment=comment.strip()[:2000], csat_answered_at=timezone.now())
    if not answered:  # another of the five links won the race
        raise LinkError("This link has already been used.")
    ticket.refresh_from_db()
    _history(None, ticket, "service.csat_answered", _("Satisfaction %(score)s/5 on ticket %(number)s") % {
        "score": score, "number": ticket.number}, notes=comment, data={"score": score})
    return ticket
