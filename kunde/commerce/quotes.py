"""Quotes: create and revise, send as PDF by e-mail, and the customer's answer by a signed link.

An accepted quote becomes an order, and the deal it belongs to is won. The link only says
which quote; whether an answer is still possible is the quote's state: a sent quote that
is still valid takes one answer, everything else gets a page saying why, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kunde.accounts.models import User
from kunde.activities.services import activity_record
from kunde.commerce.models import Quote, QuoteLine
from kunde.commerce.money import decimal, discounted_totals, line_net
from kunde.commerce.services import _lines, next_number, order_create
from kunde.contacts.models import Organisation, Person
from kunde.core.audit import audit_record, snapshot
from kunde.core.events import emit_on_commit
from kunde.core.links import LinkError, make_token, read_token
from kunde.core.models import AuditEntry
from kunde.core.permissions import Action, user_can
from kunde.core.services import lock, require_create, require_permission
from kunde.sales.money import to_eur

VALIDITY = dt.timedelta(days=30)
LINK_PURPOSE = "quote"


class QuoteEvent:
    SENT = "commerce.quote_sent"
    ACCEPTED = "commerce.quote_accepted"
    DECLINED = "commerce.quote_declined"


@dataclass(frozen=True)
class QuoteTotals:
    undiscounted: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_by_rate: dict[Decimal, Decimal]


def quote_totals(quote: Quote) -> QuoteTotals:
    lines = [(line.net_amount, line.vat_rate) for line in quote.lines.all()]
    sums = discounted_totals(lines, quote.discount_percent)
    return QuoteTotals(undiscounted=sum((net for net, _rate in lines), Decimal(0)), net=sums.net, vat=sums.vat,
                       gross=sums.gross, vat_by_rate=sums.vat_by_rate)


def _write_lines(quote: Quote, rows: Sequence[dict[str, Any]]) -> None:
    errors: dict[str, list[str]] = {}
    parsed = _lines(rows, errors)
    if errors:
        raise ValidationError(errors)
    quote.lines.all().delete()
    QuoteLine.objects.bulk_create([
        QuoteLine(quote=quote, position=index, product=line.product, description=line.description,
                  quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
                  discount_percent=line.discount_percent, vat_rate=line.vat_rate,
                  net_amount=line_net(line.quantity, line.unit_price, line.discount_percent))
        for index, line in enumerate(parsed, start=1)])
    sums = quote_totals(quote)
    quote.net_total, quote.vat_total, quote.gross_total = sums.net, sums.vat, sums.gross
    quote.save(update_fields=["net_total", "vat_total", "gross_total"])


@transaction.atomic
def quote_create(*, actor: User | None, lines: Sequence[dict[str, Any]], person: Person | None = None,
                 organisation: Organisation | None = None, deal: Any = None, discount_percent: Any = 0,
                 currency: str = "EUR", valid_until: dt.date | None = None, language: str = "",
                 notes: str = "") -> Quote:
    """A draft quote with its lines and totals."""
    require_create(actor)
    errors: dict[str, list[str]] = {}
    if person is None and organisation is None and deal is not None:
        person, organisation = deal.person, deal.organisation
    if person is None and organisation is None:
        errors["customer"] = [_("Give a person or an organisation (or both).")]
    for record in (person, organisation, deal):
        if record is not None and actor is not None and not user_can(actor, Action.VIEW, record):
            errors["customer"] = [_("Unknown customer.")]
    try:
        discount = decimal(discount_percent, "discount_percent")
        if not Decimal(0) <= discount <= Decimal(100):
            errors["discount_percent"] = [_("The discount must lie between 0 and 100 %.")]
    except ValueError as error:
        errors["discount_percent"] = [str(error)]
        discount = Decimal(0)
    today = timezone.localdate()
    currency = (currency or "EUR").strip().upper()
    try:
        to_eur(Decimal(1), currency, today)
    except ValidationError as error:
        errors["currency"] = error.messages
    if errors:
        raise ValidationError(errors)
    language = language or (person.preferred_language if person and person.preferred_language in {"de", "en"}
                            else "de")
    customer = organisation or person
    quote = Quote.objects.create(
        number=next_number("AN", today), person=person, organisation=organisation, deal=deal, language=language,
        currency=currency, issued_on=today, valid_until=valid_until or today + VALIDITY, discount_percent=discount,
        net_total=0, vat_total=0, gross_total=0, notes=notes,
        owner=(customer.owner if customer and customer.owner_id else actor), team=customer.team if customer else None)
    _write_lines(quote, lines)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=quote, after=snapshot(quote))
    return quote


@transaction.atomic
def quote_revise(*, actor: User | None, quote: Quote, lines: Sequence[dict[str, Any]] | None = None,
                 discount_percent: Any = None) -> Quote:
    """A new revision (same number) as a draft; the old one is kept, superseded."""
    require_permission(actor, Action.CHANGE, quote)
    current = lock(quote)
    if current.status in {Quote.Status.ACCEPTED, Quote.Status.SUPERSEDED}:
        raise ValidationError({"status": [_("This quote cannot be revised any more.")]})
    rows = lines if lines is not None else [
        {"product": line.product, "description": line.description, "quantity": line.quantity, "unit": line.unit,
         "unit_price": line.unit_price, "discount_percent": line.discount_percent, "vat_rate": line.vat_rate}
        for line in current.lines.all()]
    Quote.objects.filter(pk=current.pk).update(status=Quote.Status.SUPERSEDED)
    revision = Quote.objects.create(
        number=current.number, revision=current.revision + 1, previous=current, person=current.person,
        organisation=current.organisation, deal=current.deal, language=current.language, currency=current.currency,
        issued_on=timezone.localdate(), valid_until=timezone.localdate() + VALIDITY,
        discount_percent=decimal(discount_percent, "discount_percent") if discount_percent is not None
        else current.discount_percent, net_total=0, vat_total=0, gross_total=0, notes=current.notes,
        owner=current.owner, team=current.team)
    _write_lines(revision, rows)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=revision, after=snapshot(revision),
                 extra={"revision_of": current.pk})
    return revision


def acceptance_url(quote: Quote) -> str:
    base = getattr(settings, "KUNDE_BASE_URL", "http://localhost:8000").rstrip("/")
    return base + reverse("commerce:quote_answer", args=[make_token(LINK_PURPOSE, quote.pk)])


def _recipient(quote: Quote) -> str:
    for holder in (quote.person, quote.organisation):
        if holder is not None:
            email = holder.emails.order_by("-is_primary", "id").first()
            if email is not None:
                return email.email
    return ""


@transaction.atomic
def quote_send(*, actor: User | None, quote: Quote, to: str = "") -> Quote:
    """E-mail the quote as PDF with its acceptance link; it is then open for one answer."""
    from kunde.commerce.pdf import render_quote_pdf
    from kunde.mail.services import outbox_enqueue

    require_permission(actor, Action.CHANGE, quote)
    current = lock(quote)
    if current.status not in {Quote.Status.DRAFT, Quote.Status.SENT}:
        raise ValidationError({"status": [_("Only a draft or sent quote can be sent.")]})
    address = to.strip() or _recipient(current)
    if not address:
        raise ValidationError({"to": [_("The customer has no e-mail address; give one.")]})
    with translation.override(current.language):
        subject = _("Your quote %(number)s") % {"number": str(current)}
        greeting = _("Dear %(name)s,") % {"name": current.person.full_name} if current.person else _("Hello,")
        text = "\n\n".join([
            greeting,
            _("please find our quote %(number)s attached (valid until %(date)s).") % {
                "number": str(current), "date": current.valid_until.strftime("%d.%m.%Y")},
            _("You can accept or decline it here: %(url)s") % {"url": acceptance_url(current)},
        ])
    outbox_enqueue(to=address, subject=subject, text=text, dedupe_key=f"quote:{current.pk}:sent:{current.revision}",
                   attachments=[(f"{str(current).replace(' / ', '-')}.pdf", render_quote_pdf(current),
                                 "application/pdf")],
                   purpose="quote", person=current.person, organisation=current.organisation, related=current)
    current.status, current.sent_at, current.recipient_email = Quote.Status.SENT, timezone.now(), address
    current.save(update_fields=["status", "sent_at", "recipient_email"])
    activity_record(actor=actor, kind=QuoteEvent.SENT, channel="email", direction="out",
                    person=current.person, organisation=current.organisation,
                    subject=_("Quote %(number)s sent (%(amount)s %(currency)s)") % {
                        "number": str(current), "amount": current.gross_total, "currency": current.currency},
                    related=current, data={"quote_id": current.pk})
    emit_on_commit(QuoteEvent.SENT, id=current.pk)
    return current


class QuoteAnswerRefused(Exception):
    """The link cannot take an answer (any more); `reason` is one of invalid, expired, answered, withdrawn."""

    def __init__(self, reason: str, quote: Quote | None = None) -> None:
        super().__init__(reason)
        self.reason, self.quote = reason, quote


def quote_for_link(token: str) -> Quote:
    try:
        quote_id = read_token(LINK_PURPOSE, token)
    except LinkError as error:
        raise QuoteAnswerRefused("invalid") from error
    quote = Quote.objects.select_related("person", "organisation").filter(pk=quote_id).first()
    if quote is None:
        raise QuoteAnswerRefused("invalid")
    return quote


def _answerable(quote: Quote) -> None:
    if quote.status in {Quote.Status.ACCEPTED, Quote.Status.DECLINED}:
        raise QuoteAnswerRefused("answered", quote)
    if quote.status != Quote.Status.SENT:
        raise QuoteAnswerRefused("withdrawn", quote)
    if quote.valid_until < timezone.localdate():
        raise QuoteAnswerRefused("expired", quote)


def quote_check_link(token: str) -> Quote:
    """The quote behind a link that may still be answered (else QuoteAnswerRefused)."""
    quote = quote_for_link(token)
    _answerable(quote)
    return quote


@transaction.atomic
def quote_answer(*, token: str, accept: bool, comment: str = "") -> Quote:
    """The customer's answer through the link: accepted → an order (and the deal won), or declined."""
    quote = lock(quote_for_link(token))
    _answerable(quote)
    quote.answered_at, quote.answer_comment = timezone.now(), comment.strip()[:2000]
    if accept:
        quote.status = Quote.Status.ACCEPTED
        quote.order = order_create(
            actor=None, person=quote.person, organisation=quote.organisation, currency=quote.currency,
            source="quote", lines=_order_lines(quote), notes=str(quote), discount_percent=quote.discount_percent)
    else:
        quote.status = Quote.Status.DECLINED
    quote.save(update_fields=["status", "answered_at", "answer_comment", "order"])
    kind = QuoteEvent.ACCEPTED if accept else QuoteEvent.DECLINED
    with translation.override(quote.language):
        subject = (_("Quote %(number)s accepted") if accept else _("Quote %(number)s declined")) % {
            "number": str(quote)}
    activity_record(actor=None, kind=kind, channel="web", direction="in", person=quote.person,
                    organisation=quote.organisation, subject=subject, notes=quote.answer_comment, related=quote,
                    data={"quote_id": quote.pk, "order_id": quote.order_id})
    if accept and quote.deal is not None:
        from kunde.sales.services import deal_win

        deal_win(actor=None, deal=quote.deal)
    emit_on_commit(kind, id=quote.pk, order_id=quote.order_id, deal_id=quote.deal_id)
    return quote


def _order_lines(quote: Quote) -> list[dict[str, Any]]:
    return [{"product": line.product, "description": line.description, "quantity": line.quantity,
             "unit": line.unit, "unit_price": line.unit_price, "vat_rate": line.vat_rate,
             "discount_percent": line.discount_percent}
            for line in quote.lines.order_by("position")]
